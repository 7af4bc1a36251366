"""PutBucketEncryption / GetBucketEncryption / DeleteBucketEncryption, S3's BlockedEncryptionTypes
(SSE-C blocking), the server option that blocks SSE-C on new buckets, and defaults that name
a mode Coffer does not have yet failing honestly."""

import os

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROOT


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def rule(algorithm="AES256", key_id=None, blocked=None):
    by_default = {"SSEAlgorithm": algorithm}
    if key_id:
        by_default["KMSMasterKeyID"] = key_id
    r = {"ApplyServerSideEncryptionByDefault": by_default}
    if blocked is not None:
        r["BlockedEncryptionTypes"] = {"EncryptionType": blocked}
    return {"Rules": [r]}


def default_rule(s3, bucket):
    """The bucket answers S3's default configuration (what a bucket without one, or after a
    delete, has answered since 2023): exactly AES256 without a key, bucket key off, nothing blocked."""
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    return rules == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False,
                      "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]


def test_configuration_round_trip_and_delete(s3, bucket):
    # Every S3 bucket has had SSE-S3 default encryption since January 2023.
    assert default_rule(s3, bucket)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule())
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert got["BucketKeyEnabled"] is False
    assert got["BlockedEncryptionTypes"] == {"EncryptionType": ["NONE"]}
    s3.delete_bucket_encryption(Bucket=bucket)
    assert default_rule(s3, bucket)


def test_invalid_configurations(s3, bucket):
    assert refused(lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule("AES256", key_id="alias/x"))) == (400, "InvalidArgument")
    assert refused(lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule("DES"))) == (400, "MalformedXML")
    assert refused(lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": []})) == (400, "MalformedXML")
    assert refused(lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule(blocked=["SSE-X"]))) == (400, "MalformedXML")
    assert default_rule(s3, bucket)  # nothing was stored


def test_blocked_sse_c_writes_are_access_denied(s3, bucket):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule(blocked=["SSE-C"]))
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}
    key = os.urandom(32)
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="c", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=key)) == (403, "AccessDenied")
    assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=key)) == (403, "AccessDenied")
    s3.put_object(Bucket=bucket, Key="plain", Body=b"still fine")  # other writes are unaffected
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule(blocked=["NONE"]))
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]["BlockedEncryptionTypes"] == {"EncryptionType": ["NONE"]}


def test_kms_default_with_an_unknown_key_fails_and_stores_nothing(s3, bucket):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule("aws:kms", key_id="alias/bucket-key"))
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/bucket-key"}
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x")) == (400, "KMS.NotFoundException")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="k"))[0] == 404  # nothing silently stored
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"


def test_server_option_blocks_sse_c_on_new_buckets(server_factory):
    server = server_factory()
    server.extra_args = ["--block-sse-c-on-new-buckets"]
    server.start()
    s3 = boto3.client("s3", endpoint_url=server.http_url, aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1],
                      region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="blocked-by-default")
    got = s3.get_bucket_encryption(Bucket="blocked-by-default")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert got["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}
    assert refused(lambda: s3.put_object(Bucket="blocked-by-default", Key="c", Body=b"x", SSECustomerAlgorithm="AES256",
                                         SSECustomerKey=os.urandom(32))) == (403, "AccessDenied")
