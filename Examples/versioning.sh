#!/usr/bin/env bash
# Versioning as on S3: enable it, write three versions, read each by id, a delete marker (404 with
# the marker's headers, 405 when named by id), removing the marker brings the object back, a
# copy of an old version, ListObjectVersions, a suspended bucket's null version replaced while
# the versions with ids stay, and the deny-delete-object-versions policy proven with the dry run
# and then enforced. Run from the repository root against a server started with scripts/serve.sh
# on ./coffer-data.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
E="--endpoint-url $COFFER_HTTP"
S="--endpoint-url $COFFER_HTTPS --ca-bundle $CA_BUNDLE"
bucket=versioning-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
aws s3api create-bucket --bucket "$bucket" $E > /dev/null

echo "== a bucket starts unversioned (an empty configuration), then versioning is enabled"
aws s3api get-bucket-versioning --bucket "$bucket" $E
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled $E
aws s3api get-bucket-versioning --bucket "$bucket" $E --query Status --output text

echo "== every write makes a version with its own id (sealed on its own: its own data key)"
ids=()
for n in 1 2 3; do
  echo "draft $n" > "$work/report.txt"
  ids+=("$(aws s3api put-object --bucket "$bucket" --key report.txt --body "$work/report.txt" \
    --server-side-encryption AES256 $S --query VersionId --output text)")
done
printf '  %s\n' "${ids[@]}"
for id in "${ids[@]}"; do
  aws s3api get-object --bucket "$bucket" --key report.txt --version-id "$id" "$work/out" $S > /dev/null
  echo "  $id: $(cat "$work/out")"
done

echo "== DELETE without a version id adds a delete marker: the key answers 404 (x-amz-delete-marker: true)"
marker=$(aws s3api delete-object --bucket "$bucket" --key report.txt $E --query VersionId --output text)
echo "  marker $marker"
aws s3api head-object --bucket "$bucket" --key report.txt $E 2>&1 | tail -1 || true
echo "  the marker by id is 405 MethodNotAllowed:"
aws s3api get-object --bucket "$bucket" --key report.txt --version-id "$marker" "$work/out" $E 2>&1 | tail -1 || true
aws s3api list-object-versions --bucket "$bucket" $E \
  --query '{Versions: Versions[].[VersionId, IsLatest, Size], DeleteMarkers: DeleteMarkers[].[VersionId, IsLatest]}'

echo "== removing the marker (DELETE with its version id) brings the object back"
aws s3api delete-object --bucket "$bucket" --key report.txt --version-id "$marker" $E
aws s3 cp "s3://$bucket/report.txt" - $E

echo "== a copy of the first version becomes a new version (x-amz-copy-source-version-id names the source)"
aws s3api copy-object --bucket "$bucket" --key restored.txt --copy-source "$bucket/report.txt?versionId=${ids[0]}" $E \
  --query '{CopySourceVersionId: CopySourceVersionId, VersionId: VersionId}'

echo "== a suspended bucket writes the null version: it replaces the previous null version, ids stay"
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Suspended $E
for n in 4 5; do
  echo "draft $n" > "$work/report.txt"
  aws s3api put-object --bucket "$bucket" --key report.txt --body "$work/report.txt" $E --query VersionId --output text
done
aws s3api list-object-versions --bucket "$bucket" --prefix report.txt $E --query 'Versions[].[VersionId, IsLatest]' --output text
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled $E

echo "== keep every version: deny-delete-object-versions, proven with the dry run, then enforced"
"$bin" policy simulate bucket-policies/deny-delete-object-versions.json --principal arn:aws:iam::123456789012:user/alice \
  --http "DELETE /example-bucket/report.txt?versionId=${ids[0]}" || true
sed "s/example-bucket/$bucket/g" bucket-policies/deny-delete-object-versions.json > "$work/policy.json"
aws s3api put-bucket-policy --bucket "$bucket" --policy "file://$work/policy.json" $E
aws s3api delete-object --bucket "$bucket" --key report.txt --version-id "${ids[0]}" $E 2>&1 | tail -1 || true
echo "  a plain DELETE still adds a marker: $(aws s3api delete-object --bucket "$bucket" --key report.txt $E --query DeleteMarker)"
aws s3api delete-bucket-policy --bucket "$bucket" $E

echo "== each version removal is a DeleteObject record with its versionId in the audit trail"
"$bin" audit read --data-dir "$COFFER_DATA_DIR" --bucket "$bucket" --event-name DeleteObject --format jsonl \
  | python3 -c 'import json,sys; [print("  ", r["requestParameters"]["key"], r["requestParameters"].get("versionId", "(no id: a marker)"), r.get("errorCode", "")) for r in map(json.loads, sys.stdin)]'
