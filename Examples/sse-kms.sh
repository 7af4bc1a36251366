#!/usr/bin/env bash
# SSE-KMS: objects whose data keys come from the key service (the built-in one, or the one
# `coffer serve --kms-endpoint` names), with a key, a context and bucket keys; every key use
# is in the audit trail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
E="--endpoint-url $COFFER_HTTP"
bucket=sse-kms-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
key=$(aws kms create-key --description "objects of $bucket" $E --query KeyMetadata.Arn --output text)
aws s3api create-bucket --bucket "$bucket" $E >/dev/null
echo "quarterly numbers" > "$work/report.txt"
# The AWS managed key aws/s3 (created on first use), then a named key with a context.
aws s3api put-object --bucket "$bucket" --key managed.txt --body "$work/report.txt" --server-side-encryption aws:kms $E \
  --query '{SSE: ServerSideEncryption, Key: SSEKMSKeyId}'
aws s3api put-object --bucket "$bucket" --key named.txt --body "$work/report.txt" --server-side-encryption aws:kms \
  --ssekms-key-id "$key" --ssekms-encryption-context "$(printf '{"department":"finance"}' | base64)" $E \
  --query '{SSE: ServerSideEncryption, Key: SSEKMSKeyId, Context: SSEKMSEncryptionContext}'
# Bucket default: SSE-KMS with a bucket key (one key-service call serves many objects).
aws s3api put-bucket-encryption --bucket "$bucket" $E --server-side-encryption-configuration \
  "{\"Rules\": [{\"ApplyServerSideEncryptionByDefault\": {\"SSEAlgorithm\": \"aws:kms\", \"KMSMasterKeyID\": \"$key\"}, \"BucketKeyEnabled\": true}]}"
for i in 1 2 3; do aws s3api put-object --bucket "$bucket" --key "default-$i.txt" --body "$work/report.txt" $E >/dev/null; done
aws s3api head-object --bucket "$bucket" --key default-1.txt $E --query '{SSE: ServerSideEncryption, Key: SSEKMSKeyId, BucketKey: BucketKeyEnabled}'
head -c $((12 * 1024 * 1024)) /dev/urandom > "$work/big.bin"
aws s3 cp "$work/big.bin" "s3://$bucket/big.bin" --sse aws:kms --sse-kms-key-id "$key" --only-show-errors $E
aws s3 cp "s3://$bucket/big.bin" "$work/back.bin" --only-show-errors $E && cmp "$work/big.bin" "$work/back.bin" && echo "multipart SSE-KMS round trip: ok"
# A disabled key stops reads of what it protects; enabling it again brings them back.
aws kms disable-key --key-id "$key" $E
aws s3api get-object --bucket "$bucket" --key named.txt "$work/out" $E 2>&1 | tail -1 || true
aws kms enable-key --key-id "$key" $E
aws s3api get-object --bucket "$bucket" --key named.txt "$work/out" $E >/dev/null && cat "$work/out"
aws s3 rm "s3://$bucket" --recursive --only-show-errors $E
aws s3api delete-bucket --bucket "$bucket" $E
