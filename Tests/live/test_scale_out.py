"""Scale-out: two `coffer serve --storage rados` nodes (A and B) over one RADOS pool, each with its
own data dir (credentials, TLS, audit signing key) and node name, the same root credentials and
the same SSE-S3 root key, driven with boto3 and the aws CLI over HTTP and HTTPS (each node's own
CA). What one node writes the other reads at once, in every SSE mode; a multipart upload spans
both; racing conditional creates have one winner across nodes; bucket policies, KMS key states
and aliases changed on one node hold on the other at once; a node with another root key, or
another running node's name, is refused; a node killed under load loses no acknowledged write.

Runs only against a cluster (COFFER_TEST_RADOS_CONF, set by scripts/test.sh), on a pool of its
own, created for this module and deleted after it."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import json
import os
import subprocess
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import aws_cli_error_code, kms_client, unique_bucket_name
from coffer_live import ServerError, client_error, multipart_etag
from scale_out_live import RADOS_CONF, RADOS_USER, Cluster, ceph, needs_cluster, new_root_key, two_nodes, wait_until

pytestmark = needs_cluster

MiB = 1024 * 1024
PKG = 65536
SSEC_KEY = bytes(range(32))
CLI_SSEC_KEY = "0123456789abcdef0123456789abcdef"  # the aws CLI sends these 32 bytes, base64-encoded

# (transport, mode): SSE-C only over HTTPS, as S3 requires.
MODES = [("http", "sse-s3"), ("http", "sse-kms"), ("https", "sse-s3"), ("https", "sse-kms"), ("https", "sse-c")]


@pytest.fixture(scope="module")
def cluster(workdir, coffer_binary):
    with two_nodes(workdir, coffer_binary, "scale-out") as c:
        yield c


@pytest.fixture(scope="module")
def kms_key(cluster) -> dict:
    """A customer managed key created through node A's KMS endpoint with the aws CLI."""
    return cluster.a.aws_json("kms", "create-key", "--description", "scale-out test key")["KeyMetadata"]


@pytest.fixture
def bucket(cluster, request) -> str:
    """A fresh bucket, created on node A."""
    name = unique_bucket_name(request.node.name)
    cluster.a.client().create_bucket(Bucket=name)
    return name


def write_args(mode: str, kms_key: dict | None = None) -> dict:
    return {
        "sse-s3": {"ServerSideEncryption": "AES256"},
        "sse-kms": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key["KeyId"] if kms_key else ""},
        "sse-c": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSEC_KEY},
    }[mode]


def read_args(mode: str) -> dict:
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSEC_KEY} if mode == "sse-c" else {}


def cli_write_args(mode: str, kms_key: dict) -> list[str]:
    return {
        "sse-s3": ["--sse", "AES256"],
        "sse-kms": ["--sse", "aws:kms", "--sse-kms-key-id", kms_key["KeyId"]],
        "sse-c": ["--sse-c", "AES256", "--sse-c-key", CLI_SSEC_KEY],
    }[mode]


def cli_read_args(mode: str) -> list[str]:
    """SSE-C arguments of `aws s3 cp`."""
    return ["--sse-c", "AES256", "--sse-c-key", CLI_SSEC_KEY] if mode == "sse-c" else []


def s3api_read_args(mode: str) -> list[str]:
    """SSE-C arguments of `aws s3api` reads."""
    return ["--sse-customer-algorithm", "AES256", "--sse-customer-key", CLI_SSEC_KEY] if mode == "sse-c" else []


def assert_encryption(resp: dict, mode: str, kms_key: dict | None, key: bytes = SSEC_KEY) -> None:
    if mode == "sse-s3":
        assert resp.get("ServerSideEncryption") == "AES256", resp
    elif mode == "sse-kms":
        assert resp.get("ServerSideEncryption") == "aws:kms", resp
        assert resp.get("SSEKMSKeyId") == kms_key["Arn"], resp
    else:
        assert resp.get("SSECustomerAlgorithm") == "AES256", resp
        assert resp.get("SSECustomerKeyMD5") == base64.b64encode(hashlib.md5(key).digest()).decode(), resp


def coffer_audit(cluster: Cluster, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`coffer audit ARGS --storage rados ...`: every node's trail in the cluster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    cmd = [cluster.binary, "audit", *args, "--storage", "rados", "--rados-conf", RADOS_CONF, "--rados-pool", cluster.pool.name,
           "--rados-user", RADOS_USER]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    if check:
        assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def audit_records(cluster: Cluster, *filters: str) -> list[dict]:
    r = coffer_audit(cluster, "read", "--format", "jsonl", *filters)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def assert_trails_verify(cluster: Cluster) -> None:
    """`coffer audit verify --storage rados`: one OK line for each node that ever served."""
    r = coffer_audit(cluster, "verify", check=False)
    assert r.returncode == 0, f"coffer audit verify --storage rados exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    lines = [line for line in r.stdout.splitlines() if line.startswith("node ")]
    assert sorted(line.split(":")[0] for line in lines) == [f"node {n}" for n in cluster.trail_nodes()], r.stdout
    assert all(line.split(": ", 1)[1].startswith("OK") for line in lines), r.stdout


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return client_error(raised.value)


# ----------------------------------------------------------------------------- the cluster itself


def test_nodes_share_one_account_and_each_keeps_its_own_data_dir(cluster):
    a, b = cluster.a, cluster.b
    # The account id was adopted from the cluster: both nodes answer with the same one.
    account_a = kms_client(a).describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["AWSAccountId"]
    account_b = kms_client(b).describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["AWSAccountId"]
    assert account_a == account_b and len(account_a) == 12
    # ... and so the AWS managed key (made on first use by whichever node) is one key.
    assert (kms_client(a).describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
            == kms_client(b).describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"])
    # Their own TLS: different CAs, each verifying its own node only.
    assert a.ca != b.ca
    with open(a.ca, "rb") as fa, open(b.ca, "rb") as fb:
        assert fa.read() != fb.read()
    assert a.client("https").list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert b.client("https").list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    for line in ("Store:", cluster.pool.name):
        assert any(line in s for s in a.server.stdout_lines), a.server.stdout_lines
        assert any(line in s for s in b.server.stdout_lines), b.server.stdout_lines
    # Nothing of the store in the data dirs: no LevelDB database was made there.
    assert not os.path.exists(os.path.join(a.data_dir, "db")), os.listdir(a.data_dir)
    assert not os.path.exists(os.path.join(b.data_dir, "db")), os.listdir(b.data_dir)


def test_buckets_made_on_one_node_are_seen_by_the_other(cluster):
    a, b = cluster.a.client(), cluster.b.client()
    name = unique_bucket_name("buckets")
    b.create_bucket(Bucket=name)
    assert name in [x["Name"] for x in a.list_buckets()["Buckets"]]
    assert a.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    b.put_object(Bucket=name, Key="keep", Body=b"kept")
    # Re-created by its owner on the other node: 200 in us-east-1, as on one node, and nothing lost.
    assert a.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert a.get_object(Bucket=name, Key="keep")["Body"].read() == b"kept"
    assert refused(lambda: b.delete_bucket(Bucket=name)) == (409, "BucketNotEmpty")
    a.delete_object(Bucket=name, Key="keep")
    a.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert b.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    a.delete_bucket(Bucket=name)
    assert refused(lambda: b.head_bucket(Bucket=name)) == (404, "404")
    assert name not in [x["Name"] for x in b.list_buckets()["Buckets"]]


# ----------------------------------------------------------------------------- write on A, read on B


@pytest.mark.parametrize("transport,mode", MODES)
def test_write_on_a_is_read_at_once_on_b(cluster, kms_key, bucket, transport, mode):
    a, b = cluster.a.client(transport), cluster.b.client(transport)
    body = os.urandom(3 * PKG + 123)
    put = a.put_object(Bucket=bucket, Key="doc", Body=body, Metadata={"origin": "node-a"}, **write_args(mode, kms_key))
    assert_encryption(put, mode, kms_key)
    if mode == "sse-s3":  # S3's ETag of an SSE-S3 PUT is the MD5; of SSE-KMS and SSE-C, not
        assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'

    got = b.get_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert got["Metadata"] == {"origin": "node-a"}
    assert_encryption(got, mode, kms_key)
    ranged = b.get_object(Bucket=bucket, Key="doc", Range=f"bytes={PKG - 5}-{2 * PKG + 4}", **read_args(mode))
    assert ranged["Body"].read() == body[PKG - 5:2 * PKG + 5]
    head = b.head_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    assert_encryption(head, mode, kms_key)
    listing = b.list_objects_v2(Bucket=bucket)
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listing["Contents"]] == [("doc", len(body), put["ETag"])]
    if mode == "sse-c":  # B keeps no key either: without it, the object is refused as on one node
        assert refused(lambda: b.get_object(Bucket=bucket, Key="doc"))[0] == 400

    # An overwrite on B is what A reads next.
    body2 = os.urandom(PKG + 1)
    put2 = b.put_object(Bucket=bucket, Key="doc", Body=body2, **write_args(mode, kms_key))
    assert a.get_object(Bucket=bucket, Key="doc", **read_args(mode))["Body"].read() == body2
    assert a.head_object(Bucket=bucket, Key="doc", **read_args(mode))["ETag"] == put2["ETag"]

    b.delete_object(Bucket=bucket, Key="doc")
    assert refused(lambda: a.get_object(Bucket=bucket, Key="doc", **read_args(mode))) == (404, "NoSuchKey")
    assert refused(lambda: a.head_object(Bucket=bucket, Key="doc", **read_args(mode))) == (404, "404")
    assert a.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("transport,mode", MODES)
def test_aws_cli_writes_on_a_and_reads_on_b(cluster, kms_key, bucket, transport, mode, tmp_path):
    a, b = cluster.a, cluster.b
    src = tmp_path / "src.bin"
    body = os.urandom(MiB + 7)
    src.write_bytes(body)
    a.aws("s3", "cp", str(src), f"s3://{bucket}/cli/obj.bin", *cli_write_args(mode, kms_key), "--only-show-errors",
          transport=transport)
    dst = tmp_path / "dst.bin"
    b.aws("s3", "cp", f"s3://{bucket}/cli/obj.bin", str(dst), *cli_read_args(mode), "--only-show-errors", transport=transport)
    assert dst.read_bytes() == body
    head_a = a.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "cli/obj.bin", *s3api_read_args(mode),
                        transport=transport)
    head_b = b.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "cli/obj.bin", *s3api_read_args(mode),
                        transport=transport)
    assert head_b["ETag"] == head_a["ETag"] and head_b["ContentLength"] == len(body)
    if mode == "sse-kms":
        assert head_b["SSEKMSKeyId"] == kms_key["Arn"]
    listed = b.aws_json("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "cli/", transport=transport)
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed["Contents"]] == [("cli/obj.bin", len(body), head_a["ETag"])]
    b.aws("s3", "rm", f"s3://{bucket}/cli/obj.bin", "--only-show-errors", transport=transport)
    r = a.aws("s3api", "head-object", "--bucket", bucket, "--key", "cli/obj.bin", *s3api_read_args(mode),
              transport=transport, check=False)
    assert aws_cli_error_code(r) == "404"


# ----------------------------------------------------------------------------- multipart across nodes


@pytest.mark.parametrize("transport,mode", [("http", "sse-s3"), ("https", "sse-kms"), ("https", "sse-c")])
def test_multipart_begun_on_a_completed_on_b(cluster, kms_key, bucket, transport, mode):
    a, b = cluster.a.client(transport), cluster.b.client(transport)
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(MiB + 17)]
    up = a.create_multipart_upload(Bucket=bucket, Key="big", **write_args(mode, kms_key))
    uid = up["UploadId"]
    # B lists the upload A began.
    assert [u["UploadId"] for u in b.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [uid]
    # Part 2 is first uploaded on A with other bytes, then replaced on B: the last upload of a
    # part number wins whichever node took it.
    a.upload_part(Bucket=bucket, Key="big", UploadId=uid, PartNumber=2, Body=os.urandom(5 * MiB), **read_args(mode))
    etags = {
        1: a.upload_part(Bucket=bucket, Key="big", UploadId=uid, PartNumber=1, Body=parts[0], **read_args(mode))["ETag"],
        2: b.upload_part(Bucket=bucket, Key="big", UploadId=uid, PartNumber=2, Body=parts[1], **read_args(mode))["ETag"],
        3: b.upload_part(Bucket=bucket, Key="big", UploadId=uid, PartNumber=3, Body=parts[2], **read_args(mode))["ETag"],
    }
    listed = a.list_parts(Bucket=bucket, Key="big", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(n, etags[n], len(parts[n - 1])) for n in (1, 2, 3)]
    done = b.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=uid, **read_args(mode),
                                       MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3)]})
    if mode == "sse-s3":
        assert done["ETag"] == multipart_etag(parts)
    got = a.get_object(Bucket=bucket, Key="big", **read_args(mode))
    assert got["ETag"] == done["ETag"] and got["ContentLength"] == sum(map(len, parts))
    assert got["Body"].read() == b"".join(parts)
    assert_encryption(got, mode, kms_key)
    # A range across the part boundary, read on B.
    ranged = b.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}", **read_args(mode))
    assert ranged["Body"].read() == parts[0][-10:] + parts[1][:10]
    assert a.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert refused(lambda: a.list_parts(Bucket=bucket, Key="big", UploadId=uid)) == (404, "NoSuchUpload")


def test_multipart_aborted_on_b_is_gone_on_a(cluster, bucket):
    a, b = cluster.a.client(), cluster.b.client()
    uid = a.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    etag = a.upload_part(Bucket=bucket, Key="gone", UploadId=uid, PartNumber=1, Body=b"x" * 100)["ETag"]
    b.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=uid)
    assert refused(lambda: a.complete_multipart_upload(Bucket=bucket, Key="gone", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}]})) == (404, "NoSuchUpload")
    assert refused(lambda: a.upload_part(Bucket=bucket, Key="gone", UploadId=uid, PartNumber=2, Body=b"y")) == (404, "NoSuchUpload")
    assert refused(lambda: a.head_object(Bucket=bucket, Key="gone")) == (404, "404")


# ----------------------------------------------------------------------------- conditional writes across nodes


@pytest.mark.parametrize("round_", range(3))
def test_racing_create_only_puts_on_both_nodes_have_one_winner(cluster, bucket, round_):
    """16 `If-None-Match: *` PUTs of one key, 8 on each node, released together: one is
    answered 200, the 15 others 412 PreconditionFailed (what one node answers its own racing
    creates: WritePreconditionTests.exactlyOneCreateWins), and the object is the winner's."""
    n = 16
    bodies = [bytes([i]) * (2 * PKG) + os.urandom(32) for i in range(n)]
    clients = [(cluster.a if i % 2 == 0 else cluster.b).client(cached=False) for i in range(n)]
    start = threading.Barrier(n)

    def put(i):
        start.wait(timeout=30)
        try:
            r = clients[i].put_object(Bucket=bucket, Key="contended", Body=bodies[i], IfNoneMatch="*")
            return i, (200, r["ETag"])
        except ClientError as e:
            return i, client_error(e)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        outcomes = dict(pool.map(put, range(n)))
    winners = [i for i, (status, _) in outcomes.items() if status == 200]
    assert len(winners) == 1, outcomes
    losers = sorted(outcome for i, outcome in outcomes.items() if i not in winners)
    assert losers == [(412, "PreconditionFailed")] * (n - 1), outcomes
    w = winners[0]
    assert outcomes[w][1] == f'"{hashlib.md5(bodies[w]).hexdigest()}"'
    for node in (cluster.a, cluster.b):
        got = node.client().get_object(Bucket=bucket, Key="contended")
        assert got["Body"].read() == bodies[w] and got["ETag"] == outcomes[w][1]
    assert [o["Key"] for o in cluster.b.client().list_objects_v2(Bucket=bucket)["Contents"]] == ["contended"]


def test_if_match_on_one_node_sees_the_other_nodes_write(cluster, bucket):
    a, b = cluster.a.client(), cluster.b.client()
    first = a.put_object(Bucket=bucket, Key="cas", Body=b"one")["ETag"]
    second = b.put_object(Bucket=bucket, Key="cas", Body=b"two", IfMatch=first)["ETag"]
    # A's copy of the old ETag is stale now: refused on A (and B) alike.
    assert refused(lambda: a.put_object(Bucket=bucket, Key="cas", Body=b"lost", IfMatch=first)) == (412, "PreconditionFailed")
    assert refused(lambda: b.put_object(Bucket=bucket, Key="cas", Body=b"lost", IfMatch=first)) == (412, "PreconditionFailed")
    a.put_object(Bucket=bucket, Key="cas", Body=b"three", IfMatch=second)
    assert b.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"three"


# ----------------------------------------------------------------------------- bucket policies across nodes


def test_bucket_policy_put_on_a_holds_on_b_at_once(cluster, bucket, tmp_path):
    a, b = cluster.a, cluster.b
    repo = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(repo, "bucket-policies", "require-sse-kms.json")) as f:
        policy = f.read().replace("example-bucket", bucket)
    (tmp_path / "policy.json").write_text(policy)
    b3 = b.client("https")
    assert b3.put_object(Bucket=bucket, Key="before", Body=b"x")["ResponseMetadata"]["HTTPStatusCode"] == 200

    a.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", f"file://{tmp_path / 'policy.json'}")
    # The very next request on B is judged by it.
    assert refused(lambda: b3.put_object(Bucket=bucket, Key="plain", Body=b"x")) == (403, "AccessDenied")
    assert refused(lambda: b3.put_object(Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")) == (403, "AccessDenied")
    r = b.aws("s3api", "put-object", "--bucket", bucket, "--key", "cli-plain", "--body", str(tmp_path / "policy.json"),
              check=False)
    assert aws_cli_error_code(r) == "AccessDenied"
    ok = b3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    assert ok["ServerSideEncryption"] == "aws:kms"
    assert json.loads(b3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    assert refused(lambda: b3.head_object(Bucket=bucket, Key="plain")) == (404, "404")

    a.aws("s3api", "delete-bucket-policy", "--bucket", bucket)
    # Lifted on B at once.
    assert b3.put_object(Bucket=bucket, Key="plain", Body=b"x")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert refused(lambda: b3.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucketPolicy")
    # And the other way round: a policy put on B holds on A.
    b3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert refused(lambda: a.client().put_object(Bucket=bucket, Key="plain2", Body=b"x")) == (403, "AccessDenied")
    b3.delete_bucket_policy(Bucket=bucket)
    assert a.client().put_object(Bucket=bucket, Key="plain2", Body=b"x")["ResponseMetadata"]["HTTPStatusCode"] == 200


# ----------------------------------------------------------------------------- KMS keys across nodes


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_key_disabled_on_a_is_refused_on_b_until_enabled(cluster, bucket, bucket_key):
    """With a bucket key, B holds the key in its caches (S3 Bucket Keys, encrypt and decrypt
    sides): A's disable must reach them at once, as one node's own disable does."""
    a, b = cluster.a, cluster.b
    key = a.aws_json("kms", "create-key", "--description", "disabled across nodes")["KeyMetadata"]
    args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["KeyId"], "BucketKeyEnabled": bucket_key}
    s3b = b.client()
    body = os.urandom(PKG + 10)
    # B has used the key (with a bucket key: B holds it in its caches now).
    s3b.put_object(Bucket=bucket, Key="obj", Body=body, **args)
    assert s3b.get_object(Bucket=bucket, Key="obj")["Body"].read() == body
    up = s3b.create_multipart_upload(Bucket=bucket, Key="mp", **args)

    a.aws("kms", "disable-key", "--key-id", key["KeyId"])
    assert kms_client(b).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert refused(lambda: s3b.put_object(Bucket=bucket, Key="new", Body=b"x", **args)) == (400, "KMS.DisabledException")
    assert refused(lambda: s3b.head_object(Bucket=bucket, Key="new"))[0] == 404
    assert refused(lambda: s3b.get_object(Bucket=bucket, Key="obj")) == (400, "KMS.DisabledException")
    assert refused(lambda: s3b.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                                           Body=b"part")) == (400, "KMS.DisabledException")
    r = b.aws("s3api", "put-object", "--bucket", bucket, "--key", "cli", "--server-side-encryption", "aws:kms",
              "--ssekms-key-id", key["KeyId"], check=False)
    assert aws_cli_error_code(r) == "KMS.DisabledException"

    a.aws("kms", "enable-key", "--key-id", key["KeyId"])
    assert s3b.get_object(Bucket=bucket, Key="obj")["Body"].read() == body
    put = s3b.put_object(Bucket=bucket, Key="new", Body=b"after", **args)
    assert put["SSEKMSKeyId"] == key["Arn"] and bool(put.get("BucketKeyEnabled")) == bucket_key
    assert a.client().get_object(Bucket=bucket, Key="new")["Body"].read() == b"after"


def test_alias_created_on_a_resolves_on_b(cluster, bucket):
    a, b = cluster.a, cluster.b
    key = a.aws_json("kms", "create-key", "--description", "aliased across nodes")["KeyMetadata"]
    alias = f"alias/scale-out-{uuid.uuid4().hex[:8]}"
    a.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key["KeyId"])
    kb = kms_client(b)
    assert kb.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert alias in [x["AliasName"] for x in kb.list_aliases(KeyId=key["KeyId"])["Aliases"]]
    put = b.client().put_object(Bucket=bucket, Key="via-alias", Body=b"aliased", ServerSideEncryption="aws:kms",
                                SSEKMSKeyId=alias)
    assert put["SSEKMSKeyId"] == key["Arn"]
    assert a.client().get_object(Bucket=bucket, Key="via-alias")["Body"].read() == b"aliased"
    # Encrypt through B's KMS endpoint, decrypt through A's.
    blob = kb.encrypt(KeyId=alias, Plaintext=b"secret")["CiphertextBlob"]
    assert kms_client(a).decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    # Re-pointed on B, A follows at once, also where A holds a bucket key made through the alias;
    # deleted on A, B no longer knows it.
    s3a = a.client()
    alias_args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": alias, "BucketKeyEnabled": True}
    assert s3a.put_object(Bucket=bucket, Key="bucket-key-1", Body=b"x", **alias_args)["SSEKMSKeyId"] == key["Arn"]
    other = kb.create_key(Description="alias target 2")["KeyMetadata"]
    kb.update_alias(AliasName=alias, TargetKeyId=other["KeyId"])
    put = s3a.put_object(Bucket=bucket, Key="via-alias-2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias)
    assert put["SSEKMSKeyId"] == other["Arn"]
    assert s3a.put_object(Bucket=bucket, Key="bucket-key-2", Body=b"x", **alias_args)["SSEKMSKeyId"] == other["Arn"]
    assert s3a.head_object(Bucket=bucket, Key="bucket-key-2")["SSEKMSKeyId"] == other["Arn"]
    a.aws("kms", "delete-alias", "--alias-name", alias)
    assert refused(lambda: b.client().put_object(Bucket=bucket, Key="no-alias", Body=b"x", ServerSideEncryption="aws:kms",
                                                 SSEKMSKeyId=alias)) == (400, "KMS.NotFoundException")


# ----------------------------------------------------------------------------- the audit trail in the cluster


def test_both_nodes_trails_are_read_merged_and_verified_from_the_cluster(cluster, bucket):
    """Each node writes its own hash-chained trail into the cluster; `coffer audit read
    --storage rados` reads them merged in time order, `coffer audit verify` checks each against
    the public key its node published, and LookupEvents on either node sees both."""
    a, b = cluster.a.client(), cluster.b.client()
    created = kms_client(cluster.a).create_key(Description="audited across nodes")
    key = created["KeyMetadata"]
    rid = {
        "put-a": a.put_object(Bucket=bucket, Key="audited", Body=b"on a", ServerSideEncryption="aws:kms",
                              SSEKMSKeyId=key["KeyId"])["ResponseMetadata"]["RequestId"],
        "get-b": b.get_object(Bucket=bucket, Key="audited")["ResponseMetadata"]["RequestId"],
        "put-b": b.put_object(Bucket=bucket, Key="audited", Body=b"on b", ServerSideEncryption="aws:kms",
                              SSEKMSKeyId=key["KeyId"])["ResponseMetadata"]["RequestId"],
        "delete-a": a.delete_object(Bucket=bucket, Key="audited")["ResponseMetadata"]["RequestId"],
    }
    s3_events = audit_records(cluster, "--bucket", bucket)
    assert sorted((r["eventName"], r["requestID"]) for r in s3_events if r["eventSource"] == "s3.amazonaws.com") == sorted([
        ("PutObject", rid["put-a"]), ("GetObject", rid["get-b"]), ("PutObject", rid["put-b"]), ("DeleteObject", rid["delete-a"])])
    times = [r["eventTime"] for r in s3_events]
    assert times == sorted(times), "the merged trail is not in time order"
    kms_events = [r for r in audit_records(cluster, "--key", key["Arn"]) if r["eventSource"] == "kms.amazonaws.com"]
    assert sorted((r["eventName"], r["requestID"]) for r in kms_events) == sorted([
        ("CreateKey", created["ResponseMetadata"]["RequestId"]), ("GenerateDataKey", rid["put-a"]), ("Decrypt", rid["get-b"]),
        ("GenerateDataKey", rid["put-b"])])
    assert {r["recipientAccountId"] for r in s3_events + kms_events} == {key["AWSAccountId"]}
    assert_trails_verify(cluster)
    # CloudTrail LookupEvents on B answers A's management events too.
    create_id = next(r["eventID"] for r in kms_events if r["eventName"] == "CreateKey")
    looked_up = cluster.b.aws_json("cloudtrail", "lookup-events", "--lookup-attributes",
                                   f"AttributeKey=ResourceName,AttributeValue={key['Arn']}")
    assert create_id in [e["EventId"] for e in looked_up["Events"]], looked_up


# ----------------------------------------------------------------------------- nodes that must be refused


def test_node_with_another_root_key_is_refused(cluster):
    c = cluster.node("node-other-key", root_key=new_root_key())
    with pytest.raises(ServerError):
        c.start(timeout=60)
    assert c.server.proc.returncode not in (0, None), c.server.proc.returncode
    log = c.log_text()
    assert "root key" in log.lower(), log
    assert "Coffer is ready." not in c.server.stdout_lines
    # The cluster is unchanged: A and B still agree and serve.
    assert cluster.b.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_node_without_a_root_key_is_refused(cluster):
    c = cluster.node("node-no-key", root_key=None)
    with pytest.raises(ServerError):
        c.start(timeout=60)
    assert c.server.proc.returncode not in (0, None)
    assert "COFFER_SSE_S3_ROOT_KEY" in c.log_text(), c.log_text()
    assert not os.path.exists(os.path.join(c.data_dir, "keys", "sse-s3-root-keys.json"))


def test_second_node_with_a_running_nodes_name_is_refused(cluster):
    """A's audit trail has one writer (a lock A keeps renewing): a second node named like A
    waits for the lock as a restarted node would (45 s), then exits naming the cause, having
    written nothing to A's trail."""
    c = cluster.node("node-a-twin", node_name=cluster.a.node_name)
    with pytest.raises(ServerError):
        c.start(timeout=120)
    assert c.server.proc.returncode is not None and c.server.proc.returncode > 0, c.server.proc.returncode  # exited, not killed
    log = c.log_text()
    assert f"the audit trail of node {cluster.a.node_name} is held by another process" in log, log
    assert "--node-name" in log, log
    assert "Coffer is ready." not in c.server.stdout_lines
    # A keeps serving and its trail is A's alone.
    assert cluster.a.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert_trails_verify(cluster)
    assert cluster.a.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_node_with_a_cephx_user_limited_to_its_pool_serves(cluster, bucket, tmp_path):
    """What compose.yaml's profile scale-out gives its nodes: a cephx user with `mon 'allow r'`
    and `osd 'allow rwx pool=<pool>'` only, a conf naming just the monitors and its keyring."""
    user = f"coffer-live-{uuid.uuid4().hex[:8]}"
    keyring = tmp_path / "keyring"
    ceph("auth", "get-or-create", f"client.{user}", "mon", "allow r", "osd", f"allow rwx pool={cluster.pool.name}",
         "-o", str(keyring))
    try:
        with open(RADOS_CONF) as f:
            wanted = [line for line in f if line.startswith(("fsid =", "mon host ="))]
        assert len(wanted) == 2, wanted
        conf = tmp_path / "ceph.conf"
        conf.write_text("[global]\n" + "".join(wanted) + f"keyring = {keyring}\nauth client required = cephx\n")
        c = cluster.node("node-limited", rados_conf=str(conf), rados_user=user).start()
        s3 = c.client()
        s3.put_object(Bucket=bucket, Key="limited", Body=b"by the limited user")
        assert cluster.a.client().get_object(Bucket=bucket, Key="limited")["Body"].read() == b"by the limited user"
        assert s3.get_object(Bucket=bucket, Key="limited")["Body"].read() == b"by the limited user"
        assert c.server.stop() == 0
    finally:
        ceph("auth", "del", f"client.{user}", check=False)


# ----------------------------------------------------------------------------- a node killed under load


def test_node_killed_under_load_loses_no_acknowledged_write(cluster, bucket):
    """4 writers (2 on A, 2 on B) PUT distinct keys; A is killed with SIGKILL mid-load. Every PUT
    answered 200, on either node, reads back on B with its bytes; B keeps serving; A restarted
    (same data dir and node name) serves them too. A PUT cut off by the kill either left
    nothing or the whole object, never part of one."""
    a, b = cluster.a, cluster.b
    stop = threading.Event()
    lock = threading.Lock()
    acked: dict[str, bytes] = {}
    attempted: dict[str, bytes] = {}
    failures: dict[str, list[str]] = {"a": [], "b": []}
    counts = {"a": 0, "b": 0}
    clients = {(n, w): node.client(cached=False) for n, node in (("a", a), ("b", b)) for w in range(2)}

    def writer(node: str, w: int):
        s3 = clients[(node, w)]
        i = 0
        while not stop.is_set():
            key = f"load/{node}{w}/{i:05d}"
            body = os.urandom(PKG * (1 + i % 3) + i)
            with lock:
                attempted[key] = body
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=body)
            except Exception as e:  # connection refused or reset once A is gone
                with lock:
                    failures[node].append(f"{key}: {type(e).__name__}: {e}")
                if node == "a":
                    return  # A is dead; nothing more to send it
            else:
                with lock:
                    acked[key] = body
                    counts[node] += 1
            i += 1

    threads = [threading.Thread(target=writer, args=k, daemon=True) for k in clients]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: counts["a"] >= 10 and counts["b"] >= 10, 120, "10 acknowledged PUTs on each node")
        a.server.proc.kill()  # SIGKILL, mid-request
        a.server.proc.wait(timeout=10)
        after_kill = counts["b"]
        # B keeps serving: its writers keep being answered.
        wait_until(lambda: counts["b"] >= after_kill + 10, 120, "10 more acknowledged PUTs on B after A was killed")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures["b"] == [], failures["b"][:5]
    assert len(failures["a"]) == 2, failures["a"]  # each of A's writers ended on the kill
    unacked = set(attempted) - set(acked)
    print(f"\nPUTs acknowledged: A {counts['a']}, B {counts['b']}; cut off by the kill: {len(unacked)} ({failures['a']})")

    s3b = b.client()
    for key, body in sorted(acked.items()):
        got = s3b.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == body, f"{key} reads other bytes on B"
    for key in sorted(unacked):
        try:
            got = s3b.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as e:
            assert client_error(e) == (404, "NoSuchKey"), key
        else:
            assert got == attempted[key], f"{key}: an unacknowledged PUT left other bytes"
    listed = {o["Key"] for p in s3b.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="load/")
              for o in p.get("Contents", [])}
    assert set(acked) <= listed <= set(attempted)

    # A restarted with its data dir and node name: it waits for the writer lock of its trail
    # that the killed process held (it expires 30 s after its last renewal), then serves.
    restart = time.monotonic()
    a.start(timeout=120)
    print(f"\nA restarted {time.monotonic() - restart:.1f} s after the kill")
    s3a = a.client()
    for key, body in sorted(acked.items()):
        assert s3a.get_object(Bucket=bucket, Key=key)["Body"].read() == body, f"{key} reads other bytes on A restarted"
    # A restarted writes again, B reads it.
    s3a.put_object(Bucket=bucket, Key="after-restart", Body=b"back")
    assert s3b.get_object(Bucket=bucket, Key="after-restart")["Body"].read() == b"back"
    # Every committed write has its record, A's cut-off ones included (A's notes, appended by
    # A at restart), and both trails still verify.
    committed = {o["Key"] for p in s3b.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="load/")
                 for o in p.get("Contents", [])}
    recorded = {r["requestParameters"].get("key") for r in audit_records(cluster, "--bucket", bucket, "--event-name", "PutObject")
                if "errorCode" not in r}
    assert sorted(committed - recorded) == []
    assert_trails_verify(cluster)
