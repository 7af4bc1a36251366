"""SSE-KMS on every S3 object path with the built-in key service, driven with boto3 and the
real `aws` CLI: key ids in every form, the AWS managed aws/s3 key, encryption contexts, bucket
keys, bucket default encryption, ranges across 64 KiB packages, copies between every pair of
modes, multipart (with UploadPartCopy and the CLI), key states seen through S3 (disabled,
pending deletion, rotated), S3's errors for bad SSE-KMS headers, and 503 when the key service
cannot be reached."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROOT, aws_cli_error_code, kms_client, rados_node
from coffer_live import REGION, multipart_etag, object_path

MiB = 1024 * 1024
PKG = 65536
SSEC_KEY = bytes(range(32))
SSEC_OTHER = bytes(range(50, 82))


# ----------------------------------------------------------------------------- helpers


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def b64json(doc) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


def unb64json(text: str) -> dict:
    return json.loads(base64.b64decode(text))


def kms_args(key_id: str | None = None, context: dict | None = None, bucket_key: bool | None = None) -> dict:
    args = {"ServerSideEncryption": "aws:kms"}
    if key_id is not None:
        args["SSEKMSKeyId"] = key_id
    if context is not None:
        args["SSEKMSEncryptionContext"] = b64json(context)
    if bucket_key is not None:
        args["BucketKeyEnabled"] = bucket_key
    return args


def ssec(key=SSEC_KEY) -> dict:
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def source_ssec(key=SSEC_KEY) -> dict:
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


def assert_kms(resp: dict, arn: str, bucket_key: bool = False):
    assert resp.get("ServerSideEncryption") == "aws:kms", resp
    assert resp.get("SSEKMSKeyId") == arn, resp
    if bucket_key:
        assert resp.get("BucketKeyEnabled") is True, resp
    else:
        assert not resp.get("BucketKeyEnabled"), resp
    assert "SSECustomerAlgorithm" not in resp


def read(s3, bucket, key, **kw) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


@pytest.fixture
def kms(coffer):
    return kms_client(coffer)


def new_key(kms, description="sse-kms test key") -> dict:
    return kms.create_key(Description=description)["KeyMetadata"]


@pytest.fixture
def key(kms) -> dict:
    return new_key(kms)


@pytest.fixture
def s3s(coffer):
    return coffer.client("https")


def managed_key(kms) -> dict:
    return kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]


# ----------------------------------------------------------------------------- PUT / GET / HEAD


def test_put_get_head_with_every_form_of_key_id(coffer, s3, kms, bucket, key):
    alias = f"alias/t-sse-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].split(":key/")[0] + ":" + alias
    for i, ident in enumerate((key["KeyId"], key["Arn"], alias, alias_arn)):
        body = os.urandom(1000 + i)
        put = s3.put_object(Bucket=bucket, Key=f"o{i}", Body=body, **kms_args(ident))
        assert_kms(put, key["Arn"])
        assert put["ETag"].strip('"') != hashlib.md5(body).hexdigest(), "the ETag of an SSE-KMS object is not its MD5"
        got = s3.get_object(Bucket=bucket, Key=f"o{i}")
        assert got["Body"].read() == body
        assert_kms(got, key["Arn"])
        assert got["ETag"] == put["ETag"]
        head = s3.head_object(Bucket=bucket, Key=f"o{i}")
        assert_kms(head, key["Arn"])
        assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    # listing shows them all, with their (non-MD5) ETags
    listed = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert sorted(listed) == ["o0", "o1", "o2", "o3"]


def test_empty_and_exact_package_sized_objects(s3, bucket, key):
    for name, body in (("empty", b""), ("one", b"x"), ("pkg", os.urandom(PKG)), ("two-pkgs", os.urandom(2 * PKG))):
        s3.put_object(Bucket=bucket, Key=name, Body=body, **kms_args(key["KeyId"]))
        assert read(s3, bucket, name) == body, name
        assert s3.head_object(Bucket=bucket, Key=name)["ContentLength"] == len(body)


def test_range_reads_across_package_boundaries(s3, bucket, key):
    body = os.urandom(3 * PKG + 1000)
    n = len(body)
    for bucket_key in (False, True):
        name = f"ranged-{bucket_key}"
        s3.put_object(Bucket=bucket, Key=name, Body=body, **kms_args(key["Arn"], bucket_key=bucket_key))
        for start, end in ((0, 0), (PKG - 1, PKG), (PKG - 6, 2 * PKG + 8), (2 * PKG - 1, 2 * PKG), (PKG, 2 * PKG - 1),
                           (0, n - 1), (n - 1, n - 1), (3 * PKG, n - 1), (5, 3 * PKG + 5)):
            got = s3.get_object(Bucket=bucket, Key=name, Range=f"bytes={start}-{end}")
            assert got["Body"].read() == body[start:end + 1], (start, end)
            assert got["ContentRange"] == f"bytes {start}-{end}/{n}"
            assert_kms(got, key["Arn"], bucket_key)
        assert read(s3, bucket, name, Range="bytes=-100") == body[-100:]
        assert read(s3, bucket, name, Range=f"bytes={2 * PKG - 3}-") == body[2 * PKG - 3:]
        assert refused(lambda: s3.get_object(Bucket=bucket, Key=name, Range=f"bytes={n}-{n + 5}")) == (416, "InvalidRange")


def test_aws_cli_put_and_get_with_sse_kms(coffer, bucket, key, tmp_path):
    src = tmp_path / "small.bin"
    src.write_bytes(os.urandom(300 * 1024))
    coffer.aws("s3", "cp", str(src), f"s3://{bucket}/small.bin", "--sse", "aws:kms", "--sse-kms-key-id", key["KeyId"], "--only-show-errors")
    head = coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "small.bin")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
    put = coffer.aws_json("s3api", "put-object", "--bucket", bucket, "--key", "api.bin", "--body", str(src),
                          "--server-side-encryption", "aws:kms", "--ssekms-key-id", key["Arn"],
                          "--ssekms-encryption-context", b64json({"app": "cli"}))
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    assert unb64json(put["SSEKMSEncryptionContext"]) == {"app": "cli", "aws:s3:arn": f"arn:aws:s3:::{bucket}/api.bin"}
    back = tmp_path / "back.bin"
    coffer.aws("s3api", "get-object", "--bucket", bucket, "--key", "api.bin", str(back))
    assert back.read_bytes() == src.read_bytes()


def test_aws_s3_managed_key_is_made_on_first_use(coffer, s3, kms, bucket):
    put = s3.put_object(Bucket=bucket, Key="default-key", Body=b"aws/s3 please", ServerSideEncryption="aws:kms")
    managed = managed_key(kms)
    assert managed["KeyManager"] == "AWS"
    assert_kms(put, managed["Arn"])
    assert_kms(s3.head_object(Bucket=bucket, Key="default-key"), managed["Arn"])
    assert read(s3, bucket, "default-key") == b"aws/s3 please"
    again = s3.put_object(Bucket=bucket, Key="second", Body=b"same key", ServerSideEncryption="aws:kms")
    assert again["SSEKMSKeyId"] == managed["Arn"]
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert len(aliases) == 1 and aliases[0]["TargetKeyId"] == managed["KeyId"]
    # naming it explicitly is the same key
    assert s3.put_object(Bucket=bucket, Key="named", Body=b"x", **kms_args("alias/aws/s3"))["SSEKMSKeyId"] == managed["Arn"]
    # and it cannot be disabled
    assert aws_cli_error_code(coffer.aws("kms", "disable-key", "--key-id", managed["KeyId"], check=False)) == "AccessDeniedException"
    assert read(s3, bucket, "default-key") == b"aws/s3 please"


# ----------------------------------------------------------------------------- encryption context


def test_encryption_context_is_merged_with_the_object_arn(s3, bucket, key):
    ctx = {"project": "apollo", "tier": "gold"}
    put = s3.put_object(Bucket=bucket, Key="dir/ctx obj", Body=b"with context", **kms_args(key["KeyId"], ctx))
    assert_kms(put, key["Arn"])
    assert unb64json(put["SSEKMSEncryptionContext"]) == {**ctx, "aws:s3:arn": f"arn:aws:s3:::{bucket}/dir/ctx obj"}
    assert read(s3, bucket, "dir/ctx obj") == b"with context"
    # without a caller context the header (when sent) holds only the object ARN
    plain = s3.put_object(Bucket=bucket, Key="no-ctx", Body=b"x", **kms_args(key["KeyId"]))
    if "SSEKMSEncryptionContext" in plain:
        assert unb64json(plain["SSEKMSEncryptionContext"]) == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/no-ctx"}
    # with a bucket key the ARN is the bucket's
    bk = s3.put_object(Bucket=bucket, Key="bk-ctx", Body=b"bucket key ctx", **kms_args(key["KeyId"], ctx, bucket_key=True))
    assert unb64json(bk["SSEKMSEncryptionContext"]) == {**ctx, "aws:s3:arn": f"arn:aws:s3:::{bucket}"}
    assert read(s3, bucket, "bk-ctx") == b"bucket key ctx"


def test_encryption_context_keeps_every_pair(s3, bucket, key):
    """Non-ASCII pairs round-trip exactly. Two keys that differ only in Unicode normalisation
    would be two pairs to KMS; Coffer refuses such a context (400 InvalidArgument, nothing
    stored) rather than merging them into one pair (a documented deviation)."""
    ctx = {"\u00e9": "precomposed", "ключ": "значение", "键": "值"}
    put = s3.put_object(Bucket=bucket, Key="unicode-ctx", Body=b"x", **kms_args(key["KeyId"], ctx))
    assert unb64json(put["SSEKMSEncryptionContext"]) == {**ctx, "aws:s3:arn": f"arn:aws:s3:::{bucket}/unicode-ctx"}
    assert read(s3, bucket, "unicode-ctx") == b"x"
    both = {"\u00e9": "precomposed", "e\u0301": "decomposed"}
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="unicode-both", Body=b"x", **kms_args(key["KeyId"], both))) == (400, "InvalidArgument")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="unicode-both"))[0] == 404


def test_bad_encryption_context_headers_are_invalid_argument(coffer, bucket, key):
    ep = coffer.endpoint()
    base = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key["KeyId"]}
    for bad in ("%%% not base64 %%%", base64.b64encode(b"not json").decode(), base64.b64encode(b'["a", "b"]').decode(),
                base64.b64encode(b'{"a": 1}').decode(), base64.b64encode(b'{"a": {"b": "c"}}').decode(),
                base64.b64encode(b'"just a string"').decode()):
        r = ep.request("PUT", object_path(bucket, "bad-ctx"), headers={**base, "x-amz-server-side-encryption-context": bad},
                       body=b"x", creds=coffer.root)
        assert (r.status, r.code()) == (400, "InvalidArgument"), (bad, r.status, r.body)
    r = ep.request("HEAD", object_path(bucket, "bad-ctx"), creds=coffer.root)
    assert r.status == 404  # nothing stored


# ----------------------------------------------------------------------------- S3 header errors


def test_kms_headers_without_aws_kms_are_invalid_argument(coffer, s3, bucket, key):
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="x", Body=b"x", SSEKMSKeyId=key["KeyId"])) == (400, "InvalidArgument")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="AES256",
                                         SSEKMSKeyId=key["KeyId"])) == (400, "InvalidArgument")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="x", Body=b"x", SSEKMSEncryptionContext=b64json({"a": "b"}))) == (400, "InvalidArgument")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="AES256",
                                         SSEKMSEncryptionContext=b64json({"a": "b"}))) == (400, "InvalidArgument")
    assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="x", SSEKMSKeyId=key["KeyId"])) == (400, "InvalidArgument")
    s3.put_object(Bucket=bucket, Key="src", Body=b"src")
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src"},
                                          SSEKMSKeyId=key["KeyId"])) == (400, "InvalidArgument")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="x"))[0] == 404


def test_dsse_is_not_implemented(coffer, s3, bucket, key):
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="d", Body=b"x", ServerSideEncryption="aws:kms:dsse")) == (501, "NotImplemented")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="d", Body=b"x", ServerSideEncryption="aws:kms:dsse",
                                         SSEKMSKeyId=key["KeyId"])) == (501, "NotImplemented")
    assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="d", ServerSideEncryption="aws:kms:dsse")) == (501, "NotImplemented")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="d"))[0] == 404


def test_unknown_key_is_kms_not_found_and_nothing_is_written(coffer, s3, kms, bucket):
    account = new_key(kms)["AWSAccountId"]
    for ident in (str(uuid.uuid4()), f"alias/t-missing-{uuid.uuid4().hex[:8]}",
                  f"arn:aws:kms:{REGION}:{account}:key/{uuid.uuid4()}", "not-a-key-id"):
        assert refused(lambda: s3.put_object(Bucket=bucket, Key="nope", Body=b"x", **kms_args(ident))) == (400, "KMS.NotFoundException"), ident
        assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="nope", **kms_args(ident))) == (400, "KMS.NotFoundException"), ident
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="nope", CopySource={"Bucket": bucket, "Key": "src"},
                                          **kms_args(str(uuid.uuid4())))) == (400, "KMS.NotFoundException")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="nope"))[0] == 404
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    r = coffer.aws("s3api", "put-object", "--bucket", bucket, "--key", "nope", "--server-side-encryption", "aws:kms",
                   "--ssekms-key-id", str(uuid.uuid4()), check=False)
    assert aws_cli_error_code(r) == "KMS.NotFoundException"


def test_bad_bucket_key_header_is_invalid_argument(coffer, bucket, key):
    r = coffer.endpoint().request("PUT", object_path(bucket, "bk"), body=b"x", creds=coffer.root, headers={
        "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key["KeyId"],
        "x-amz-server-side-encryption-bucket-key-enabled": "maybe"})
    assert (r.status, r.code()) == (400, "InvalidArgument"), r.body


def test_sse_c_headers_on_an_sse_kms_object_are_invalid_request(s3s, bucket, key):
    s3s.put_object(Bucket=bucket, Key="k", Body=b"kms object", **kms_args(key["KeyId"]))
    s3s.put_object(Bucket=bucket, Key="kb", Body=b"kms bucket-key object", **kms_args(key["KeyId"], bucket_key=True))
    for name in ("k", "kb"):
        assert refused(lambda: s3s.get_object(Bucket=bucket, Key=name, **ssec())) == (400, "InvalidRequest")
        assert refused(lambda: s3s.head_object(Bucket=bucket, Key=name, **ssec()))[0] == 400
        assert refused(lambda: s3s.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": name},
                                               **source_ssec()))[0] == 400
    # SSE-C and aws:kms on one write
    assert refused(lambda: s3s.put_object(Bucket=bucket, Key="both", Body=b"x", **ssec(), ServerSideEncryption="aws:kms"))[0] == 400
    assert refused(lambda: s3s.head_object(Bucket=bucket, Key="both"))[0] == 404
    assert read(s3s, bucket, "k") == b"kms object"


# ----------------------------------------------------------------------------- copies between modes


def test_copies_between_every_pair_of_modes(coffer, s3s, kms, bucket):
    ka, kb = new_key(kms, "copy A"), new_key(kms, "copy B")
    body = os.urandom(2 * PKG + 17)
    s3s.put_object(Bucket=bucket, Key="sse-s3", Body=body, ServerSideEncryption="AES256")
    s3s.put_object(Bucket=bucket, Key="kms-a", Body=body, **kms_args(ka["KeyId"], {"src": "a"}))
    s3s.put_object(Bucket=bucket, Key="sse-c", Body=body, **ssec())

    def src(name):
        return {"Bucket": bucket, "Key": name}

    # SSE-S3 -> SSE-KMS
    c = s3s.copy_object(Bucket=bucket, Key="s3-to-kms", CopySource=src("sse-s3"), **kms_args(ka["Arn"], {"dst": "1"}))
    assert_kms(c, ka["Arn"])
    assert unb64json(c["SSEKMSEncryptionContext"]) == {"dst": "1", "aws:s3:arn": f"arn:aws:s3:::{bucket}/s3-to-kms"}
    assert read(s3s, bucket, "s3-to-kms") == body
    assert_kms(s3s.head_object(Bucket=bucket, Key="s3-to-kms"), ka["Arn"])
    # SSE-KMS -> SSE-KMS under another key
    c = s3s.copy_object(Bucket=bucket, Key="kms-to-kms", CopySource=src("kms-a"), **kms_args(kb["KeyId"]))
    assert_kms(c, kb["Arn"])
    assert c["CopyObjectResult"]["ETag"].strip('"') != hashlib.md5(body).hexdigest()
    assert read(s3s, bucket, "kms-to-kms") == body
    assert_kms(s3s.get_object(Bucket=bucket, Key="kms-to-kms"), kb["Arn"])
    # SSE-KMS -> SSE-KMS with a bucket key
    c = s3s.copy_object(Bucket=bucket, Key="kms-to-bk", CopySource=src("kms-a"), **kms_args(kb["KeyId"], bucket_key=True))
    assert_kms(c, kb["Arn"], bucket_key=True)
    assert read(s3s, bucket, "kms-to-bk") == body
    # SSE-KMS -> SSE-C (over HTTPS)
    c = s3s.copy_object(Bucket=bucket, Key="kms-to-c", CopySource=src("kms-a"), **ssec(SSEC_OTHER))
    assert c["SSECustomerAlgorithm"] == "AES256" and "ServerSideEncryption" not in c
    assert read(s3s, bucket, "kms-to-c", **ssec(SSEC_OTHER)) == body
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="kms-to-c"))[0] == 400
    # SSE-C -> SSE-KMS
    c = s3s.copy_object(Bucket=bucket, Key="c-to-kms", CopySource=src("sse-c"), **source_ssec(), **kms_args(kb["Arn"]))
    assert_kms(c, kb["Arn"])
    assert read(s3s, bucket, "c-to-kms") == body
    # SSE-KMS -> SSE-S3, explicitly and by default
    c = s3s.copy_object(Bucket=bucket, Key="kms-to-s3", CopySource=src("kms-a"), ServerSideEncryption="AES256")
    assert c["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in c
    assert read(s3s, bucket, "kms-to-s3") == body
    c = s3s.copy_object(Bucket=bucket, Key="kms-to-default", CopySource=src("kms-a"))
    assert c["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in c
    assert s3s.head_object(Bucket=bucket, Key="kms-to-default")["ServerSideEncryption"] == "AES256"
    assert read(s3s, bucket, "kms-to-default") == body
    # re-keying an object in place (only the encryption changes)
    c = s3s.copy_object(Bucket=bucket, Key="kms-a", CopySource=src("kms-a"), **kms_args(kb["KeyId"]))
    assert_kms(c, kb["Arn"])
    assert read(s3s, bucket, "kms-a") == body
    assert_kms(s3s.head_object(Bucket=bucket, Key="kms-a"), kb["Arn"])
    # across buckets
    other = f"{bucket}-x"[:63]
    s3s.create_bucket(Bucket=other)
    c = s3s.copy_object(Bucket=other, Key="moved", CopySource=src("kms-to-kms"), **kms_args(ka["KeyId"], bucket_key=True))
    assert_kms(c, ka["Arn"], bucket_key=True)
    assert read(s3s, other, "moved") == body
    # the aws CLI copies between modes too
    coffer.aws("s3", "cp", f"s3://{bucket}/sse-s3", f"s3://{bucket}/cli-copy", "--sse", "aws:kms", "--sse-kms-key-id", ka["KeyId"],
               "--only-show-errors", transport="https")
    assert_kms(s3s.head_object(Bucket=bucket, Key="cli-copy"), ka["Arn"])
    assert read(s3s, bucket, "cli-copy") == body


def test_copy_fails_when_either_key_is_disabled(coffer, s3, kms, bucket):
    ka, kb = new_key(kms, "copy src"), new_key(kms, "copy dst")
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", **kms_args(ka["KeyId"]))
    kms.disable_key(KeyId=kb["KeyId"])
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                                          **kms_args(kb["KeyId"]))) == (400, "KMS.DisabledException")
    kms.enable_key(KeyId=kb["KeyId"])
    kms.disable_key(KeyId=ka["KeyId"])
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                                          **kms_args(kb["KeyId"]))) == (400, "KMS.DisabledException")
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **kms_args(kb["KeyId"]))
    assert refused(lambda: s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                                               CopySource={"Bucket": bucket, "Key": "src"})) == (400, "KMS.DisabledException")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="dst"))[0] == 404
    kms.enable_key(KeyId=ka["KeyId"])
    assert_kms(s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, **kms_args(kb["KeyId"])), kb["Arn"])
    assert read(s3, bucket, "dst") == b"copy me"


def test_checksums_and_content_md5_on_sse_kms_writes(coffer, s3, bucket, key):
    body = os.urandom(PKG + 5)
    put = s3.put_object(Bucket=bucket, Key="sum", Body=body, ChecksumAlgorithm="SHA256", **kms_args(key["KeyId"]))
    want = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert put["ChecksumSHA256"] == want
    got = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["ChecksumSHA256"] == want
    r = coffer.endpoint().request("PUT", object_path(bucket, "bad-md5"), body=b"payload", creds=coffer.root, headers={
        "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key["KeyId"],
        "Content-MD5": base64.b64encode(hashlib.md5(b"other").digest()).decode()})
    assert (r.status, r.code()) == (400, "BadDigest"), r.body
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="bad-md5"))[0] == 404


def test_copy_with_metadata_replaced(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key="m", Body=b"meta", Metadata={"a": "1"}, **kms_args(key["KeyId"]))
    c = s3.copy_object(Bucket=bucket, Key="m2", CopySource={"Bucket": bucket, "Key": "m"}, MetadataDirective="REPLACE",
                       Metadata={"b": "2"}, **kms_args(key["KeyId"]))
    assert_kms(c, key["Arn"])
    h = s3.head_object(Bucket=bucket, Key="m2")
    assert h["Metadata"] == {"b": "2"}
    assert_kms(h, key["Arn"])


# ----------------------------------------------------------------------------- multipart


def test_multipart_with_sse_kms_and_upload_part_copy(s3, kms, bucket):
    ka, kb = new_key(kms, "mp A"), new_key(kms, "mp B")
    ctx = {"job": "mp"}
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **kms_args(ka["KeyId"], ctx))
    assert_kms(up, ka["Arn"])
    assert unb64json(up["SSEKMSEncryptionContext"]) == {**ctx, "aws:s3:arn": f"arn:aws:s3:::{bucket}/mp"}
    uid = up["UploadId"]
    part1 = os.urandom(5 * MiB + 3)
    p1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=part1)
    assert_kms(p1, ka["Arn"])
    # a part copied from an SSE-KMS object under another key, with a range across packages
    src_body = os.urandom(5 * MiB + 3 * PKG + 100)
    s3.put_object(Bucket=bucket, Key="src-kms", Body=src_body, **kms_args(kb["Arn"]))
    lo, hi = PKG - 10, PKG - 10 + 5 * MiB
    p2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=2, CopySource={"Bucket": bucket, "Key": "src-kms"},
                             CopySourceRange=f"bytes={lo}-{hi}")
    assert_kms(p2, ka["Arn"])
    # and a range of an SSE-S3 object as the last part
    s3.put_object(Bucket=bucket, Key="src-s3", Body=src_body)
    p3 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=3, CopySource={"Bucket": bucket, "Key": "src-s3"},
                             CopySourceRange=f"bytes={PKG - 10}-{2 * PKG + 9}")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]},
        {"PartNumber": 3, "ETag": p3["CopyPartResult"]["ETag"]}]})
    assert_kms(done, ka["Arn"])
    assert done["ETag"].strip('"').endswith("-3")
    expected = part1 + src_body[lo:hi + 1] + src_body[PKG - 10:2 * PKG + 10]
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == expected
    assert_kms(got, ka["Arn"])
    assert_kms(s3.head_object(Bucket=bucket, Key="mp"), ka["Arn"])
    part2 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert part2["Body"].read() == src_body[lo:hi + 1]
    assert part2["PartsCount"] == 3
    assert_kms(part2, ka["Arn"])
    # ranges across part and package boundaries
    for start, end in ((5 * MiB - 5, 5 * MiB + 10), (5 * MiB + 3 + PKG - 2, 5 * MiB + 3 + PKG + 2), (len(expected) - 70000, len(expected) - 1),
                       (len(part1) + hi - lo - 3, len(part1) + hi - lo + 3)):
        assert read(s3, bucket, "mp", Range=f"bytes={start}-{end}") == expected[start:end + 1], (start, end)


def test_multipart_with_a_bucket_key(s3, bucket, key):
    up = s3.create_multipart_upload(Bucket=bucket, Key="bk-mp", **kms_args(key["KeyId"], bucket_key=True))
    assert_kms(up, key["Arn"], bucket_key=True)
    parts, etags = [os.urandom(5 * MiB), os.urandom(1234)], []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="bk-mp", UploadId=up["UploadId"], PartNumber=i, Body=p)
        etags.append(r["ETag"])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="bk-mp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": e} for i, e in enumerate(etags, 1)]})
    assert_kms(done, key["Arn"], bucket_key=True)
    assert done["ETag"] != multipart_etag(parts) and done["ETag"].strip('"').endswith("-2")
    got = s3.get_object(Bucket=bucket, Key="bk-mp")
    assert got["Body"].read() == b"".join(parts)
    assert_kms(got, key["Arn"], bucket_key=True)


def test_sse_c_headers_on_an_sse_kms_upload_are_invalid_request(s3s, bucket, key):
    up = s3s.create_multipart_upload(Bucket=bucket, Key="mp", **kms_args(key["KeyId"]))
    assert refused(lambda: s3s.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"x" * 100,
                                           **ssec())) == (400, "InvalidRequest")
    s3s.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"])


def test_aws_cli_multipart_20_mib_with_sse_kms(coffer, kms, bucket, key, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(20 * MiB))
    coffer.aws("s3", "cp", str(src), f"s3://{bucket}/big.bin", "--sse", "aws:kms", "--sse-kms-key-id", key["KeyId"], "--only-show-errors")
    head = coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "big.bin")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == key["Arn"]
    assert head["ContentLength"] == 20 * MiB
    assert head["ETag"].strip('"').endswith("-3")  # the CLI's 8 MiB parts
    dst = tmp_path / "back.bin"
    coffer.aws("s3", "cp", f"s3://{bucket}/big.bin", str(dst), "--only-show-errors")
    assert dst.read_bytes() == src.read_bytes()
    # with an alias and a bucket key, via the aws/s3 default key, and over HTTPS
    alias = f"alias/t-cli-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    coffer.aws("s3", "cp", str(src), f"s3://{bucket}/big-alias.bin", "--sse", "aws:kms", "--sse-kms-key-id", alias,
               "--only-show-errors", transport="https")
    coffer.aws("s3", "cp", str(src), f"s3://{bucket}/big-default.bin", "--sse", "aws:kms", "--only-show-errors")
    assert coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "big-alias.bin")["SSEKMSKeyId"] == key["Arn"]
    assert coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "big-default.bin")["SSEKMSKeyId"] == managed_key(kms)["Arn"]
    for name in ("big-alias.bin", "big-default.bin"):
        out = tmp_path / f"{name}.back"
        coffer.aws("s3", "cp", f"s3://{bucket}/{name}", str(out), "--only-show-errors", transport="https")
        assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest(), name


# ----------------------------------------------------------------------------- bucket keys and bucket defaults


def test_bucket_key_headers_on_every_response(s3, bucket, key):
    put = s3.put_object(Bucket=bucket, Key="bk1", Body=b"first", **kms_args(key["KeyId"], bucket_key=True))
    assert_kms(put, key["Arn"], bucket_key=True)
    put2 = s3.put_object(Bucket=bucket, Key="bk2", Body=b"second", **kms_args(key["Arn"], bucket_key=True))
    assert_kms(put2, key["Arn"], bucket_key=True)
    for name, body in (("bk1", b"first"), ("bk2", b"second")):
        got = s3.get_object(Bucket=bucket, Key=name)
        assert got["Body"].read() == body
        assert_kms(got, key["Arn"], bucket_key=True)
        assert_kms(s3.head_object(Bucket=bucket, Key=name), key["Arn"], bucket_key=True)
    off = s3.put_object(Bucket=bucket, Key="nobk", Body=b"no bucket key", **kms_args(key["KeyId"], bucket_key=False))
    assert_kms(off, key["Arn"], bucket_key=False)
    assert_kms(s3.head_object(Bucket=bucket, Key="nobk"), key["Arn"], bucket_key=False)


def test_bucket_default_aws_kms_with_a_key_and_bucket_key(coffer, s3, kms, bucket, key):
    other = new_key(kms, "explicit")
    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
                         "BucketKeyEnabled": True}]}
    coffer.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration", json.dumps(config))
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}
    assert rule["BucketKeyEnabled"] is True
    put = s3.put_object(Bucket=bucket, Key="implicit", Body=b"default kms")
    assert_kms(put, key["Arn"], bucket_key=True)
    got = s3.get_object(Bucket=bucket, Key="implicit")
    assert got["Body"].read() == b"default kms"
    assert_kms(got, key["Arn"], bucket_key=True)
    # the request's own choice wins
    assert s3.put_object(Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="aes")["ServerSideEncryption"] == "AES256"
    assert_kms(s3.put_object(Bucket=bucket, Key="other", Body=b"x", **kms_args(other["KeyId"])), other["Arn"], bucket_key=True)
    assert_kms(s3.put_object(Bucket=bucket, Key="other-nobk", Body=b"x", **kms_args(other["KeyId"], bucket_key=False)), other["Arn"])
    # (S3: aws:kms without x-amz-server-side-encryption-aws-kms-key-id means the AWS managed aws/s3 key)
    assert s3.put_object(Bucket=bucket, Key="kms-no-id", Body=b"x", ServerSideEncryption="aws:kms")["SSEKMSKeyId"] == managed_key(kms)["Arn"]
    # multipart and copies without headers follow the default
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert_kms(up, key["Arn"], bucket_key=True)
    e = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"only part")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    assert_kms(s3.head_object(Bucket=bucket, Key="mp"), key["Arn"], bucket_key=True)
    assert read(s3, bucket, "mp") == b"only part"
    c = s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "aes"})
    assert_kms(c, key["Arn"], bucket_key=True)
    # the CLI without --sse
    f = coffer.workdir + f"/{uuid.uuid4().hex}.txt"
    with open(f, "wb") as fh:
        fh.write(b"cli default")
    coffer.aws("s3", "cp", f, f"s3://{bucket}/cli.txt", "--only-show-errors")
    head = coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "cli.txt")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"] and head["BucketKeyEnabled"] is True


def test_bucket_default_aws_kms_without_a_key_uses_aws_s3(s3, kms, bucket):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms"}
    assert rule["BucketKeyEnabled"] is False
    put = s3.put_object(Bucket=bucket, Key="implicit", Body=b"managed default")
    managed = managed_key(kms)
    assert_kms(put, managed["Arn"])
    assert_kms(s3.head_object(Bucket=bucket, Key="implicit"), managed["Arn"])
    assert read(s3, bucket, "implicit") == b"managed default"
    # a request header asking for a bucket key gets one
    assert_kms(s3.put_object(Bucket=bucket, Key="bk", Body=b"x", BucketKeyEnabled=True), managed["Arn"], bucket_key=True)
    assert read(s3, bucket, "bk") == b"x"


def test_bucket_default_aws_kms_with_an_alias_and_unknown_key(s3, kms, bucket, key):
    alias = f"alias/t-default-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias}}]})
    assert_kms(s3.put_object(Bucket=bucket, Key="via-alias", Body=b"x"), key["Arn"])
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": str(uuid.uuid4())}}]})
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="unknown", Body=b"x")) == (400, "KMS.NotFoundException")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="unknown"))[0] == 404
    assert read(s3, bucket, "via-alias") == b"x"


# ----------------------------------------------------------------------------- key states through S3


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_disabled_key_fails_reads_and_writes_until_enabled(coffer, s3, kms, bucket, bucket_key):
    k = new_key(kms, "to disable")
    body = os.urandom(PKG + 10)
    s3.put_object(Bucket=bucket, Key="obj", Body=body, **kms_args(k["KeyId"], bucket_key=bucket_key))
    assert read(s3, bucket, "obj") == body  # warms any cache
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **kms_args(k["KeyId"], bucket_key=bucket_key))
    coffer.aws("kms", "disable-key", "--key-id", k["KeyId"])
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="obj")) == (400, "KMS.DisabledException")
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="obj", Range="bytes=0-10")) == (400, "KMS.DisabledException")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", **kms_args(k["KeyId"], bucket_key=bucket_key))) == (400, "KMS.DisabledException")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="new"))[0] == 404
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "obj"},
                                          ServerSideEncryption="AES256")) == (400, "KMS.DisabledException")
    assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="mp2", **kms_args(k["KeyId"], bucket_key=bucket_key))) == (400, "KMS.DisabledException")
    assert refused(lambda: s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"part")) == (400, "KMS.DisabledException")
    r = coffer.aws("s3api", "get-object", "--bucket", bucket, "--key", "obj", os.path.join(coffer.workdir, "never.bin"), check=False)
    assert aws_cli_error_code(r) == "KMS.DisabledException"
    coffer.aws("kms", "enable-key", "--key-id", k["KeyId"])
    assert read(s3, bucket, "obj") == body
    assert_kms(s3.put_object(Bucket=bucket, Key="new", Body=b"after", **kms_args(k["KeyId"], bucket_key=bucket_key)), k["Arn"], bucket_key)
    assert read(s3, bucket, "new") == b"after"
    e = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    assert read(s3, bucket, "mp") == b"part"


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_head_reads_metadata_without_the_key_service(coffer, s3, kms, bucket, bucket_key):
    """HeadObject needs only s3:GetObject (no kms:Decrypt: nothing is decrypted), so on S3 it
    answers with the object's metadata and encryption headers even while the KMS key is
    disabled; GetObject is what fails."""
    k = new_key(kms, "head while disabled")
    put = s3.put_object(Bucket=bucket, Key="obj", Body=b"metadata only", Metadata={"m": "v"}, **kms_args(k["KeyId"], bucket_key=bucket_key))
    coffer.aws("kms", "disable-key", "--key-id", k["KeyId"])
    try:
        assert refused(lambda: s3.get_object(Bucket=bucket, Key="obj")) == (400, "KMS.DisabledException")
        head = s3.head_object(Bucket=bucket, Key="obj")
        assert head["ContentLength"] == len(b"metadata only") and head["ETag"] == put["ETag"] and head["Metadata"] == {"m": "v"}
        assert_kms(head, k["Arn"], bucket_key)
    finally:
        coffer.aws("kms", "enable-key", "--key-id", k["KeyId"])


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_key_pending_deletion_fails_with_invalid_state_then_cancel(coffer, s3, kms, bucket, bucket_key):
    k = new_key(kms, "to delete")
    s3.put_object(Bucket=bucket, Key="obj", Body=b"precious", **kms_args(k["Arn"], bucket_key=bucket_key))
    assert read(s3, bucket, "obj") == b"precious"
    coffer.aws("kms", "schedule-key-deletion", "--key-id", k["KeyId"], "--pending-window-in-days", "7")
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="obj")) == (400, "KMS.KMSInvalidStateException")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", **kms_args(k["Arn"], bucket_key=bucket_key))) == (400, "KMS.KMSInvalidStateException")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="new"))[0] == 404
    coffer.aws("kms", "cancel-key-deletion", "--key-id", k["KeyId"])  # the key is now Disabled
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="obj")) == (400, "KMS.DisabledException")
    coffer.aws("kms", "enable-key", "--key-id", k["KeyId"])
    assert read(s3, bucket, "obj") == b"precious"
    assert read(s3, bucket, "obj", Range="bytes=2-4") == b"eci"


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_objects_written_before_rotation_still_read(coffer, s3, kms, bucket, bucket_key):
    k = new_key(kms, "rotating")
    bodies = {}
    for i in range(2):
        bodies[f"before-{i}"] = os.urandom(PKG * 2 + i)
        s3.put_object(Bucket=bucket, Key=f"before-{i}", Body=bodies[f"before-{i}"], **kms_args(k["KeyId"], bucket_key=bucket_key))
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp-across", **kms_args(k["KeyId"], bucket_key=bucket_key))
    part1 = os.urandom(5 * MiB)
    e1 = s3.upload_part(Bucket=bucket, Key="mp-across", UploadId=up["UploadId"], PartNumber=1, Body=part1)["ETag"]
    coffer.aws("kms", "rotate-key-on-demand", "--key-id", k["KeyId"])
    assert len(kms.list_key_rotations(KeyId=k["KeyId"])["Rotations"]) == 1
    bodies["after"] = os.urandom(1000)
    s3.put_object(Bucket=bucket, Key="after", Body=bodies["after"], **kms_args(k["KeyId"], bucket_key=bucket_key))
    e2 = s3.upload_part(Bucket=bucket, Key="mp-across", UploadId=up["UploadId"], PartNumber=2, Body=b"tail")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp-across", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    bodies["mp-across"] = part1 + b"tail"
    coffer.aws("kms", "rotate-key-on-demand", "--key-id", k["Arn"])
    for name, body in bodies.items():
        got = s3.get_object(Bucket=bucket, Key=name)
        assert got["Body"].read() == body, name
        assert_kms(got, k["Arn"], bucket_key)
    c = s3.copy_object(Bucket=bucket, Key="rekeyed", CopySource={"Bucket": bucket, "Key": "before-0"}, **kms_args(k["KeyId"]))
    assert_kms(c, k["Arn"])
    assert read(s3, bucket, "rekeyed") == bodies["before-0"]


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_alias_changes_apply_to_the_next_write(coffer, s3, kms, bucket, bucket_key):
    """An alias names whatever key it targets now. Coffer's key service is strongly consistent
    (describe-key through the alias sees the change at once), so an S3 write naming the alias
    right after update-alias/delete-alias must use the new target / fail with
    KMS.NotFoundException, bucket key or not (Coffer evicts bucket keys on DisableKey for the
    same reason; AWS itself only promises eventual consistency for alias changes)."""
    ka, kb = new_key(kms, "alias target A"), new_key(kms, "alias target B")
    alias = f"alias/t-move-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=ka["KeyId"])
    assert_kms(s3.put_object(Bucket=bucket, Key="one", Body=b"1", **kms_args(alias, bucket_key=bucket_key)), ka["Arn"], bucket_key)
    coffer.aws("kms", "update-alias", "--alias-name", alias, "--target-key-id", kb["KeyId"])
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == kb["Arn"]
    assert_kms(s3.put_object(Bucket=bucket, Key="two", Body=b"2", **kms_args(alias, bucket_key=bucket_key)), kb["Arn"], bucket_key)
    coffer.aws("kms", "delete-alias", "--alias-name", alias)
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="three", Body=b"3", **kms_args(alias, bucket_key=bucket_key))) == (400, "KMS.NotFoundException")
    assert read(s3, bucket, "one") == b"1" and read(s3, bucket, "two") == b"2"


# ----------------------------------------------------------------------------- key service unreachable


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_key_service_is_503_and_nothing_is_written(server_factory):
    server = server_factory()
    server.extra_args = ["--kms-endpoint", f"http://127.0.0.1:{_closed_port()}", "--kms-access-key-id", "KMSCALLERACCESSKEY01",
                         "--kms-secret-access-key", "kms-caller-secret/for+tests/0123456789ab", "--kms-timeout", "2"]
    server.start()
    s3 = boto3.client("s3", endpoint_url=server.http_url, aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1],
                      region_name=REGION, config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                                        retries={"max_attempts": 1, "mode": "standard"}, read_timeout=120))
    s3.create_bucket(Bucket="remote-down")
    assert refused(lambda: s3.put_object(Bucket="remote-down", Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                                         SSEKMSKeyId=str(uuid.uuid4())))[0] == 503
    assert refused(lambda: s3.put_object(Bucket="remote-down", Key="k", Body=b"x", ServerSideEncryption="aws:kms"))[0] == 503
    assert refused(lambda: s3.create_multipart_upload(Bucket="remote-down", Key="k", ServerSideEncryption="aws:kms"))[0] == 503
    assert refused(lambda: s3.head_object(Bucket="remote-down", Key="k"))[0] == 404
    assert s3.list_multipart_uploads(Bucket="remote-down").get("Uploads", []) == []
    s3.put_object(Bucket="remote-down", Key="s3", Body=b"still works", ServerSideEncryption="AES256")
    assert s3.get_object(Bucket="remote-down", Key="s3")["Body"].read() == b"still works"


# ----------------------------------------------------------------------------- reads: presigned, SSE headers on GET, at rest


def test_presigned_get_of_an_sse_kms_object(coffer, s3, bucket, key):
    s3.put_object(Bucket=bucket, Key="pre", Body=b"presigned kms", **kms_args(key["KeyId"], bucket_key=True))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        assert r.read() == b"presigned kms"
        assert r.headers["x-amz-server-side-encryption"] == "aws:kms"
        assert r.headers["x-amz-server-side-encryption-aws-kms-key-id"] == key["Arn"]
        assert r.headers["x-amz-server-side-encryption-bucket-key-enabled"] == "true"


def test_sse_request_headers_on_get_of_an_sse_kms_object_are_400(coffer, s3, bucket, key):
    """S3: encryption request headers like x-amz-server-side-encryption must not be sent on GET
    or HEAD of an SSE-KMS object; they are answered with 400 Bad Request."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"kms", **kms_args(key["KeyId"]))
    ep = coffer.endpoint()
    for headers in ({"x-amz-server-side-encryption": "aws:kms"},
                    {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key["KeyId"]}):
        r = ep.request("GET", object_path(bucket, "k"), headers=headers, creds=coffer.root)
        assert r.status == 400, (headers, r.status, r.body[:300])
        assert r.code() == "InvalidArgument", r.body
        r = ep.request("HEAD", object_path(bucket, "k"), headers=headers, creds=coffer.root)
        assert r.status == 400, (headers, r.status)


@pytest.mark.parametrize("bucket_key", [False, True], ids=["per-object-key", "bucket-key"])
def test_sse_kms_plaintext_never_reaches_the_data_dir(coffer, s3, bucket, key, bucket_key):
    marker = b"SSE-KMS-MARKER-" + os.urandom(8).hex().encode()
    s3.put_object(Bucket=bucket, Key="marked", Body=marker * 2000, **kms_args(key["KeyId"], {"m": "1"}, bucket_key=bucket_key))
    s3.copy_object(Bucket=bucket, Key="marked-copy", CopySource={"Bucket": bucket, "Key": "marked"}, **kms_args(key["KeyId"]))
    up = s3.create_multipart_upload(Bucket=bucket, Key="marked-mp", **kms_args(key["KeyId"], bucket_key=bucket_key))
    s3.upload_part(Bucket=bucket, Key="marked-mp", UploadId=up["UploadId"], PartNumber=1, Body=marker * 100)
    db = os.path.join(coffer.data_dir, "db")
    node = rados_node(coffer.data_dir)
    if node is not None:  # --storage rados: every object of the pool (data, extended attributes, omap)
        assert marker not in node.export(), f"the pool {node.pool} holds SSE-KMS plaintext"
    for _ in range(10 if node is None else 0):
        vanished = False
        for name in os.listdir(db):
            try:
                data = open(os.path.join(db, name), "rb").read()
            except (FileNotFoundError, IsADirectoryError):
                vanished = True
                continue
            assert marker not in data, f"{name} holds SSE-KMS plaintext"
        if not vanished:
            break
    s3.abort_multipart_upload(Bucket=bucket, Key="marked-mp", UploadId=up["UploadId"])
    assert read(s3, bucket, "marked") == marker * 2000
