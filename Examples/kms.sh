#!/usr/bin/env bash
# The built-in key service, managed with the real `aws kms` CLI against Coffer's endpoint:
# keys, aliases, encrypt/decrypt with an encryption context, data keys, rotation, states.
set -euo pipefail
source "$(dirname "$0")/env.sh"
E="--endpoint-url $COFFER_HTTP"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
alias=alias/example-$RANDOM
key=$(aws kms create-key --description "example key" $E --query KeyMetadata.KeyId --output text)
aws kms create-alias --alias-name "$alias" --target-key-id "$key" $E
aws kms describe-key --key-id "$alias" $E --query 'KeyMetadata.{Arn: Arn, State: KeyState}'
printf 'launch codes' > "$work/plain"
aws kms encrypt --key-id "$alias" --plaintext "fileb://$work/plain" --encryption-context purpose=demo $E \
  --query CiphertextBlob --output text | base64 -d > "$work/blob"
echo "decrypted: $(aws kms decrypt --ciphertext-blob "fileb://$work/blob" --encryption-context purpose=demo $E --query Plaintext --output text | base64 -d)"
echo "with another context:"; aws kms decrypt --ciphertext-blob "fileb://$work/blob" --encryption-context purpose=other $E 2>&1 | tail -1 || true
aws kms generate-data-key-without-plaintext --key-id "$alias" --key-spec AES_256 $E --query KeyId
aws kms enable-key-rotation --key-id "$key" --rotation-period-in-days 90 $E
aws kms rotate-key-on-demand --key-id "$key" $E >/dev/null
aws kms list-key-rotations --key-id "$key" $E --query 'Rotations[].RotationType'
echo "old ciphertext after rotation: $(aws kms decrypt --ciphertext-blob "fileb://$work/blob" --encryption-context purpose=demo $E --query Plaintext --output text | base64 -d)"
aws kms disable-key --key-id "$key" $E
echo "disabled:"; aws kms decrypt --ciphertext-blob "fileb://$work/blob" --encryption-context purpose=demo $E 2>&1 | tail -1 || true
aws kms enable-key --key-id "$key" $E
aws kms schedule-key-deletion --key-id "$key" --pending-window-in-days 7 $E --query '{State: KeyState, Days: PendingWindowInDays}'
aws kms cancel-key-deletion --key-id "$key" $E >/dev/null
aws kms describe-key --key-id "$key" $E --query KeyMetadata.KeyState
aws kms delete-alias --alias-name "$alias" $E
