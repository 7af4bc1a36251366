#!/usr/bin/env bash
# Encryption at rest: every object is stored with SSE-S3, asked for or not, on every path
# (PUT, copy, multipart), and the answers carry x-amz-server-side-encryption: AES256.
set -euo pipefail
source "$(dirname "$0")/env.sh"
E="--endpoint-url $COFFER_HTTP"
bucket=sse-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
aws s3api create-bucket --bucket "$bucket" $E >/dev/null
echo "secret plans" > "$work/plans.txt"
aws s3api put-object --bucket "$bucket" --key implicit.txt --body "$work/plans.txt" $E --query ServerSideEncryption
aws s3api put-object --bucket "$bucket" --key explicit.txt --body "$work/plans.txt" --server-side-encryption AES256 $E --query ServerSideEncryption
aws s3api copy-object --bucket "$bucket" --key copy.txt --copy-source "$bucket/implicit.txt" $E --query ServerSideEncryption
head -c $((12 * 1024 * 1024)) /dev/urandom > "$work/big.bin"
aws s3 cp "$work/big.bin" "s3://$bucket/big.bin" --sse AES256 --only-show-errors $E
aws s3api head-object --bucket "$bucket" --key big.bin $E --query '{SSE: ServerSideEncryption, ETag: ETag}'
# Bucket default encryption, and blocking SSE-C writes on this bucket.
aws s3api put-bucket-encryption --bucket "$bucket" $E --server-side-encryption-configuration \
  '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]}'
aws s3api get-bucket-encryption --bucket "$bucket" $E
echo "root keys live outside LevelDB, mode 0600: $(stat -c '%a %n' "$COFFER_DATA_DIR/keys/sse-s3-root-keys.json" 2>/dev/null || echo '(remote server)')"
aws s3 rm "s3://$bucket" --recursive --only-show-errors $E
aws s3api delete-bucket --bucket "$bucket" $E
