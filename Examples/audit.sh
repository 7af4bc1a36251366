#!/usr/bin/env bash
# The audit trail: every key use (and every S3 object operation) on record, read with
# `coffer audit read`, checked with `coffer audit verify`, queried with CloudTrail's
# LookupEvents. Run it against a local server started on ./coffer-data (scripts/serve.sh):
# `coffer audit` reads the trail while the server writes it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
E="--endpoint-url $COFFER_HTTP"
bucket=audit-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
alias=alias/audit-demo-$RANDOM
key=$(aws kms create-key --description "audited key" $E --query KeyMetadata.KeyId --output text)
aws kms create-alias --alias-name "$alias" --target-key-id "$key" $E
aws s3api create-bucket --bucket "$bucket" $E >/dev/null
echo "payroll" > "$work/payroll.csv"
request_id=$(aws s3api put-object --bucket "$bucket" --key payroll.csv --body "$work/payroll.csv" --server-side-encryption aws:kms \
  --ssekms-key-id "$alias" $E --debug 2>&1 | sed -n "s/.*'x-amz-request-id': '\([^']*\)'.*/\1/p" | head -1)
aws s3api get-object --bucket "$bucket" --key payroll.csv "$work/out" $E >/dev/null
aws s3api get-object --bucket "$bucket" --key nope "$work/out" $E 2>/dev/null || true
echo "== every use of the key (table)"
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --key "$key"
echo "== the KMS call the PutObject caused (same request id $request_id), as JSON Lines"
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --request-id "$request_id" --format jsonl | head -2
echo "== errors on this bucket"
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --bucket "$bucket" --errors-only
echo "== CloudTrail LookupEvents on the endpoint"
aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GenerateDataKey --max-results 3 $E \
  --query 'Events[].[EventTime, EventName, Username]' --output text | head -3
echo "== verify the chain and the signed digests"
"$bin" audit verify --data-dir "$COFFER_DATA_DIR"
aws s3 rm "s3://$bucket" --recursive --only-show-errors $E
aws s3api delete-bucket --bucket "$bucket" $E
aws kms delete-alias --alias-name "$alias" $E
