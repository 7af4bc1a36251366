#!/usr/bin/env bash
# Presigned URLs from the aws CLI, both kinds: Signature Version 2 (what aws CLI v1 presigns
# with out of the box: AWSAccessKeyId/Expires/Signature) and SigV4 (X-Amz-*), fetched with
# curl; then a bucket policy that refuses SigV2 the way AWS documents it, while SigV4 still
# works. (`coffer serve --sigv2 deny` refuses SigV2 on the whole server instead.)
set -euo pipefail
source "$(dirname "$0")/env.sh"
E="--endpoint-url $COFFER_HTTP"
bucket=presign-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# env.sh's config asks the CLI for SigV4; with no config at all the CLI presigns with SigV2.
presign_v2() { AWS_CONFIG_FILE=/dev/null aws s3 presign "$@" $E; }

aws s3api create-bucket --bucket "$bucket" $E >/dev/null
echo "shared with a link" > "$work/note.txt"
aws s3 cp "$work/note.txt" "s3://$bucket/note.txt" --only-show-errors $E

v2=$(presign_v2 "s3://$bucket/note.txt" --expires-in 300)
v4=$(aws s3 presign "s3://$bucket/note.txt" --expires-in 300 $E)
echo "SigV2 URL: $v2"
echo "  GET: $(curl -sf "$v2")"
echo "SigV4 URL: $v4"
echo "  GET: $(curl -sf "$v4")"
echo "tampered SigV2 signature: $(curl -s "${v2/Signature=/Signature=A}" | grep -o '<Code>[^<]*</Code>')"

cat > "$work/deny-sigv2.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Sid": "DenySigV2", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
  "Resource": ["arn:aws:s3:::$bucket", "arn:aws:s3:::$bucket/*"],
  "Condition": {"StringEquals": {"s3:signatureversion": "AWS"}}}]}
JSON
aws s3api put-bucket-policy --bucket "$bucket" --policy "file://$work/deny-sigv2.json" $E
echo "with the policy, SigV2: HTTP $(curl -s -o /dev/null -w '%{http_code}' "$v2"); SigV4: $(curl -sf "$v4")"

aws s3api delete-bucket-policy --bucket "$bucket" $E
aws s3 rm "s3://$bucket" --recursive --only-show-errors $E
aws s3api delete-bucket --bucket "$bucket" $E
