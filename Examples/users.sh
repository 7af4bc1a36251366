#!/usr/bin/env bash
# Two users: start a throwaway Coffer with a users file, show that buckets belong to their
# creator (root, as on S3, lists every bucket of the account), then add a user and reload the
# file with SIGHUP (no restart).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
work=$(mktemp -d)
cat > "$work/users.json" <<JSON
{"users": [{"name": "alice", "accessKeyId": "ALICEKEY0000", "secretAccessKey": "alice-secret-0000"}]}
JSON
COFFER_ROOT_ACCESS_KEY=ROOTKEY0000 COFFER_ROOT_SECRET_KEY=root-secret-0000 \
  "$bin" serve --data-dir "$work/data" --http-address 127.0.0.1:19100 --https-address off --users "$work/users.json" \
  > "$work/out.log" 2> "$work/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:19100/_coffer/health >/dev/null && break; sleep 0.1; done
E="--endpoint-url http://127.0.0.1:19100 --region us-east-1"
as() { local id=$1 secret=$2; shift 2; AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret aws "$@"; }

as ALICEKEY0000 alice-secret-0000 s3api create-bucket --bucket alice-bucket $E
echo "root lists every bucket of the account, alice's too:"; as ROOTKEY0000 root-secret-0000 s3api list-buckets $E --query 'Buckets[].Name'
echo "bob before reload:"; as BOBKEY000000 bob-secret-0000 s3api list-buckets $E 2>&1 | tail -1 || true
cat > "$work/users.json" <<JSON
{"users": [{"name": "alice", "accessKeyId": "ALICEKEY0000", "secretAccessKey": "alice-secret-0000"},
           {"name": "bob", "accessKeyId": "BOBKEY000000", "secretAccessKey": "bob-secret-0000"}]}
JSON
kill -HUP $pid; sleep 0.5
echo "bob after reload:"; as BOBKEY000000 bob-secret-0000 s3api list-buckets $E --query 'Buckets[].Name'
echo "bob on alice's bucket:"; as BOBKEY000000 bob-secret-0000 s3api list-objects-v2 --bucket alice-bucket $E 2>&1 | tail -1 || true
