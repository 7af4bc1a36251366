#!/usr/bin/env bash
# The S3 basics against a running Coffer over HTTP: bucket, put, get, list, range, copy,
# multipart (aws s3 cp of a 20 MiB file), presigned URL, delete.
set -euo pipefail
source "$(dirname "$0")/env.sh"
E="--endpoint-url $COFFER_HTTP"
bucket=quickstart-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

aws s3api create-bucket --bucket "$bucket" $E
echo "hello, coffer" > "$work/hello.txt"
aws s3api put-object --bucket "$bucket" --key docs/hello.txt --body "$work/hello.txt" \
  --content-type text/plain --metadata team=security $E
aws s3api head-object --bucket "$bucket" --key docs/hello.txt $E
aws s3api get-object --bucket "$bucket" --key docs/hello.txt --range bytes=0-4 "$work/part.txt" $E
echo "first five bytes: $(cat "$work/part.txt")"
aws s3api copy-object --bucket "$bucket" --key docs/copy.txt --copy-source "$bucket/docs/hello.txt" $E
aws s3api list-objects-v2 --bucket "$bucket" --delimiter / --prefix docs/ $E

head -c $((20 * 1024 * 1024)) /dev/urandom > "$work/big.bin"
aws s3 cp "$work/big.bin" "s3://$bucket/big.bin" --only-show-errors $E   # multipart above 8 MiB
aws s3 cp "s3://$bucket/big.bin" "$work/big.out" --only-show-errors $E
cmp "$work/big.bin" "$work/big.out" && echo "20 MiB round trip: identical"

url=$(aws s3 presign "s3://$bucket/docs/hello.txt" --expires-in 300 $E)
echo "presigned GET: $(curl -sf "$url")"

aws s3 rm "s3://$bucket" --recursive $E
aws s3api delete-bucket --bucket "$bucket" $E
echo "quickstart done"
