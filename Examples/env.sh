# Sourced by the examples: points the aws CLI at a local Coffer.
# Uses AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when set, else the root credentials that
# `coffer serve` generated in $COFFER_DATA_DIR (default ./coffer-data).
COFFER_DATA_DIR=${COFFER_DATA_DIR:-./coffer-data}
COFFER_HTTP=${COFFER_HTTP:-http://127.0.0.1:9000}
COFFER_HTTPS=${COFFER_HTTPS:-https://127.0.0.1:9443}
if [ -z "${AWS_ACCESS_KEY_ID:-}" ]; then
  creds="$COFFER_DATA_DIR/root-credentials.json"
  [ -r "$creds" ] || { echo "no credentials: export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or set COFFER_DATA_DIR" >&2; exit 1; }
  AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accessKeyId"])' "$creds")
  AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secretAccessKey"])' "$creds")
fi
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
# aws CLI v1 presigns with SigV2 unless told otherwise. Coffer accepts SigV2 (--sigv2 allow,
# the default), but the examples use SigV4, as S3 recommends (presign.sh shows both).
export AWS_CONFIG_FILE=${AWS_CONFIG_FILE:-$(mktemp)}
grep -q signature_version "$AWS_CONFIG_FILE" 2>/dev/null || printf '[default]\ns3 =\n    signature_version = s3v4\n' >> "$AWS_CONFIG_FILE"
CA_BUNDLE="$COFFER_DATA_DIR/tls/ca.pem"
