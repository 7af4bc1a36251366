"""SSE-C: customer-provided keys on every object path over HTTPS, S3's errors for bad or
missing keys, copies between every pair of modes, multipart, and the aws CLI's --sse-c."""

import base64
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

from conftest import rados_node

MiB = 1024 * 1024
KEY = bytes(range(32))
OTHER = bytes(range(100, 132))


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def ssec(key=KEY):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def source_ssec(key=KEY):
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


@pytest.fixture
def s3s(coffer):
    return coffer.client("https")


def test_put_get_head_with_the_key(s3s, bucket):
    body = os.urandom(3 * 65536 + 123)
    put = s3s.put_object(Bucket=bucket, Key="c", Body=body, **ssec())
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(KEY).digest()).decode()
    assert "ServerSideEncryption" not in put
    assert put["ETag"].strip('"') != hashlib.md5(body).hexdigest()  # the ETag does not reveal the plaintext's MD5
    head = s3s.head_object(Bucket=bucket, Key="c", **ssec())
    assert head["ContentLength"] == len(body) and head["SSECustomerAlgorithm"] == "AES256"
    assert s3s.get_object(Bucket=bucket, Key="c", **ssec())["Body"].read() == body
    ranged = s3s.get_object(Bucket=bucket, Key="c", Range="bytes=65530-131080", **ssec())
    assert ranged["Body"].read() == body[65530:131081]


def test_missing_wrong_and_misplaced_keys(s3s, bucket):
    s3s.put_object(Bucket=bucket, Key="c", Body=b"secret", **ssec())
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="c")) == (400, "InvalidRequest")
    assert refused(lambda: s3s.head_object(Bucket=bucket, Key="c"))[0] == 400
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="c", **ssec(OTHER))) == (403, "AccessDenied")
    s3s.put_object(Bucket=bucket, Key="s3", Body=b"plain sse-s3")
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="s3", **ssec())) == (400, "InvalidRequest")


def test_invalid_key_headers(coffer, s3s, bucket):
    assert refused(lambda: s3s.put_object(Bucket=bucket, Key="x", Body=b"x", SSECustomerAlgorithm="AES512", SSECustomerKey=KEY)) == (400, "InvalidEncryptionAlgorithmError")
    assert refused(lambda: s3s.put_object(Bucket=bucket, Key="x", Body=b"x", **ssec(KEY[:16]))) == (400, "InvalidArgument")
    # with an explicit MD5, botocore sends the key as given (already base64)
    assert refused(lambda: s3s.put_object(Bucket=bucket, Key="x", Body=b"x", SSECustomerAlgorithm="AES256",
                                          SSECustomerKey=base64.b64encode(KEY).decode(),
                                          SSECustomerKeyMD5=base64.b64encode(hashlib.md5(OTHER).digest()).decode())) == (400, "InvalidArgument")
    assert refused(lambda: s3s.put_object(Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="AES256", **ssec())) == (400, "InvalidArgument")
    # over plain HTTP the key is refused before anything is stored
    assert refused(lambda: coffer.client("http").put_object(Bucket=bucket, Key="x", Body=b"x", **ssec())) == (400, "InvalidRequest")
    assert refused(lambda: s3s.head_object(Bucket=bucket, Key="x"))[0] == 404


def test_copies_between_modes(s3s, bucket):
    s3s.put_object(Bucket=bucket, Key="c", Body=b"customer data", **ssec())
    s3s.put_object(Bucket=bucket, Key="s", Body=b"server data")
    # SSE-C -> SSE-S3
    s3s.copy_object(Bucket=bucket, Key="c-to-s", CopySource={"Bucket": bucket, "Key": "c"}, **source_ssec())
    assert s3s.get_object(Bucket=bucket, Key="c-to-s")["Body"].read() == b"customer data"
    # SSE-S3 -> SSE-C
    copied = s3s.copy_object(Bucket=bucket, Key="s-to-c", CopySource={"Bucket": bucket, "Key": "s"}, **ssec(OTHER))
    assert copied["SSECustomerAlgorithm"] == "AES256"
    assert s3s.get_object(Bucket=bucket, Key="s-to-c", **ssec(OTHER))["Body"].read() == b"server data"
    # SSE-C -> another SSE-C key, and re-keying an object in place
    s3s.copy_object(Bucket=bucket, Key="c-to-c", CopySource={"Bucket": bucket, "Key": "c"}, **source_ssec(), **ssec(OTHER))
    assert s3s.get_object(Bucket=bucket, Key="c-to-c", **ssec(OTHER))["Body"].read() == b"customer data"
    s3s.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "c"}, **source_ssec(), **ssec(OTHER))
    assert s3s.get_object(Bucket=bucket, Key="c", **ssec(OTHER))["Body"].read() == b"customer data"
    # the source key is required, and must be right
    assert refused(lambda: s3s.copy_object(Bucket=bucket, Key="nope", CopySource={"Bucket": bucket, "Key": "c"}))[0] == 400
    assert refused(lambda: s3s.copy_object(Bucket=bucket, Key="nope", CopySource={"Bucket": bucket, "Key": "c"}, **source_ssec(KEY)))[0] == 403


def test_multipart_with_a_customer_key(s3s, bucket):
    upload = s3s.create_multipart_upload(Bucket=bucket, Key="mp", **ssec())["UploadId"]
    part1 = os.urandom(5 * MiB)
    assert refused(lambda: s3s.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=part1)) == (400, "InvalidRequest")
    assert refused(lambda: s3s.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=part1, **ssec(OTHER))) == (400, "InvalidRequest")
    e1 = s3s.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=part1, **ssec())["ETag"]
    s3s.put_object(Bucket=bucket, Key="src", Body=b"tail bytes", **ssec(OTHER))
    e2 = s3s.upload_part_copy(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, CopySource={"Bucket": bucket, "Key": "src"},
                              **source_ssec(OTHER), **ssec())["CopyPartResult"]["ETag"]
    s3s.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert s3s.get_object(Bucket=bucket, Key="mp", **ssec())["Body"].read() == part1 + b"tail bytes"
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="mp"))[0] == 400
    # part numbers with the key: the part, or 400 InvalidPart for one the object lacks
    assert s3s.get_object(Bucket=bucket, Key="mp", PartNumber=2, **ssec())["Body"].read() == b"tail bytes"
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="mp", PartNumber=3, **ssec())) == (400, "InvalidPart")
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="mp", PartNumber=3, **ssec(OTHER)))[0] == 403
    s3s.put_object(Bucket=bucket, Key="single", Body=b"one piece", **ssec())
    assert s3s.get_object(Bucket=bucket, Key="single", PartNumber=1, **ssec())["Body"].read() == b"one piece"
    assert refused(lambda: s3s.get_object(Bucket=bucket, Key="single", PartNumber=2, **ssec())) == (400, "InvalidPart")


def test_complete_with_another_customer_key_is_refused(s3s, bucket):
    """SSE-C headers on CompleteMultipartUpload are optional, but when given they must be the
    upload's key (400 InvalidRequest otherwise, and the upload stays)."""
    upload = s3s.create_multipart_upload(Bucket=bucket, Key="mpk", **ssec())["UploadId"]
    e1 = s3s.upload_part(Bucket=bucket, Key="mpk", UploadId=upload, PartNumber=1, Body=b"only part", **ssec())["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": e1}]}
    assert refused(lambda: s3s.complete_multipart_upload(Bucket=bucket, Key="mpk", UploadId=upload, MultipartUpload=parts,
                                                         **ssec(OTHER))) == (400, "InvalidRequest")
    assert [p["PartNumber"] for p in s3s.list_parts(Bucket=bucket, Key="mpk", UploadId=upload)["Parts"]] == [1]
    s3s.complete_multipart_upload(Bucket=bucket, Key="mpk", UploadId=upload, MultipartUpload=parts, **ssec())
    assert s3s.get_object(Bucket=bucket, Key="mpk", **ssec())["Body"].read() == b"only part"
    # and an SSE-S3 upload refuses SSE-C headers on completion
    plain = s3s.create_multipart_upload(Bucket=bucket, Key="mps")["UploadId"]
    e2 = s3s.upload_part(Bucket=bucket, Key="mps", UploadId=plain, PartNumber=1, Body=b"plain part")["ETag"]
    assert refused(lambda: s3s.complete_multipart_upload(Bucket=bucket, Key="mps", UploadId=plain,
                                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}]},
                                                         **ssec())) == (400, "InvalidRequest")
    s3s.complete_multipart_upload(Bucket=bucket, Key="mps", UploadId=plain, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}]})


def test_copy_source_customer_key_on_a_source_without_one_is_refused(s3s, bucket):
    """Copy-source SSE-C headers for a source that is not SSE-C: 400 InvalidRequest, for
    CopyObject and UploadPartCopy, and nothing is written."""
    s3s.put_object(Bucket=bucket, Key="plain", Body=b"server-side encrypted")
    assert refused(lambda: s3s.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"},
                                           **source_ssec())) == (400, "InvalidRequest")
    assert refused(lambda: s3s.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"},
                                           **source_ssec(), **ssec())) == (400, "InvalidRequest")
    assert refused(lambda: s3s.head_object(Bucket=bucket, Key="copy"))[0] == 404
    upload = s3s.create_multipart_upload(Bucket=bucket, Key="mpc")["UploadId"]
    assert refused(lambda: s3s.upload_part_copy(Bucket=bucket, Key="mpc", UploadId=upload, PartNumber=1,
                                                CopySource={"Bucket": bucket, "Key": "plain"}, **source_ssec())) == (400, "InvalidRequest")
    assert s3s.list_parts(Bucket=bucket, Key="mpc", UploadId=upload).get("Parts", []) == []


def test_aws_cli_sse_c_multipart_40_mib(coffer, bucket, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(40 * MiB))
    key = "k" * 32  # the CLI base64-encodes the key it is given
    coffer.aws("s3", "cp", str(src), f"s3://{bucket}/big.bin", "--sse-c", "AES256", "--sse-c-key", key, "--only-show-errors", transport="https")
    dst = tmp_path / "back.bin"
    coffer.aws("s3", "cp", f"s3://{bucket}/big.bin", str(dst), "--sse-c", "AES256", "--sse-c-key", key, "--only-show-errors", transport="https")
    assert dst.read_bytes() == src.read_bytes()


def test_customer_keys_never_reach_the_data_dir(coffer, s3s, bucket):
    marker = b"SSE-C-MARKER-" + os.urandom(8).hex().encode()
    s3s.put_object(Bucket=bucket, Key="marked", Body=marker * 1000, **ssec())
    needles = [KEY, base64.b64encode(KEY), marker, hashlib.md5(KEY).digest(), base64.b64encode(hashlib.md5(KEY).digest())]
    node = rados_node(coffer.data_dir)
    if node is not None:  # --storage rados: every object of the pool (data, extended attributes, omap)
        data = node.export()
        for needle in needles:
            assert needle not in data, f"the pool {node.pool} holds the customer key, its MD5 or plaintext"
        return
    db = os.path.join(coffer.data_dir, "db")
    for _ in range(10):
        vanished = False
        for name in os.listdir(db):
            try:
                data = open(os.path.join(db, name), "rb").read()
            except (FileNotFoundError, IsADirectoryError):
                vanished = True
                continue
            for needle in needles:
                assert needle not in data, f"{name} holds the customer key, its MD5 or plaintext"
        if not vanished:
            break
