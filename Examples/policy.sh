#!/usr/bin/env bash
# Bucket policies: prove a policy with `coffer policy` (lint, simulate, test), then deploy it
# and watch the server give the same answers. Run from the repository root against a server
# started with scripts/serve.sh (the simulate steps need no server).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
E="--endpoint-url $COFFER_HTTP"
S="--endpoint-url $COFFER_HTTPS --ca-bundle $CA_BUNDLE"
bucket=policy-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

echo "== lint: what PutBucketPolicy checks, plus likely mistakes"
"$bin" policy lint bucket-policies/require-sse-kms.json --bucket example-bucket
cat > "$work/typo.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
  "Resource": "arn:aws:s3:::example-bucket/*",
  "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}
JSON
"$bin" policy lint "$work/typo.json" --bucket example-bucket --strict || echo "(lint --strict exits $?: the Deny is escaped by omitting the header)"

echo "== simulate: the request as the server would see it, and why it is decided so"
"$bin" policy simulate bucket-policies/require-sse-kms.json --principal arn:aws:iam::123456789012:user/alice \
  --http "PUT /example-bucket/reports/q1.csv" --header "x-amz-server-side-encryption: AES256" --secure
"$bin" policy simulate bucket-policies/require-sse-kms.json --principal arn:aws:iam::123456789012:user/alice \
  --http "PUT /example-bucket/reports/q1.csv" --header "x-amz-server-side-encryption: aws:kms" --secure \
  --expect implicit-deny --format json > /dev/null && echo "with aws:kms the policy does not deny it (exit 0 from --expect)"

echo "== test: every case table of the library"
"$bin" policy test bucket-policies/ | tail -1

echo "== deploy it: the server answers as the dry run did"
aws s3api create-bucket --bucket "$bucket" $E > /dev/null
sed "s/example-bucket/$bucket/g" bucket-policies/require-sse-kms.json > "$work/policy.json"
"$bin" policy lint "$work/policy.json" --bucket "$bucket" > /dev/null
aws s3api put-bucket-policy --bucket "$bucket" --policy "file://$work/policy.json" $E
echo "secret" > "$work/file.txt"
aws s3api put-object --bucket "$bucket" --key plain.txt --body "$work/file.txt" $E 2>&1 | tail -1 || true
aws s3api put-object --bucket "$bucket" --key kms.txt --body "$work/file.txt" --server-side-encryption aws:kms $E \
  --query ServerSideEncryption --output text
aws s3api get-bucket-policy-status --bucket "$bucket" $E --query PolicyStatus.IsPublic
echo "== HTTPS only: a second policy, over both listeners"
sed "s/example-bucket/$bucket/g" bucket-policies/https-only.json > "$work/https.json"
aws s3api put-bucket-policy --bucket "$bucket" --policy "file://$work/https.json" $E
aws s3api head-object --bucket "$bucket" --key kms.txt $E 2>&1 | tail -1 || true
aws s3api head-object --bucket "$bucket" --key kms.txt $S --query ServerSideEncryption --output text
aws s3api delete-bucket-policy --bucket "$bucket" $S
aws s3 rm "s3://$bucket" --recursive --only-show-errors $E
aws s3api delete-bucket --bucket "$bucket" $E
