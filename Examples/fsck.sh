#!/usr/bin/env bash
# coffer fsck: a throwaway server and objects in every SSE mode; fsck refuses a directory a
# running server holds (exit 2), checks the stopped one clean (exit 0), and names the object
# of a copy whose table file was damaged (exit 1). It never changes the directory it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
work=$(mktemp -d)
export AWS_ACCESS_KEY_ID=FSCKKEY00000 AWS_SECRET_ACCESS_KEY=fsck-secret-00000 AWS_DEFAULT_REGION=us-east-1
E="--endpoint-url http://127.0.0.1:19102"
start() {
  COFFER_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY COFFER_ALLOW_SSE_C_OVER_HTTP=true \
    "$bin" serve --data-dir "$work/data" --http-address 127.0.0.1:19102 --https-address off >/dev/null 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:19102/_coffer/health >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }
fsck() { status=0; "$bin" fsck "$@" || status=$?; echo "(exit $status)"; }
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

start
aws s3api create-bucket --bucket checked $E >/dev/null
head -c 300000 /dev/urandom > "$work/body"
aws s3api put-object --bucket checked --key sse-s3 --body "$work/body" $E >/dev/null
aws s3api put-object --bucket checked --key sse-kms --body "$work/body" --server-side-encryption aws:kms $E >/dev/null
aws s3api put-object --bucket checked --key sse-c --body "$work/body" --sse-customer-algorithm AES256 \
  --sse-customer-key "$(printf '%032d' 7)" $E >/dev/null
head -c $((9 * 1024 * 1024)) /dev/urandom > "$work/large"
aws s3 cp "$work/large" s3://checked/multipart $E >/dev/null   # the CLI uploads it in parts

echo "== while the server runs: refused offline"
fsck --data-dir "$work/data"
echo "== while the server runs: --online, the server checks a snapshot of itself"
fsck --online --data-dir "$work/data"
stop
echo "== stopped: clean"
fsck --data-dir "$work/data"
"$bin" fsck --data-dir "$work/data" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("counts:", r["counts"]["objects"], "objects,", r["counts"]["packagesOpened"], "packages opened,", r["notOpened"]["sseC"], "SSE-C not opened")'

# A start and a stop turn LevelDB's log into table files; damage a copy of the largest one.
start; stop
cp -r "$work/data" "$work/damaged"
table=$(ls -S "$work/damaged/db/"*.ldb | head -1)
python3 - "$table" <<'EOF'
import os, sys
path = sys.argv[1]
with open(path, "r+b") as f:
    f.seek(os.path.getsize(path) // 2)
    f.write(b"\xff" * 64)
EOF
echo "== a copy with 64 bytes of a table file overwritten"
fsck --data-dir "$work/damaged"
