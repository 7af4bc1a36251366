#!/usr/bin/env bash
# Object Lock as on S3 (docs/object-lock.md): a bucket created with Object Lock, its default
# retention, a GOVERNANCE version whose deletion is refused until the bypass is asked for, a
# COMPLIANCE version that cannot be shortened (only extended), a legal hold that refuses a
# deletion until it is released, and the lock changes in the audit trail. Run from the
# repository root against a server started with scripts/serve.sh on ./coffer-data.
#
# COMPLIANCE versions cannot be deleted before their date by anyone: this script gives its one
# a retention of a minute, so the bucket it leaves behind can be emptied a minute later.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
E="--endpoint-url $COFFER_HTTP"
bucket=object-lock-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# A date `seconds` from now, in ISO 8601 (UTC).
later() { python3 -c 'import datetime,sys; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }
# The last line of a refused call's error (the CLI exits non-zero).
refused() { "$@" 2>&1 | tail -1 || true; }

echo "== a bucket created with Object Lock is versioned for good"
aws s3api create-bucket --bucket "$bucket" --object-lock-enabled-for-bucket $E > /dev/null
aws s3api get-bucket-versioning --bucket "$bucket" $E --query Status --output text
echo "  suspending it: $(refused aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Suspended $E)"

echo "== a default retention: every version written without lock headers gets GOVERNANCE for 1 day"
aws s3api put-object-lock-configuration --bucket "$bucket" $E \
  --object-lock-configuration '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}'
aws s3api get-object-lock-configuration --bucket "$bucket" $E --query ObjectLockConfiguration.Rule.DefaultRetention
echo "report" > "$work/report.txt"
plain=$(aws s3api put-object --bucket "$bucket" --key plain.txt --body "$work/report.txt" $E --query VersionId --output text)
aws s3api get-object-retention --bucket "$bucket" --key plain.txt --version-id "$plain" $E --query Retention
echo "  (removing the default again)"
aws s3api put-object-lock-configuration --bucket "$bucket" --object-lock-configuration '{"ObjectLockEnabled": "Enabled"}' $E
aws s3api delete-object --bucket "$bucket" --key plain.txt --version-id "$plain" --bypass-governance-retention $E > /dev/null

echo "== a GOVERNANCE version: deleting it by id is refused, with the bypass it goes"
governed=$(aws s3api put-object --bucket "$bucket" --key governed.txt --body "$work/report.txt" $E \
  --object-lock-mode GOVERNANCE --object-lock-retain-until-date "$(later 86400)" --query VersionId --output text)
aws s3api head-object --bucket "$bucket" --key governed.txt --version-id "$governed" $E \
  --query '{Mode: ObjectLockMode, RetainUntil: ObjectLockRetainUntilDate}'
echo "  delete: $(refused aws s3api delete-object --bucket "$bucket" --key governed.txt --version-id "$governed" $E)"
echo "  a DELETE without a version id only adds a marker: $(aws s3api delete-object --bucket "$bucket" --key governed.txt $E --query DeleteMarker)"
aws s3api delete-object --bucket "$bucket" --key governed.txt --version-id "$governed" --bypass-governance-retention $E > /dev/null
echo "  deleted with --bypass-governance-retention (the header, and s3:BypassGovernanceRetention: root has it)"

echo "== a COMPLIANCE version: no bypass, never shortened, only extended"
kept=$(aws s3api put-object --bucket "$bucket" --key kept.txt --body "$work/report.txt" $E \
  --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$(later 60)" --query VersionId --output text)
echo "  delete with the bypass: $(refused aws s3api delete-object --bucket "$bucket" --key kept.txt --version-id "$kept" --bypass-governance-retention $E)"
echo "  shortened: $(refused aws s3api put-object-retention --bucket "$bucket" --key kept.txt --version-id "$kept" $E \
  --retention "{\"Mode\": \"COMPLIANCE\", \"RetainUntilDate\": \"$(later 30)\"}")"
aws s3api put-object-retention --bucket "$bucket" --key kept.txt --version-id "$kept" $E \
  --retention "{\"Mode\": \"COMPLIANCE\", \"RetainUntilDate\": \"$(later 90)\"}"
echo "  extended: $(aws s3api get-object-retention --bucket "$bucket" --key kept.txt --version-id "$kept" $E --query Retention.RetainUntilDate --output text)"
echo "  a retain-until date in the past: $(refused aws s3api put-object-retention --bucket "$bucket" --key kept.txt --version-id "$kept" $E \
  --retention "{\"Mode\": \"COMPLIANCE\", \"RetainUntilDate\": \"2001-01-01T00:00:00Z\"}")"

echo "== a legal hold refuses a deletion, whatever the retention, until it is released"
held=$(aws s3api put-object --bucket "$bucket" --key held.txt --body "$work/report.txt" $E --query VersionId --output text)
aws s3api put-object-legal-hold --bucket "$bucket" --key held.txt --version-id "$held" --legal-hold Status=ON $E
aws s3api get-object-legal-hold --bucket "$bucket" --key held.txt --version-id "$held" $E --query LegalHold.Status --output text
echo "  delete: $(refused aws s3api delete-object --bucket "$bucket" --key held.txt --version-id "$held" --bypass-governance-retention $E)"
aws s3api put-object-legal-hold --bucket "$bucket" --key held.txt --version-id "$held" --legal-hold Status=OFF $E
aws s3api delete-object --bucket "$bucket" --key held.txt --version-id "$held" $E > /dev/null
echo "  released, then deleted"

echo "== an existing bucket cannot get Object Lock (409, as on S3 before 2023)"
aws s3api create-bucket --bucket "$bucket-plain" $E > /dev/null
echo "  $(refused aws s3api put-object-lock-configuration --bucket "$bucket-plain" --object-lock-configuration '{"ObjectLockEnabled": "Enabled"}' $E)"
aws s3api delete-bucket --bucket "$bucket-plain" $E

echo "== every retention change is a PutObjectRetention record (refusals with their errorCode), every refused delete a DeleteObject one"
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --bucket "$bucket" --event-name PutObjectRetention --format jsonl \
  | python3 -c 'import json,sys; [print("  ", r["requestParameters"]["key"], json.dumps(r["requestParameters"].get("retention")), "bypass:", r["requestParameters"].get("bypassGovernanceRetention"), r.get("errorCode", "")) for r in map(json.loads, sys.stdin)]'
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --bucket "$bucket" --event-name DeleteObject --errors-only --format jsonl \
  | python3 -c 'import json,sys; [print("  ", r["requestParameters"]["key"], r["requestParameters"].get("versionId"), r["errorCode"], r.get("errorMessage", "")) for r in map(json.loads, sys.stdin)]'
echo "== $bucket keeps kept.txt under COMPLIANCE for about 90 seconds; then delete its versions and the bucket"
