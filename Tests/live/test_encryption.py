"""Encryption at rest (SSE-S3 on every object path): the response headers S3 sends, honest
refusals of the modes that have not landed, and a scan of the whole data directory proving
that no object byte, and no root key, is stored in the clear."""

import base64
import hashlib
import json
import os

import pytest

from botocore.exceptions import ClientError

from conftest import rados_node

SSE = "x-amz-server-side-encryption"


def refused(call) -> tuple[int, str]:
    """(HTTP status, error code) of the ClientError that `call` must raise."""
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


@pytest.mark.parametrize("explicit", [False, True])
def test_put_get_head_answer_aes256(s3, bucket, explicit):
    extra = {"ServerSideEncryption": "AES256"} if explicit else {}
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"sealed bytes", **extra)
    assert put["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == b"sealed bytes"


def test_copy_and_multipart_answer_aes256(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x" * 1000)
    copy = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copy["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"x" * 1000
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert upload["ServerSideEncryption"] == "AES256"
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"y" * 100)
    assert part["ServerSideEncryption"] == "AES256"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"y" * 100


def test_empty_object_round_trips(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["ContentLength"] == 0 and got["Body"].read() == b""


def test_unknown_algorithm_is_invalid_argument(s3, bucket):
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES512")) == (400, "InvalidArgument")


def test_dsse_kms_is_refused_not_downgraded_and_sse_c_needs_https(s3, bucket):
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms:dsse")) == (501, "NotImplemented")
    key = os.urandom(32)
    # SSE-C over plain HTTP is refused as S3 refuses it (test_sse_c.py covers HTTPS).
    assert refused(lambda: s3.put_object(
        Bucket=bucket, Key="ssec", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=key)) == (400, "InvalidRequest")
    for key_name in ("kms", "ssec"):
        assert refused(lambda: s3.head_object(Bucket=bucket, Key=key_name))[0] == 404


def test_nothing_is_stored_in_the_clear(coffer, s3, bucket):
    marker = b"COFFER-PLAINTEXT-MARKER-" + os.urandom(8).hex().encode()
    body = marker * 5000  # ~200 KiB: several packages
    s3.put_object(Bucket=bucket, Key="marker-put", Body=body)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="marker-mp")
    parts = []
    for number, chunk in ((1, body * 27), (2, marker)):  # a 5 MiB+ part and a tiny last part
        etag = s3.upload_part(Bucket=bucket, Key="marker-mp", UploadId=upload["UploadId"], PartNumber=number, Body=chunk)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key="marker-mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    s3.copy_object(Bucket=bucket, Key="marker-copy", CopySource={"Bucket": bucket, "Key": "marker-put"})
    assert s3.get_object(Bucket=bucket, Key="marker-copy")["Body"].read() == body

    keys_file = os.path.join(coffer.data_dir, "keys", "sse-s3-root-keys.json")
    assert oct(os.stat(keys_file).st_mode & 0o777) == "0o600"
    root_keys = [base64.b64decode(v) for v in json.load(open(keys_file))["keys"].values()]
    needles = [marker, marker[:16], hashlib.sha256(marker).digest()] + root_keys
    node = rados_node(coffer.data_dir)
    if node is not None:  # --storage rados: every object of the pool (data, extended attributes, omap)
        data = node.export()
        for needle in needles:
            assert needle not in data, f"the pool {node.pool} holds a secret or plaintext in the clear"
        assert len(data) > len(body)
        return
    db_dir = os.path.join(coffer.data_dir, "db")
    # The server keeps running (and compacting) while the scan reads its files: a table that
    # vanishes between listing and reading had its entries moved to a newer one, so scan
    # again until one pass reads every file it listed.
    for _ in range(10):
        scanned, vanished = 0, False
        for root, _, files in os.walk(db_dir):
            for name in files:
                try:
                    data = open(os.path.join(root, name), "rb").read()
                except FileNotFoundError:
                    vanished = True
                    continue
                scanned += len(data)
                for needle in needles:
                    assert needle not in data, f"{name} holds a secret or plaintext in the clear"
        if not vanished:
            break
    assert not vanished, "LevelDB kept replacing files during every scan"
    assert scanned > len(body)  # the LevelDB log and tables were really read


def test_unimplemented_bucket_subresource_never_deletes_the_bucket(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    s3.head_bucket(Bucket=bucket)  # still there


def test_delete_of_another_version_leaves_the_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v", Body=b"keep me")
    assert refused(lambda: s3.delete_object(Bucket=bucket, Key="v", VersionId="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")) == (400, "InvalidArgument")
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"keep me"


def test_multipart_part_numbers_of_an_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="single", Body=b"whole")
    one = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert one["ResponseMetadata"]["HTTPStatusCode"] == 206 and one["Body"].read() == b"whole"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"a" * (5 * 1024 * 1024))["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    empty = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert empty["ResponseMetadata"]["HTTPStatusCode"] == 206 and empty["Body"].read() == b"" and empty["PartsCount"] == 2
