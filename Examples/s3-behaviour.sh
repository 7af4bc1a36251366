#!/usr/bin/env bash
# S3 behaviour a client meets: GetObjectAttributes (parts paged, with their checksums),
# GET by part number, ListBuckets pages, UTF-8 metadata answered RFC 2047-encoded, and
# DeleteBucket taking the incomplete multipart uploads with it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
S="--endpoint-url $COFFER_HTTP"
bucket=behaviour-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
aws s3api create-bucket --bucket "$bucket" $S >/dev/null

# A three-part upload with CRC32 checksums, then its attributes, two parts per page.
head -c $((5 * 1024 * 1024)) /dev/urandom > "$work/part"
upload=$(aws s3api create-multipart-upload --bucket "$bucket" --key big.bin --checksum-algorithm CRC32 $S --query UploadId --output text)
parts=""
for n in 1 2 3; do
    etag=$(aws s3api upload-part --bucket "$bucket" --key big.bin --upload-id "$upload" --part-number $n \
        --body "$work/part" --checksum-algorithm CRC32 $S --query '[ETag,ChecksumCRC32]' --output text)
    parts+="{\"PartNumber\":$n,\"ETag\":$(printf '%s' "${etag%%$'\t'*}" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'),\"ChecksumCRC32\":\"${etag##*$'\t'}\"},"
done
aws s3api complete-multipart-upload --bucket "$bucket" --key big.bin --upload-id "$upload" \
    --multipart-upload "{\"Parts\":[${parts%,}]}" $S >/dev/null
echo "== get-object-attributes, 2 parts per page"
aws s3api get-object-attributes --bucket "$bucket" --key big.bin --max-parts 2 \
    --object-attributes ETag ObjectSize ObjectParts Checksum $S
echo "== part 2 alone, then a part the object lacks (400 InvalidPart)"
aws s3api head-object --bucket "$bucket" --key big.bin --part-number 2 $S --query '[ContentLength,PartsCount]' --output text
aws s3api head-object --bucket "$bucket" --key big.bin --part-number 4 $S 2>&1 | tail -1 || true

echo "== metadata beyond US-ASCII comes back RFC 2047-encoded; Python decodes it"
aws s3api put-object --bucket "$bucket" --key meta.txt --metadata '{"city": "=?UTF-8?B?WsO8cmljaA==?="}' $S >/dev/null
aws s3api head-object --bucket "$bucket" --key meta.txt $S --query Metadata.city --output text \
    | python3 -c 'import email.header,sys; print(str(email.header.make_header(email.header.decode_header(sys.stdin.read().strip()))))'

echo "== ListBuckets, one bucket per page"
aws s3api list-buckets --max-buckets 1 --prefix behaviour-demo- $S --query '[Buckets[].Name,ContinuationToken]'

echo "== an incomplete upload does not keep the bucket alive"
aws s3 rm "s3://$bucket" --recursive --only-show-errors $S
aws s3api create-multipart-upload --bucket "$bucket" --key left-behind $S >/dev/null
aws s3 rb "s3://$bucket" $S
