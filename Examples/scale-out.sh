#!/usr/bin/env bash
# Scale-out: a throwaway one-node Ceph cluster (scripts/ceph-dev.sh, 15-20 s) and two stateless
# `coffer serve --storage rados` nodes over its pool, each with its own data dir (credentials,
# TLS, audit signing key) and node name, sharing the deployment's root credentials and SSE-S3
# root key (generated here). Node A writes in every SSE mode with the aws CLI, node B reads at
# once; a KMS key made on A is used on B; a delete on B is seen on A; a node given another root
# key is refused; both nodes' audit trails are read merged from the cluster. Everything is
# stopped and removed at the end. Needs the Ceph daemons and a coffer built with librados
# (scripts/install-deps.sh --test, then swift build). docs/scale-out.md.
# With COFFER_RADOS_CONF set it uses that cluster instead, and its pool COFFER_RADOS_POOL
# (default coffer), which must exist and be empty (the first node records its root key there).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COFFER_BIN:-.build/release/coffer}
[ -x "$bin" ] || bin=.build/debug/coffer
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ ! -d "$work/ceph" ] || scripts/ceph-dev.sh down "$work/ceph" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

pool=${COFFER_RADOS_POOL:-coffer}
if [ -n "${COFFER_RADOS_CONF:-}" ]; then
  conf=$COFFER_RADOS_CONF
  echo "== the cluster of $conf, pool $pool"
else
  echo "== a one-node Ceph cluster in $work/ceph (scripts/ceph-dev.sh up)"
  scripts/ceph-dev.sh up "$work/ceph" >/dev/null
  conf=$work/ceph/ceph.conf
fi
unset COFFER_RADOS_CONF COFFER_RADOS_POOL  # the nodes get them as flags

echo "== the deployment's secrets, the same on every node: root credentials and the SSE-S3 root key"
export COFFER_ROOT_ACCESS_KEY=SCALEOUT$(openssl rand -hex 6 | tr a-f A-F)
export COFFER_ROOT_SECRET_KEY=$(openssl rand -base64 30)
export COFFER_SSE_S3_ROOT_KEY=$(openssl rand -base64 32)
export AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
echo "  root access key $COFFER_ROOT_ACCESS_KEY; root key: 32 random bytes in COFFER_SSE_S3_ROOT_KEY"

# start NAME HTTP-PORT HTTPS-PORT [serve arguments...]: a node on the cluster's pool.
start() {
  local name=$1 http=$2 https=$3
  shift 3
  "$bin" serve --storage rados --rados-conf "$conf" --rados-pool "$pool" --node-name "$name" --data-dir "$work/$name" \
    --http-address "127.0.0.1:$http" --https-address "127.0.0.1:$https" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$http/_coffer/health" >/dev/null && return
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "  node $name exited:"; tail -3 "$work/$name.log"; return 1; }
    sleep 0.1
  done
  echo "node $name did not start" >&2; exit 1
}
start node-a 19103 19443
start node-b 19104 19444
A="--endpoint-url http://127.0.0.1:19103"
B="--endpoint-url http://127.0.0.1:19104"
AS="--endpoint-url https://127.0.0.1:19443 --ca-bundle $work/node-a/tls/ca.pem"
BS="--endpoint-url https://127.0.0.1:19444 --ca-bundle $work/node-b/tls/ca.pem"
grep Store: "$work/node-a.out"
echo "  node-a on :19103 (HTTPS :19443), node-b on :19104 (HTTPS :19444), each with its own CA"

echo "== a bucket made on A is listed on B"
aws s3api create-bucket --bucket shared $A >/dev/null
aws s3api list-buckets $B --query 'Buckets[].Name' --output text

echo "== written on A, read on B at once: SSE-S3, SSE-KMS with a key made through A's KMS endpoint, SSE-C"
head -c 300000 /dev/urandom >"$work/body"
key=$(aws kms create-key --description scale-out $A --query KeyMetadata.KeyId --output text)
ssec=$(openssl rand -hex 16)
aws s3 cp "$work/body" s3://shared/sse-s3 --sse AES256 $A --only-show-errors
aws s3 cp "$work/body" s3://shared/sse-kms --sse aws:kms --sse-kms-key-id "$key" $A --only-show-errors
aws s3 cp "$work/body" s3://shared/sse-c --sse-c AES256 --sse-c-key "$ssec" $AS --only-show-errors
for k in sse-s3 sse-kms sse-c; do
  extra=()
  [ $k != sse-c ] || extra=(--sse-c AES256 --sse-c-key "$ssec")
  ep=$B
  [ $k != sse-c ] || ep=$BS
  aws s3 cp "s3://shared/$k" "$work/$k.back" "${extra[@]}" $ep --only-show-errors
  cmp -s "$work/body" "$work/$k.back" && echo "  $k: node B read the 300000 bytes node A wrote"
done
aws s3api head-object --bucket shared --key sse-kms $B --query '{ETag: ETag, SSE: ServerSideEncryption, Key: SSEKMSKeyId}'

echo "== the KMS key made on A, disabled on A, refuses an SSE-KMS write on B; enabled again, B writes"
aws kms disable-key --key-id "$key" $A
aws s3api put-object --bucket shared --key refused --body "$work/body" --server-side-encryption aws:kms --ssekms-key-id "$key" $B 2>&1 | tail -1 || true
aws kms enable-key --key-id "$key" $A
aws s3api put-object --bucket shared --key accepted --body "$work/body" --server-side-encryption aws:kms --ssekms-key-id "$key" $B --query SSEKMSKeyId --output text

echo "== deleted on B: gone on A"
aws s3 rm s3://shared/sse-s3 $B --only-show-errors
aws s3api head-object --bucket shared --key sse-s3 $A 2>&1 | tail -1 || true
aws s3 ls s3://shared/ $A

echo "== a node with another SSE-S3 root key is refused: it could not open the others' objects"
COFFER_SSE_S3_ROOT_KEY=$(openssl rand -base64 32) start node-c 19105 19445 || true

echo "== each node writes its own audit trail into the cluster; read merged, verified one by one"
"$bin" audit read --storage rados --rados-conf "$conf" --rados-pool "$pool" --bucket shared --event-name PutObject
"$bin" audit verify --storage rados --rados-conf "$conf" --rados-pool "$pool"
