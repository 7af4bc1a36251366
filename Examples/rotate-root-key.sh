#!/usr/bin/env bash
# Root key rotation: write objects, stop the server, `coffer keys rotate`, start again and
# read them back. No object data is rewritten; only the per-object data keys are re-sealed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
work=$(mktemp -d)
export AWS_ACCESS_KEY_ID=ROTATEKEY000 AWS_SECRET_ACCESS_KEY=rotate-secret-0000 AWS_DEFAULT_REGION=us-east-1
E="--endpoint-url http://127.0.0.1:19101"
start() {
  COFFER_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
    "$bin" serve --data-dir "$work/data" --http-address 127.0.0.1:19101 --https-address off >/dev/null 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:19101/_coffer/health >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

start
aws s3api create-bucket --bucket rotating $E >/dev/null
echo "written before the rotation" > "$work/before.txt"
aws s3api put-object --bucket rotating --key before.txt --body "$work/before.txt" $E >/dev/null
stop
"$bin" keys status --data-dir "$work/data"
"$bin" keys rotate --data-dir "$work/data"
"$bin" keys status --data-dir "$work/data"
start
aws s3api get-object --bucket rotating --key before.txt "$work/back.txt" $E >/dev/null
echo "read back after rotation: $(cat "$work/back.txt")"
stop
