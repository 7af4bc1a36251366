"""Bucket policies enforced on every request (docs/bucket-policies.md): PutBucketPolicy,
GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus, and IAM's logic over identity
permissions and the bucket policy, driven with boto3, the aws CLI and anonymous HTTP, over
HTTP and HTTPS."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import unique_bucket_name


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]


def root_account(coffer) -> str:
    import boto3
    sts = boto3.client("kms", endpoint_url=coffer.http_url, region_name="us-east-1",
                       aws_access_key_id=coffer.creds("root")[0], aws_secret_access_key=coffer.creds("root")[1])
    return sts.create_key(Description="account probe")["KeyMetadata"]["AWSAccountId"]


@pytest.fixture(scope="module")
def account(coffer) -> str:
    return root_account(coffer)


@pytest.fixture
def alice_bucket(coffer):
    """A bucket owned by alice (identity permissions allow her everything on it)."""
    name = unique_bucket_name("pol")
    coffer.client(user="alice").create_bucket(Bucket=name)
    return name


def put_policy(s3, bucket: str, statements: list[dict]) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def anonymous_get(coffer, bucket: str, key: str) -> int:
    try:
        with urllib.request.urlopen(f"{coffer.http_url}/{bucket}/{key}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_policy_crud_and_validation(coffer, bucket):
    s3 = coffer.client()
    assert refused(lambda: s3.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucketPolicy")
    assert refused(lambda: s3.get_bucket_policy_status(Bucket=bucket)) == (404, "NoSuchBucketPolicy")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Principal": "*",
                                                                 "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/public/*"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy  # byte for byte
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    for bad, reason in (
        ("not json", "valid JSON"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                            "Resource": "arn:aws:s3:::some-other-bucket/*"}]}), "resource"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allowed", "Principal": "*", "Action": "s3:GetObject",
                                                            "Resource": f"arn:aws:s3:::{bucket}/*"}]}), "ffect"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                            "Resource": f"arn:aws:s3:::{bucket}/*"}]}), "Principal"),
    ):
        with pytest.raises(ClientError) as caught:
            s3.put_bucket_policy(Bucket=bucket, Policy=bad)
        error = caught.value.response["Error"]
        assert (caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"]) == (400, "MalformedPolicy")
        assert reason.lower() in error["Message"].lower(), error["Message"]
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy  # a refused policy changes nothing
    s3.delete_bucket_policy(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucketPolicy")


def test_deny_uploads_without_sse_kms_header(coffer, alice_bucket):
    alice = coffer.client(user="alice")
    put_policy(alice, alice_bucket, [{
        "Sid": "RequireKMS", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{alice_bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}])
    for transport in ("http", "https"):
        client = coffer.client(transport, user="alice")
        assert refused(lambda: client.put_object(Bucket=alice_bucket, Key="plain", Body=b"x")) == (403, "AccessDenied")
        assert refused(lambda: client.put_object(Bucket=alice_bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")) == (403, "AccessDenied")
        client.put_object(Bucket=alice_bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    # The CLI too; and a denied request changes nothing.
    result = coffer.aws("s3api", "put-object", "--bucket", alice_bucket, "--key", "cli", "--body", __file__, user="alice", check=False)
    assert result.returncode != 0 and "AccessDenied" in result.stderr
    assert refused(lambda: alice.head_object(Bucket=alice_bucket, Key="cli"))[0] == 404
    # Reads are not affected by a PutObject deny.
    assert alice.get_object(Bucket=alice_bucket, Key="kms")["Body"].read() == b"x"


def test_bucket_default_encryption_does_not_satisfy_a_header_policy(coffer, alice_bucket):
    """S3 evaluates the request's header, not the bucket default it would apply."""
    alice = coffer.client(user="alice")
    alice.put_bucket_encryption(Bucket=alice_bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    put_policy(alice, alice_bucket, [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{alice_bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}])
    assert refused(lambda: alice.put_object(Bucket=alice_bucket, Key="relies-on-default", Body=b"x")) == (403, "AccessDenied")
    put = alice.put_object(Bucket=alice_bucket, Key="explicit", Body=b"x", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms"


def test_https_only(coffer, alice_bucket):
    alice = coffer.client(user="alice")
    alice.put_object(Bucket=alice_bucket, Key="k", Body=b"secret")
    put_policy(alice, alice_bucket, [{
        "Sid": "HTTPSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{alice_bucket}", f"arn:aws:s3:::{alice_bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])
    assert refused(lambda: alice.get_object(Bucket=alice_bucket, Key="k")) == (403, "AccessDenied")
    assert refused(lambda: alice.list_objects_v2(Bucket=alice_bucket)) == (403, "AccessDenied")
    secure = coffer.client("https", user="alice")
    assert secure.get_object(Bucket=alice_bucket, Key="k")["Body"].read() == b"secret"
    # The owner can still remove the policy over HTTPS; the root user always can.
    coffer.client("http").delete_bucket_policy(Bucket=alice_bucket)
    assert alice.get_object(Bucket=alice_bucket, Key="k")["Body"].read() == b"secret"


def test_deny_sse_c(coffer, alice_bucket):
    secure = coffer.client("https", user="alice")
    put_policy(secure, alice_bucket, [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{alice_bucket}/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}}])
    key = os.urandom(32)
    assert refused(lambda: secure.put_object(Bucket=alice_bucket, Key="c", Body=b"x", SSECustomerAlgorithm="AES256",
                                             SSECustomerKey=key)) == (403, "AccessDenied")
    secure.put_object(Bucket=alice_bucket, Key="s3", Body=b"x")


def test_anonymous_public_prefix(coffer, alice_bucket):
    alice = coffer.client(user="alice")
    alice.put_object(Bucket=alice_bucket, Key="public/readme.txt", Body=b"hello world")
    alice.put_object(Bucket=alice_bucket, Key="private/secret.txt", Body=b"no")
    assert anonymous_get(coffer, alice_bucket, "public/readme.txt") == 403
    put_policy(alice, alice_bucket, [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                      "Resource": f"arn:aws:s3:::{alice_bucket}/public/*"}])
    assert anonymous_get(coffer, alice_bucket, "public/readme.txt") == 200
    assert anonymous_get(coffer, alice_bucket, "private/secret.txt") == 403
    assert anonymous_get(coffer, alice_bucket, "public/missing.txt") == 403  # no s3:ListBucket: 403, not 404
    anon = coffer.unsigned_client()
    assert anon.get_object(Bucket=alice_bucket, Key="public/readme.txt")["Body"].read() == b"hello world"
    assert refused(lambda: anon.put_object(Bucket=alice_bucket, Key="public/x", Body=b"x")) == (403, "AccessDenied")
    assert alice.get_bucket_policy_status(Bucket=alice_bucket)["PolicyStatus"]["IsPublic"] is True


def test_cross_user_grant_and_explicit_deny(coffer, account, bucket):
    root = coffer.client()
    root.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared")
    alice = coffer.client(user="alice")
    assert refused(lambda: alice.get_object(Bucket=bucket, Key="shared.txt")) == (403, "AccessDenied")
    alice_arn = f"arn:aws:iam::{account}:user/alice"
    put_policy(root, bucket, [{"Sid": "AliceReads", "Effect": "Allow", "Principal": {"AWS": alice_arn},
                               "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}])
    assert alice.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    assert refused(lambda: alice.put_object(Bucket=bucket, Key="x", Body=b"x")) == (403, "AccessDenied")
    assert refused(lambda: alice.get_object(Bucket=bucket, Key="missing"))[0] == 403  # no ListBucket: 403
    # An explicit deny wins over the owner's own permissions (and over root's).
    put_policy(root, bucket, [{"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                               "Resource": f"arn:aws:s3:::{bucket}/*"}])
    assert refused(lambda: root.delete_object(Bucket=bucket, Key="shared.txt")) == (403, "AccessDenied")
    assert root.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    # A policy cannot lock the account out: root can always remove it.
    put_policy(root, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                               "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}])
    assert refused(lambda: root.get_object(Bucket=bucket, Key="shared.txt")) == (403, "AccessDenied")
    root.delete_bucket_policy(Bucket=bucket)
    root.delete_object(Bucket=bucket, Key="shared.txt")


def test_require_a_specific_kms_key_by_arn(coffer, account, alice_bucket):
    import boto3
    kms = boto3.client("kms", endpoint_url=coffer.http_url, region_name="us-east-1",
                       aws_access_key_id=coffer.creds("alice")[0], aws_secret_access_key=coffer.creds("alice")[1])
    meta = kms.create_key(Description="required key")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{alice_bucket}", TargetKeyId=meta["KeyId"])
    other = kms.create_key(Description="other key")["KeyMetadata"]
    alice = coffer.client(user="alice")
    put_policy(alice, alice_bucket, [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{alice_bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": meta["Arn"]}}}])
    # The header as key id, ARN or alias: S3 (and Coffer) compare the key's ARN.
    for key_id in (meta["KeyId"], meta["Arn"], f"alias/{alice_bucket}"):
        alice.put_object(Bucket=alice_bucket, Key="ok", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert refused(lambda: alice.put_object(Bucket=alice_bucket, Key="no", Body=b"x", ServerSideEncryption="aws:kms",
                                            SSEKMSKeyId=other["KeyId"])) == (403, "AccessDenied")
    assert refused(lambda: alice.put_object(Bucket=alice_bucket, Key="no", Body=b"x", ServerSideEncryption="aws:kms")) == (403, "AccessDenied")


def test_identity_policies_from_the_users_file(server_factory):
    """A user's identity policy (users file) grants and denies like IAM: an Allow reaches other
    users' buckets, an explicit Deny beats even the ownership of one's own bucket, and a
    malformed policy keeps the server from starting (or, on SIGHUP, keeps the old users)."""
    import boto3
    from botocore.config import Config
    from conftest import ALICE, BOB

    server = server_factory(users=[("alice", ALICE), ("bob", BOB)])
    with open(server.users_file) as f:
        doc = json.load(f)
    for entry in doc["users"]:
        if entry["name"] == "bob":
            entry["policy"] = {"Version": "2012-10-17", "Statement": [
                {"Sid": "ReadShared", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": ["arn:aws:s3:::shared-data", "arn:aws:s3:::shared-data/*"]},
                {"Sid": "NeverDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
                {"Sid": "NoBucketsNamedTmp", "Effect": "Deny", "Action": "s3:CreateBucket", "Resource": "arn:aws:s3:::tmp-*"}]}
    with open(server.users_file, "w") as f:
        json.dump(doc, f)
    server.start()

    def client(creds):
        return boto3.client("s3", endpoint_url=server.http_url, aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                            region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                                                   retries={"max_attempts": 1}))

    alice, bob = client(ALICE), client(BOB)
    alice.create_bucket(Bucket="shared-data")
    alice.put_object(Bucket="shared-data", Key="report.csv", Body=b"numbers")
    alice.create_bucket(Bucket="alice-private")
    alice.put_object(Bucket="alice-private", Key="diary", Body=b"dear diary")
    assert bob.get_object(Bucket="shared-data", Key="report.csv")["Body"].read() == b"numbers"
    assert [o["Key"] for o in bob.list_objects_v2(Bucket="shared-data")["Contents"]] == ["report.csv"]
    assert refused(lambda: bob.put_object(Bucket="shared-data", Key="x", Body=b"x")) == (403, "AccessDenied")
    assert refused(lambda: bob.get_object(Bucket="alice-private", Key="diary")) == (403, "AccessDenied")
    bob.create_bucket(Bucket="bob-own")
    bob.put_object(Bucket="bob-own", Key="mine", Body=b"x")
    assert refused(lambda: bob.delete_object(Bucket="bob-own", Key="mine")) == (403, "AccessDenied")  # deny beats ownership
    assert refused(lambda: bob.create_bucket(Bucket="tmp-scratch")) == (403, "AccessDenied")
    alice.create_bucket(Bucket="tmp-alice")  # alice has no identity policy
    assert server.stop() == 0

    doc["users"][1]["policy"] = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    with open(server.users_file, "w") as f:
        json.dump(doc, f)
    server.extra_args = []
    with pytest.raises(Exception):
        server.start(timeout=15)
    assert "Principal" in server.log_tail() or "policy" in server.log_tail()
