"""Object and bucket tagging as S3 does it, live with boto3 and the aws CLI over HTTP and HTTPS in
all three SSE modes (SSE-C over HTTPS): Put/Get/DeleteObjectTagging, x-amz-tagging on PUT,
CopyObject (COPY and REPLACE) and multipart uploads, x-amz-tagging-count, Put/Get/Delete-
BucketTagging, S3's limits and errors, the tag condition keys enforced by real bucket policies
(and answered alike by the dry run), and the audit records of the tagging calls."""

from __future__ import annotations

import json
import os
import subprocess
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from conftest import aws_cli_error_code, unique_bucket_name
from test_audit import account_of, assert_chain, audit_read, start_server

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGE = 65536
SSEC_KEY = bytes(range(32))
CLI_SSEC_KEY = "0123456789abcdef0123456789abcdef"  # the CLI base64-encodes it

# (transport, mode): SSE-C only over HTTPS, as S3 requires.
MODES = [("http", "sse-s3"), ("http", "sse-kms"), ("https", "sse-s3"), ("https", "sse-kms"), ("https", "sse-c")]


def write_args(mode: str) -> dict:
    """The encryption arguments of a write (and, for SSE-C, of every read)."""
    return {
        "sse-s3": {"ServerSideEncryption": "AES256"},
        "sse-kms": {"ServerSideEncryption": "aws:kms"},
        "sse-c": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSEC_KEY},
    }[mode]


def read_args(mode: str) -> dict:
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSEC_KEY} if mode == "sse-c" else {}


def copy_source_args(mode: str) -> dict:
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": SSEC_KEY} if mode == "sse-c" else {}


def pairs(tag_set: list[dict]) -> list[tuple[str, str]]:
    return [(t["Key"], t["Value"]) for t in tag_set]


def tag_set(*items: tuple[str, str]) -> dict:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in items]}


def refused(call) -> tuple[int, str, dict]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]


# ----------------------------------------------------------------------------- every operation, every mode


@pytest.mark.parametrize("transport,mode", MODES)
def test_object_tagging_with_boto3(coffer, bucket, transport, mode):
    s3 = coffer.client(transport)
    body = os.urandom(2 * PACKAGE + 17)
    s3.put_object(Bucket=bucket, Key="doc", Body=body, Tagging="project=alpha&empty=&with%20space=a%2Bb", **write_args(mode))
    got = s3.get_object_tagging(Bucket=bucket, Key="doc")
    assert pairs(got["TagSet"]) == [("project", "alpha"), ("empty", ""), ("with space", "a+b")]
    assert "VersionId" not in got, "an unversioned bucket's object has no version id"
    head = s3.head_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert head["TagCount"] == 3
    etag = head["ETag"]

    # Tagging needs no customer key (tags are metadata), and leaves the sealed data as it was.
    put = s3.put_object_tagging(Bucket=bucket, Key="doc", Tagging=tag_set(("classification", "internal"), ("team", "blue")))
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200 and "VersionId" not in put
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"]) == [("classification", "internal"), ("team", "blue")]
    get = s3.get_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert get["Body"].read() == body
    assert get["TagCount"] == 2 and get["ETag"] == etag
    ranged = s3.get_object(Bucket=bucket, Key="doc", Range=f"bytes={PACKAGE - 3}-{PACKAGE + 3}", **read_args(mode))
    assert ranged["Body"].read() == body[PACKAGE - 3:PACKAGE + 4]

    # CopyObject: COPY (the default) keeps the source's tags whatever x-amz-tagging says; REPLACE takes it.
    s3.copy_object(Bucket=bucket, Key="copy-default", CopySource=f"{bucket}/doc", Tagging="ignored=yes",
                   **copy_source_args(mode), **write_args(mode))
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="copy-default")["TagSet"]) == [("classification", "internal"), ("team", "blue")]
    s3.copy_object(Bucket=bucket, Key="copy-replace", CopySource=f"{bucket}/doc", TaggingDirective="REPLACE", Tagging="classification=public",
                   **copy_source_args(mode), **write_args(mode))
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="copy-replace")["TagSet"]) == [("classification", "public")]
    s3.copy_object(Bucket=bucket, Key="copy-none", CopySource=f"{bucket}/doc", TaggingDirective="REPLACE",
                   **copy_source_args(mode), **write_args(mode))
    assert s3.get_object_tagging(Bucket=bucket, Key="copy-none")["TagSet"] == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="copy-none", **read_args(mode))
    assert s3.get_object(Bucket=bucket, Key="copy-replace", **read_args(mode))["Body"].read() == body

    # Multipart: the upload's tags reach the object when it completes.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging=urlencode({"stage": "upload", "owner": "ana"}), **write_args(mode))
    part1 = os.urandom(5 * 1024 * 1024)
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=part1, **read_args(mode))["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=2, Body=b"tail", **read_args(mode))["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], **read_args(mode),
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="mp")["TagSet"]) == [("stage", "upload"), ("owner", "ana")]
    assert s3.head_object(Bucket=bucket, Key="mp", **read_args(mode))["TagCount"] == 2
    assert s3.get_object(Bucket=bucket, Key="mp", **read_args(mode))["Body"].read() == part1 + b"tail"

    # DeleteObjectTagging: 204, and the count is gone; the data is still there.
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="doc")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204 and "VersionId" not in deleted
    assert s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"] == []
    head = s3.head_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert "TagCount" not in head and head["ETag"] == etag
    assert s3.get_object(Bucket=bucket, Key="doc", **read_args(mode))["Body"].read() == body
    # versionId=null names the object of an unversioned bucket.
    s3.put_object_tagging(Bucket=bucket, Key="doc", VersionId="null", Tagging=tag_set(("v", "null")))
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId="null")["TagSet"]) == [("v", "null")]
    s3.delete_object_tagging(Bucket=bucket, Key="doc", VersionId="null")
    # An overwrite starts without tags.
    s3.put_object_tagging(Bucket=bucket, Key="doc", Tagging=tag_set(("a", "b")))
    s3.put_object(Bucket=bucket, Key="doc", Body=b"new", **write_args(mode))
    assert s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"] == []


def cli_sse(mode: str) -> list[str]:
    return {
        "sse-s3": ["--server-side-encryption", "AES256"],
        "sse-kms": ["--server-side-encryption", "aws:kms"],
        "sse-c": ["--sse-customer-algorithm", "AES256", "--sse-customer-key", CLI_SSEC_KEY],
    }[mode]


def cli_read(mode: str) -> list[str]:
    return ["--sse-customer-algorithm", "AES256", "--sse-customer-key", CLI_SSEC_KEY] if mode == "sse-c" else []


@pytest.mark.parametrize("transport,mode", MODES)
def test_object_and_bucket_tagging_with_the_aws_cli(coffer, bucket, transport, mode, tmp_path):
    src = tmp_path / "q1.csv"
    src.write_bytes(os.urandom(PACKAGE + 1))
    aws = lambda *args, **kw: coffer.aws_json(*args, transport=transport, **kw)  # noqa: E731
    aws("s3api", "put-object", "--bucket", bucket, "--key", "q1.csv", "--body", str(src), "--tagging", "classification=internal&team=finance", *cli_sse(mode))
    assert pairs(aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "q1.csv")["TagSet"]) == [("classification", "internal"), ("team", "finance")]
    assert aws("s3api", "head-object", "--bucket", bucket, "--key", "q1.csv", *cli_read(mode))["TagCount"] == 2
    coffer.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "q1.csv", "--tagging", "TagSet=[{Key=classification,Value=public}]", transport=transport)
    assert pairs(aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "q1.csv")["TagSet"]) == [("classification", "public")]
    aws("s3api", "copy-object", "--bucket", bucket, "--key", "copy.csv", "--copy-source", f"{bucket}/q1.csv", "--tagging-directive", "REPLACE",
        "--tagging", "copied=yes", *cli_sse(mode), *(["--copy-source-sse-customer-algorithm", "AES256", "--copy-source-sse-customer-key", CLI_SSEC_KEY] if mode == "sse-c" else []))
    assert pairs(aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "copy.csv")["TagSet"]) == [("copied", "yes")]
    coffer.aws("s3api", "delete-object-tagging", "--bucket", bucket, "--key", "q1.csv", transport=transport)
    assert aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "q1.csv")["TagSet"] == []
    out = tmp_path / "out"
    coffer.aws("s3api", "get-object", "--bucket", bucket, "--key", "q1.csv", *cli_read(mode), str(out), transport=transport)
    assert out.read_bytes() == src.read_bytes()

    # Bucket tags.
    missing = coffer.aws("s3api", "get-bucket-tagging", "--bucket", bucket, transport=transport, check=False)
    assert aws_cli_error_code(missing) == "NoSuchTagSet"
    coffer.aws("s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging", json.dumps(tag_set(("cost-center", "4711"), ("owner", ""))), transport=transport)
    assert pairs(aws("s3api", "get-bucket-tagging", "--bucket", bucket)["TagSet"]) == [("cost-center", "4711"), ("owner", "")]
    coffer.aws("s3api", "delete-bucket-tagging", "--bucket", bucket, transport=transport)
    assert aws_cli_error_code(coffer.aws("s3api", "get-bucket-tagging", "--bucket", bucket, transport=transport, check=False)) == "NoSuchTagSet"
    # The CLI's errors for tags S3 refuses.
    reserved = coffer.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "q1.csv", "--tagging", "TagSet=[{Key=aws:x,Value=1}]",
                          transport=transport, check=False)
    assert aws_cli_error_code(reserved) == "InvalidTag"
    assert aws_cli_error_code(coffer.aws("s3api", "put-object", "--bucket", bucket, "--key", "bad", "--body", str(src), "--tagging", "a=1&a=2",
                                         *cli_sse(mode), transport=transport, check=False)) == "InvalidArgument"


# ----------------------------------------------------------------------------- limits and errors


@pytest.fixture
def lax(coffer):
    """boto3 without client-side validation, so that what S3 refuses reaches the server."""
    return coffer.client(parameter_validation=False)


def test_object_tag_limits_and_errors(coffer, bucket, lax):
    s3 = coffer.client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    ten = [(f"k{i}", "v") for i in range(10)]
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(*ten))
    assert s3.head_object(Bucket=bucket, Key="k")["TagCount"] == 10
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("k" * 128, "v" * 256), ("日本語キー", "ünïcödé ½ Ⅻ"), ("+-=._:/@", "")))
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"])[1] == ("日本語キー", "ünïcödé ½ Ⅻ")

    status, code, error = refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(*ten, ("k10", "v"))))
    assert (status, code, error["Message"]) == (400, "BadRequest", "Object tags cannot be greater than 10")
    status, code, error = refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("Key1", "a"), ("Key1", "b"))))
    assert (status, code, error["Message"], error["TagKey"]) == (400, "InvalidTag", "Cannot provide multiple Tags with the same key", "Key1")
    status, code, error = refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("Key1,Key2", "v"))))
    assert (code, error["Message"], error["TagKey"]) == ("InvalidTag", "The TagKey you have provided is invalid", "Key1,Key2")
    status, code, error = refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("Key1", "Val1,Val2"))))
    assert (code, error["Message"], error["TagValue"]) == ("InvalidTag", "The TagValue you have provided is invalid", "Val1,Val2")
    assert refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("k" * 129, "v"))))[1] == "InvalidTag"
    assert refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("k", "v" * 257))))[1] == "InvalidTag"
    assert refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("", "v"))))[1] == "InvalidTag"
    status, code, error = refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("aws:prefixed", "v"))))
    assert (code, error["Message"]) == ("InvalidTag", "Your TagKey cannot be prefixed with aws:")
    assert refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": None, "Value": "v"}]}))[:2] == (400, "MalformedXML")
    assert refused(lambda: lax.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "k", "Value": None}]}))[:2] == (400, "MalformedXML")
    assert refused(lambda: s3.put_object_tagging(Bucket=bucket, Key="k", VersionId="3HL4kqtJlcpXroDTDmJ", Tagging=tag_set(("a", "b"))))[:2] == (400, "InvalidArgument")
    # None of that changed the tags.
    assert len(s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]) == 3
    # {"TagSet": None}: SDKs send <Tagging/>, the empty set.
    lax.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": None})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []

    # x-amz-tagging: S3's query-string rules.
    s3.put_object(Bucket=bucket, Key="qs", Body=b"", Tagging="wrongquery&wrongagain")
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="qs")["TagSet"]) == [("wrongquery", ""), ("wrongagain", "")]
    for header in ("key1=val1&key1=val2", "key1=val1,key2=val2"):
        status, code, error = refused(lambda: s3.put_object(Bucket=bucket, Key="bad", Body=b"", Tagging=header))
        assert (status, code, error["ArgumentName"], error["ArgumentValue"]) == (400, "InvalidArgument", "x-amz-tagging", header)
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="bad", Body=b"", Tagging="&".join(f"k{i}=v" for i in range(11))))[1] == "BadRequest"
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="bad", Body=b"", Tagging="key?=v"))[1] == "InvalidTag"
    assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="bad", Tagging="aws%3Aowner=me"))[1] == "InvalidTag"
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="bad", CopySource=f"{bucket}/k", TaggingDirective="REPLACE", Tagging="=v"))[1] == "InvalidArgument"
    assert refused(lambda: lax.copy_object(Bucket=bucket, Key="bad", CopySource=f"{bucket}/k", TaggingDirective="MERGE"))[:2] == (400, "InvalidArgument")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="bad"))[0] == 404, "a refused write stores nothing"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    # Missing objects and buckets.
    status, code, error = refused(lambda: s3.get_object_tagging(Bucket=bucket, Key="missing"))
    assert (status, code, error["Key"]) == (404, "NoSuchKey", f"{bucket}/missing")
    assert refused(lambda: s3.put_object_tagging(Bucket=bucket, Key="missing", Tagging=tag_set()))[:2] == (404, "NoSuchKey")
    assert refused(lambda: s3.delete_object_tagging(Bucket=bucket, Key="missing"))[:2] == (404, "NoSuchKey")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="missing"))[0] == 404
    assert refused(lambda: s3.get_object_tagging(Bucket=unique_bucket_name("gone"), Key="k"))[:2] == (404, "NoSuchBucket")


def test_bucket_tag_limits_and_errors(coffer, bucket, lax):
    s3 = coffer.client()
    status, code, error = refused(lambda: s3.get_bucket_tagging(Bucket=bucket))
    assert (status, code, error["Message"], error["BucketName"]) == (404, "NoSuchTagSet", "The TagSet does not exist", bucket)
    fifty = [(f"k{i}", "v") for i in range(50)]
    assert s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(*fifty))["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    status, code, error = refused(lambda: lax.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(*fifty, ("k50", "v"))))
    assert (status, code, error["Message"]) == (400, "BadRequest", "Bucket tag count cannot be greater than 50")
    status, code, error = refused(lambda: lax.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("aws:prefixed", "v"))))
    assert (code, error["Message"], error["TagKey"]) == ("InvalidTag", "System tags cannot be added/updated by requester", "aws:prefixed")
    assert refused(lambda: lax.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("Key1", "v"), ("Key1", "w"))))[1] == "InvalidTag"
    assert refused(lambda: lax.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": None, "Value": "v"}]}))[1] == "MalformedXML"
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50, "a refused set changes nothing"
    # Tags and a policy share the bucket record without undoing each other.
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                                "Resource": f"arn:aws:s3:::{bucket}/public/*"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("team", "blue")))
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    s3.delete_bucket_policy(Bucket=bucket)
    assert pairs(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == [("team", "blue")]
    # An empty set removes the tags; DeleteBucketTagging is idempotent.
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set())
    assert refused(lambda: s3.get_bucket_tagging(Bucket=bucket))[1] == "NoSuchTagSet"
    s3.delete_bucket_tagging(Bucket=bucket)
    missing = unique_bucket_name("gone")
    for call in (lambda: s3.get_bucket_tagging(Bucket=missing), lambda: s3.delete_bucket_tagging(Bucket=missing),
                 lambda: s3.put_bucket_tagging(Bucket=missing, Tagging=tag_set())):
        assert refused(call)[:2] == (404, "NoSuchBucket")


# ----------------------------------------------------------------------------- condition keys


def put_policy(s3, bucket: str, document: dict) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))


def library_policy(name: str, bucket: str) -> dict:
    with open(os.path.join(REPO, "bucket-policies", name)) as f:
        return json.loads(f.read().replace("example-bucket", bucket))


def simulate(coffer, policy: dict, tmp_path, line: str, *args: str) -> str:
    """The dry run's decision for an HTTP request, by the same binary as the server."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    r = subprocess.run([coffer.binary, "policy", "simulate", str(path), "--http", line, *args, "--format", "json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)["decision"]


@pytest.mark.parametrize("transport", ["http", "https"])
def test_require_object_tags_policy(coffer, bucket, transport, tmp_path):
    """The library's require-object-tags policy on a real bucket: the server refuses what the dry
    run denies and serves what it leaves alone."""
    s3 = coffer.client(transport)
    policy = library_policy("require-object-tags.json", bucket)
    s3.put_object(Bucket=bucket, Key="old", Body=b"before the policy", Tagging="classification=internal")
    put_policy(s3, bucket, policy)
    root = ["--principal", account_of(coffer)] + (["--secure"] if transport == "https" else [])
    cases = [
        # (boto3 call, the same request for the dry run, denied?)
        (lambda: s3.put_object(Bucket=bucket, Key="plain", Body=b"x"), (f"PUT /{bucket}/plain",), True),
        (lambda: s3.put_object(Bucket=bucket, Key="team", Body=b"x", Tagging="team=blue"),
         (f"PUT /{bucket}/team", "--header", "x-amz-tagging: team=blue"), True),
        (lambda: s3.put_object(Bucket=bucket, Key="secret", Body=b"x", Tagging="classification=secret"),
         (f"PUT /{bucket}/secret", "--header", "x-amz-tagging: classification=secret"), True),
        (lambda: s3.put_object(Bucket=bucket, Key="ok", Body=b"x", Tagging="classification=internal&team=blue"),
         (f"PUT /{bucket}/ok", "--header", "x-amz-tagging: classification=internal&team=blue"), False),
        (lambda: s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/old"),
         (f"PUT /{bucket}/copy", "--header", f"x-amz-copy-source: /{bucket}/old"), True),
        (lambda: s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/old", TaggingDirective="REPLACE", Tagging="classification=public"),
         (f"PUT /{bucket}/copy", "--header", f"x-amz-copy-source: /{bucket}/old", "--header", "x-amz-tagging-directive: REPLACE",
          "--header", "x-amz-tagging: classification=public"), False),
        (lambda: s3.delete_object_tagging(Bucket=bucket, Key="old"), (f"DELETE /{bucket}/old?tagging",), True),
        (lambda: s3.get_object(Bucket=bucket, Key="old"), (f"GET /{bucket}/old",), False),
    ]
    for call, request, denied in cases:
        decision = simulate(coffer, policy, tmp_path, *request, *root)
        if denied:
            assert refused(call)[:2] == (403, "AccessDenied"), request
            assert decision == "explicit-deny", request
        else:
            call()
            assert decision == "implicit-deny", request  # the root user is then allowed by identity
    # PutObjectTagging: the body's tags are the request's.
    body = tmp_path / "tagging.xml"
    body.write_text('<Tagging><TagSet><Tag><Key>team</Key><Value>red</Value></Tag></TagSet></Tagging>')
    assert refused(lambda: s3.put_object_tagging(Bucket=bucket, Key="old", Tagging=tag_set(("team", "red"))))[:2] == (403, "AccessDenied")
    assert simulate(coffer, policy, tmp_path, f"PUT /{bucket}/old?tagging", "--body", str(body), *root) == "explicit-deny"
    s3.put_object_tagging(Bucket=bucket, Key="old", Tagging=tag_set(("classification", "confidential")))
    body.write_text('<Tagging><TagSet><Tag><Key>classification</Key><Value>confidential</Value></Tag></TagSet></Tagging>')
    assert simulate(coffer, policy, tmp_path, f"PUT /{bucket}/old?tagging", "--body", str(body), *root) == "implicit-deny"
    # As on S3, the parts of a multipart upload carry no tags: this policy refuses them.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="classification=internal")
    assert refused(lambda: s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"p"))[:2] == (403, "AccessDenied")
    s3.delete_bucket_policy(Bucket=bucket)
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"])
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="old")["TagSet"]) == [("classification", "confidential")]


def test_existing_and_request_tags_for_another_user(coffer, bucket, tmp_path):
    """alice reads only objects tagged visibility=public; may tag with the keys listed only; and
    needs s3:PutObjectTagging to upload with tags."""
    root = coffer.client()
    account = account_of(coffer)
    alice_arn = f"arn:aws:iam::{account}:user/alice"
    root.put_object(Bucket=bucket, Key="public", Body=b"open", Tagging="visibility=public")
    root.put_object(Bucket=bucket, Key="private", Body=b"closed", Tagging="visibility=private")
    root.put_object(Bucket=bucket, Key="untagged", Body=b"none")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadPublic", "Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": ["s3:GetObject", "s3:GetObjectTagging"],
         "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "public"}}},
        {"Sid": "Upload", "Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/uploads/*"},
        {"Sid": "TagWithKnownKeys", "Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:PutObjectTagging",
         "Resource": f"arn:aws:s3:::{bucket}/uploads/*", "Condition": {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["visibility", "team"]}}},
    ]}
    put_policy(root, bucket, policy)
    for transport in ("http", "https"):
        alice = coffer.client(transport, user="alice")
        assert alice.get_object(Bucket=bucket, Key="public")["Body"].read() == b"open"
        assert pairs(alice.get_object_tagging(Bucket=bucket, Key="public")["TagSet"]) == [("visibility", "public")]
        for key in ("private", "untagged"):
            assert refused(lambda: alice.get_object(Bucket=bucket, Key=key))[:2] == (403, "AccessDenied")
            assert refused(lambda: alice.get_object_tagging(Bucket=bucket, Key=key))[:2] == (403, "AccessDenied")
        # Uploads: without tags; with listed keys (takes s3:PutObjectTagging, granted for them); with others refused.
        alice.put_object(Bucket=bucket, Key="uploads/a", Body=b"a")
        alice.put_object(Bucket=bucket, Key="uploads/b", Body=b"b", Tagging="visibility=public&team=red")
        assert refused(lambda: alice.put_object(Bucket=bucket, Key="uploads/c", Body=b"c", Tagging="project=x"))[:2] == (403, "AccessDenied")
        alice.put_object_tagging(Bucket=bucket, Key="uploads/a", Tagging=tag_set(("team", "red")))
        assert refused(lambda: alice.put_object_tagging(Bucket=bucket, Key="uploads/a", Tagging=tag_set(("owner", "alice"))))[:2] == (403, "AccessDenied")
        # The tag decides: alice reads what she tagged public.
        assert alice.get_object(Bucket=bucket, Key="uploads/b")["Body"].read() == b"b"
        assert refused(lambda: alice.get_object(Bucket=bucket, Key="uploads/a"))[:2] == (403, "AccessDenied")
    # x-amz-tagging-count needs s3:GetObjectTagging: granted here only with the visibility tag.
    put_policy(root, bucket, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    alice = coffer.client(user="alice")
    assert "TagCount" not in alice.head_object(Bucket=bucket, Key="public")
    assert root.head_object(Bucket=bucket, Key="public")["TagCount"] == 1
    # The dry run agrees with the server on the existing tags it is given.
    for tags, expected in ((["visibility=public"], "allow"), (["visibility=private"], "implicit-deny"), ([], "implicit-deny")):
        extra = [a for t in tags for a in ("--existing-tag", t)]
        assert simulate(coffer, policy, tmp_path, f"GET /{bucket}/public", "--principal", alice_arn, *extra) == expected
    root.delete_bucket_policy(Bucket=bucket)


# ----------------------------------------------------------------------------- audit


def test_tagging_calls_are_in_the_audit_trail(server_factory, tmp_path, coffer_binary):
    server = start_server(server_factory, tmp_path)
    s3 = server.client()
    account = account_of(server)
    bucket = "audit-tagging"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="classification=internal")
    put = s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tag_set(("team", "blue"), ("classification", "public")))
    got = s3.get_object_tagging(Bucket=bucket, Key="k")
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="k")
    with pytest.raises(ClientError):
        s3.get_object_tagging(Bucket=bucket, Key="missing")
    server.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "k", "--tagging", "TagSet=[{Key=via,Value=cli}]")
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("a", "b")))
    with pytest.raises(ClientError):
        server.client(user="alice").put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("a", "b")))

    puts = audit_read(coffer_binary, server.data_dir, "--event-name", "PutObjectTagging")
    assert [r["requestParameters"]["tagging"] for r in puts] == ["team=blue&classification=public", "via=cli"]
    first = puts[0]
    assert first["requestID"] == put["ResponseMetadata"]["RequestId"]
    assert first["eventSource"] == "s3.amazonaws.com" and first["eventCategory"] == "Data" and first["readOnly"] is False
    assert first["requestParameters"]["bucketName"] == bucket and first["requestParameters"]["key"] == "k"
    assert {"ARN": f"arn:aws:s3:::{bucket}/k", "type": "AWS::S3::Object"} in first["resources"]
    assert first["userIdentity"]["arn"] == f"arn:aws:iam::{account}:root"
    gets = audit_read(coffer_binary, server.data_dir, "--event-name", "GetObjectTagging")
    assert [(r["requestID"], r.get("errorCode")) for r in gets][0] == (got["ResponseMetadata"]["RequestId"], None)
    assert gets[0]["readOnly"] is True and gets[1]["errorCode"] == "NoSuchKey"
    deletes = audit_read(coffer_binary, server.data_dir, "--event-name", "DeleteObjectTagging")
    assert [r["requestID"] for r in deletes] == [deleted["ResponseMetadata"]["RequestId"]] and deletes[0]["readOnly"] is False
    # PutObject names the header it was sent; bucket tagging is recorded when refused only.
    put_object = audit_read(coffer_binary, server.data_dir, "--event-name", "PutObject", "--object-key", "k")
    assert put_object[0]["requestParameters"]["x-amz-tagging"] == "classification=internal"
    bucket_tagging = audit_read(coffer_binary, server.data_dir, "--event-name", "PutBucketTagging")
    assert [r.get("errorCode") for r in bucket_tagging] == ["AccessDenied"]
    assert_chain(server.data_dir)
    server.server.stop()
