#!/usr/bin/env bash
# SSE-C: the client keeps the key; Coffer stores only a salted HMAC that recognises it.
# Over HTTPS (S3 refuses customer keys over plain HTTP, and so does Coffer by default).
set -euo pipefail
source "$(dirname "$0")/env.sh"
S="--endpoint-url $COFFER_HTTPS --ca-bundle $CA_BUNDLE"
bucket=ssec-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
key=$(head -c 24 /dev/urandom | base64 | head -c 32)   # 32 characters; the CLI base64-encodes it
aws s3api create-bucket --bucket "$bucket" $S >/dev/null
echo "only the key holder reads this" > "$work/note.txt"
aws s3 cp "$work/note.txt" "s3://$bucket/note.txt" --sse-c AES256 --sse-c-key "$key" --only-show-errors $S
aws s3 cp "s3://$bucket/note.txt" "$work/back.txt" --sse-c AES256 --sse-c-key "$key" --only-show-errors $S
echo "with the key: $(cat "$work/back.txt")"
echo "without it:"; aws s3api get-object --bucket "$bucket" --key note.txt "$work/nokey.txt" $S 2>&1 | tail -1 || true
# Re-key into SSE-S3 (copy with the source key) and clean up.
aws s3 cp "s3://$bucket/note.txt" "s3://$bucket/server-side.txt" --sse-c-copy-source AES256 --sse-c-copy-source-key "$key" --only-show-errors $S
aws s3api head-object --bucket "$bucket" --key server-side.txt $S --query ServerSideEncryption
aws s3 rm "s3://$bucket" --recursive --only-show-errors $S
aws s3api delete-bucket --bucket "$bucket" $S
