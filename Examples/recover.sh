#!/usr/bin/env bash
# A damaged store is refused, never opened as a smaller one; `coffer serve --recover` repairs a
# copy, says what came back, and keeps the damaged original. A throwaway server: write objects,
# stop, cut the database's MANIFEST in half (as a failing disk might), watch the refusal, then
# recover and read everything back.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
work=$(mktemp -d)
export AWS_ACCESS_KEY_ID=RECOVERKEY00 AWS_SECRET_ACCESS_KEY=recover-secret-000 AWS_DEFAULT_REGION=us-east-1
E="--endpoint-url http://127.0.0.1:19102"
start() {
  COFFER_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
    "$bin" serve --data-dir "$work/data" --http-address 127.0.0.1:19102 --https-address off "$@" >/dev/null 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:19102/_coffer/health >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

start
aws s3api create-bucket --bucket precious $E >/dev/null
for i in 1 2 3; do
  head -c 200000 /dev/urandom > "$work/object-$i"
  aws s3api put-object --bucket precious --key "object-$i" --body "$work/object-$i" $E >/dev/null
done
stop
start && stop  # a restart turns LevelDB's log into a table file
echo "the store identity record: $(tr -d '\n ' < "$work/data/store-identity.json")"

manifest=$(ls "$work"/data/db/MANIFEST-*)
truncate -s $(( $(stat -c %s "$manifest") / 2 )) "$manifest"
echo "--- coffer serve on the damaged store:"
"$bin" serve --data-dir "$work/data" --http-address 127.0.0.1:19102 --https-address off 2>&1 | tail -1 || true

echo "--- coffer serve --recover:"
start --recover
grep "recovery:" "$work/server.log" | sed 's/.*recovery: /  /'
for i in 1 2 3; do
  aws s3api get-object --bucket precious --key "object-$i" "$work/back-$i" $E >/dev/null
  cmp -s "$work/object-$i" "$work/back-$i" && echo "object-$i: read back exactly"
done
stop
echo "kept beside the repaired database: $(cd "$work/data" && ls -d db.damaged-*)"
