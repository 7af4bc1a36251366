#!/usr/bin/env bash
# Object and bucket tagging as on S3: tags on PUT, copy and multipart, Put/Get/DeleteObjectTagging,
# the tag count on HEAD, an SSE-C object tagged without its key, S3's limits, bucket tags, a
# bucket policy that requires a classification tag (proven with the dry run first), and the
# tagging calls in the audit trail. Run from the repository root against a server started with
# scripts/serve.sh on ./coffer-data.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
E="--endpoint-url $COFFER_HTTP"
S="--endpoint-url $COFFER_HTTPS --ca-bundle $CA_BUNDLE"
bucket=tagging-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "quarterly numbers" > "$work/q1.csv"
aws s3api create-bucket --bucket "$bucket" $E > /dev/null

echo "== tags on PUT (x-amz-tagging, URL-encoded), read back in the order sent"
aws s3api put-object --bucket "$bucket" --key reports/q1.csv --body "$work/q1.csv" \
  --tagging "classification=internal&team=finance&reviewed%20by=ana" $E > /dev/null
aws s3api get-object-tagging --bucket "$bucket" --key reports/q1.csv $E --query 'TagSet[].[Key, Value]' --output text
echo "HEAD says how many (x-amz-tagging-count): $(aws s3api head-object --bucket "$bucket" --key reports/q1.csv $E --query TagCount)"

echo "== PutObjectTagging replaces the whole set; the ETag does not change (the data is not rewritten)"
before=$(aws s3api head-object --bucket "$bucket" --key reports/q1.csv $E --query ETag --output text)
aws s3api put-object-tagging --bucket "$bucket" --key reports/q1.csv \
  --tagging 'TagSet=[{Key=classification,Value=confidential}]' $E
aws s3api get-object-tagging --bucket "$bucket" --key reports/q1.csv $E --query 'TagSet[].[Key, Value]' --output text
[ "$before" = "$(aws s3api head-object --bucket "$bucket" --key reports/q1.csv $E --query ETag --output text)" ] && echo "same ETag: $before"

echo "== copies: COPY (the default) keeps the source's tags, REPLACE takes x-amz-tagging"
aws s3api copy-object --bucket "$bucket" --key copy-keeps.csv --copy-source "$bucket/reports/q1.csv" $E > /dev/null
aws s3api copy-object --bucket "$bucket" --key copy-replaces.csv --copy-source "$bucket/reports/q1.csv" \
  --tagging-directive REPLACE --tagging "classification=public" $E > /dev/null
echo "copy-keeps:    $(aws s3api get-object-tagging --bucket "$bucket" --key copy-keeps.csv $E --query 'TagSet[].Value' --output text)"
echo "copy-replaces: $(aws s3api get-object-tagging --bucket "$bucket" --key copy-replaces.csv $E --query 'TagSet[].Value' --output text)"

echo "== multipart: the upload carries the tags to the object it completes"
upload=$(aws s3api create-multipart-upload --bucket "$bucket" --key big.bin --tagging "classification=internal" $E --query UploadId --output text)
etag=$(aws s3api upload-part --bucket "$bucket" --key big.bin --upload-id "$upload" --part-number 1 --body "$work/q1.csv" $E --query ETag --output text)
aws s3api complete-multipart-upload --bucket "$bucket" --key big.bin --upload-id "$upload" \
  --multipart-upload "Parts=[{PartNumber=1,ETag=$etag}]" $E > /dev/null
aws s3api get-object-tagging --bucket "$bucket" --key big.bin $E --query 'TagSet[].[Key, Value]' --output text

echo "== an SSE-C object (HTTPS): tags are metadata, so tagging needs no customer key"
key=$(head -c 24 /dev/urandom | base64 | head -c 32)
aws s3api put-object --bucket "$bucket" --key secret.txt --body "$work/q1.csv" --sse-customer-algorithm AES256 \
  --sse-customer-key "$key" --tagging "classification=confidential" $S > /dev/null
aws s3api put-object-tagging --bucket "$bucket" --key secret.txt --tagging 'TagSet=[{Key=classification,Value=restricted}]' $S
aws s3api get-object-tagging --bucket "$bucket" --key secret.txt $S --query 'TagSet[].[Key, Value]' --output text
aws s3api delete-object-tagging --bucket "$bucket" --key secret.txt $S

echo "== S3's limits: more than 10 tags, an aws: key"
many=$(for i in $(seq 1 11); do printf '{Key=k%s,Value=v},' "$i"; done)
aws s3api put-object-tagging --bucket "$bucket" --key reports/q1.csv --tagging "TagSet=[${many%,}]" $E 2>&1 | tail -1 || true
aws s3api put-object-tagging --bucket "$bucket" --key reports/q1.csv --tagging 'TagSet=[{Key=aws:owner,Value=me}]' $E 2>&1 | tail -1 || true

echo "== bucket tags (404 NoSuchTagSet until set)"
aws s3api get-bucket-tagging --bucket "$bucket" $E 2>&1 | tail -1 || true
aws s3api put-bucket-tagging --bucket "$bucket" --tagging 'TagSet=[{Key=cost-center,Value=4711},{Key=owner,Value=finance}]' $E
aws s3api get-bucket-tagging --bucket "$bucket" $E --query 'TagSet[].[Key, Value]' --output text
aws s3api delete-bucket-tagging --bucket "$bucket" $E

echo "== a policy requiring a classification: the dry run first, then the server"
"$bin" policy simulate bucket-policies/require-object-tags.json --principal arn:aws:iam::123456789012:user/alice \
  --http "PUT /example-bucket/reports/q2.csv" --header "x-amz-tagging: team=finance" | sed -n '/^decision/,$p'
"$bin" policy test bucket-policies/require-object-tags.cases.json | tail -1
sed "s/example-bucket/$bucket/g" bucket-policies/require-object-tags.json > "$work/policy.json"
aws s3api put-bucket-policy --bucket "$bucket" --policy "file://$work/policy.json" $E
aws s3api put-object --bucket "$bucket" --key untagged.csv --body "$work/q1.csv" $E 2>&1 | tail -1 || true
aws s3api put-object --bucket "$bucket" --key q2.csv --body "$work/q1.csv" --tagging "classification=public" $E --query ETag --output text
aws s3api delete-object-tagging --bucket "$bucket" --key q2.csv $E 2>&1 | tail -1 || true
aws s3api delete-bucket-policy --bucket "$bucket" $E

echo "== the tagging calls in the audit trail"
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --bucket "$bucket" --event-name PutObjectTagging
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --bucket "$bucket" --event-name DeleteObjectTagging --format jsonl | head -1

aws s3 rm "s3://$bucket" --recursive --only-show-errors $E
aws s3api delete-bucket --bucket "$bucket" $E
