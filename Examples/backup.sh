#!/usr/bin/env bash
# Backup and restore: a throwaway server with objects, a backup taken while it runs (through
# its admin socket) without the root keys, which are kept apart; the server stopped, the
# backup checked and restored into a new data dir with the keys supplied, a server started on
# it reading everything back, and its audit trail verified. docs/backup.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
work=$(mktemp -d)
export AWS_ACCESS_KEY_ID=BACKUPKEY000 AWS_SECRET_ACCESS_KEY=backup-secret-0000 AWS_DEFAULT_REGION=us-east-1
E="--endpoint-url http://127.0.0.1:19102"
start() {
  COFFER_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
    "$bin" serve --data-dir "$1" --http-address 127.0.0.1:19102 --https-address off >/dev/null 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:19102/_coffer/health >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

start "$work/data"
aws s3api create-bucket --bucket records $E >/dev/null
key=$(aws kms create-key --description "backup demo" $E --query KeyMetadata.KeyId --output text)
echo "kept with SSE-S3" > "$work/a.txt"
echo "kept with SSE-KMS" > "$work/b.txt"
aws s3api put-object --bucket records --key a.txt --body "$work/a.txt" --server-side-encryption AES256 $E >/dev/null
aws s3api put-object --bucket records --key b.txt --body "$work/b.txt" --server-side-encryption aws:kms --ssekms-key-id "$key" $E >/dev/null

echo "== backup of the running server (the admin socket is mode $(stat -c %a "$work/data/admin.sock"))"
"$bin" backup --data-dir "$work/data" --to "$work/backup"
echo "== the secrets are kept apart (a vault in real life): never in the backup"
mkdir -m 700 "$work/vault"
cp "$work/data/keys/sse-s3-root-keys.json" "$work/data/keys/audit-digest-ed25519.key" "$work/vault/"
ls "$work/backup" "$work/backup/keys"
stop

echo "== check the backup against its manifest, then restore it with the keys from the vault"
"$bin" restore --from "$work/backup" --check
"$bin" restore --from "$work/backup" --data-dir "$work/restored" \
  --root-keys "$work/vault/sse-s3-root-keys.json" --audit-signing-key "$work/vault/audit-digest-ed25519.key"
echo "== fsck of the restored data dir: every package opens under the restored keys"
"$bin" fsck --data-dir "$work/restored" | tail -2

start "$work/restored"
aws s3api get-object --bucket records --key a.txt "$work/a.back" $E >/dev/null
aws s3api get-object --bucket records --key b.txt "$work/b.back" $E >/dev/null
echo "read back from the restored data dir: $(cat "$work/a.back") / $(cat "$work/b.back")"
stop
"$bin" audit verify --data-dir "$work/restored"
