#!/usr/bin/env bash
# The same client over HTTPS, trusting the local CA that `coffer serve` generated.
# Over HTTPS the aws CLI streams uploads as aws-chunked with a CRC32 trailer.
set -euo pipefail
source "$(dirname "$0")/env.sh"
S="--endpoint-url $COFFER_HTTPS --ca-bundle $CA_BUNDLE"
bucket=https-demo-$RANDOM
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
aws s3api create-bucket --bucket "$bucket" $S
head -c 100000 /dev/urandom > "$work/data.bin"
aws s3api put-object --bucket "$bucket" --key data.bin --body "$work/data.bin" $S
aws s3api head-object --bucket "$bucket" --key data.bin --checksum-mode ENABLED $S
aws s3api get-object --bucket "$bucket" --key data.bin "$work/back.bin" $S >/dev/null
cmp "$work/data.bin" "$work/back.bin" && echo "HTTPS round trip: identical"
aws s3 rm "s3://$bucket" --recursive $S
aws s3api delete-bucket --bucket "$bucket" $S
