"""GetObjectAttributes: ETag, Checksum, ObjectParts (paged), StorageClass, ObjectSize, in every
SSE mode, with S3's validation of x-amz-object-attributes and its permissions (AWS S3 API
Reference, GetObjectAttributes: s3:GetObject and s3:GetObjectAttributes on an unversioned
bucket; Parts listed only for objects with an additional checksum)."""

import base64
import hashlib
import json
import os
import zlib

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from coffer_live import object_path
from test_bucket_policy import root_account

MiB = 1024 * 1024
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
CUSTOMER_KEY = os.urandom(32)


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["ResponseMetadata"]["HTTPStatusCode"], caught.value.response["Error"]["Code"]


def ssec(key=CUSTOMER_KEY) -> dict:
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def ssec_encoded(key=CUSTOMER_KEY) -> dict:
    """The key headers as sent: botocore encodes them only for the operations it knows take
    a customer key, and GetObjectAttributes is not one of them."""
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(key).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode()}


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_single_put_attributes(s3, bucket):
    body = b"attributes of a plain object"
    put = s3.put_object(Bucket=bucket, Key="one", Body=body, ChecksumAlgorithm="SHA256", StorageClass="STANDARD_IA")
    a = s3.get_object_attributes(Bucket=bucket, Key="one", ObjectAttributes=ALL)
    assert a["ETag"] == put["ETag"].strip('"')  # S3 answers this ETag without quotes
    assert a["ObjectSize"] == len(body)
    assert a["StorageClass"] == "STANDARD_IA"
    assert a["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert a["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert "ObjectParts" not in a
    assert a["LastModified"] == s3.head_object(Bucket=bucket, Key="one")["LastModified"]
    only = s3.get_object_attributes(Bucket=bucket, Key="one", ObjectAttributes=["ObjectSize"])
    assert only["ObjectSize"] == len(body) and "ETag" not in only and "Checksum" not in only


def test_multipart_parts_are_paged_with_their_checksums(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"last part"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")["UploadId"]
    done = []
    for n, data in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n, Body=data, ChecksumAlgorithm="CRC32")
        done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={"Parts": done})
    a = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert a["ObjectSize"] == sum(map(len, parts)) and a["ETag"].endswith("-3")
    op = a["ObjectParts"]
    assert op["TotalPartsCount"] == 3 and op["IsTruncated"] is False and op["MaxParts"] == 1000
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in op["Parts"]] == \
        [(n, len(d), crc32_b64(d)) for n, d in enumerate(parts, start=1)]
    assert a["Checksum"]["ChecksumType"] == "COMPOSITE"
    first = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=2)["ObjectParts"]
    assert first["IsTruncated"] is True and first["NextPartNumberMarker"] == 2 and [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    rest = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=2,
                                    PartNumberMarker=first["NextPartNumberMarker"])["ObjectParts"]
    assert rest["IsTruncated"] is False and rest["PartNumberMarker"] == 2 and [p["PartNumber"] for p in rest["Parts"]] == [3]


def test_multipart_without_checksums_answers_the_count_only(coffer, bucket):
    s3 = coffer.client(request_checksum_calculation="when_required")
    up = s3.create_multipart_upload(Bucket=bucket, Key="plain-mp")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="plain-mp", UploadId=up, PartNumber=1, Body=os.urandom(5 * MiB))["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="plain-mp", UploadId=up, PartNumber=2, Body=b"tail")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="plain-mp", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    a = s3.get_object_attributes(Bucket=bucket, Key="plain-mp", ObjectAttributes=["ObjectParts", "Checksum"])
    assert a["ObjectParts"] == {"TotalPartsCount": 2}
    assert "Checksum" not in a


def test_every_sse_mode(coffer, bucket):
    s3 = coffer.client()
    s3.put_object(Bucket=bucket, Key="kms", Body=b"kms body", ServerSideEncryption="aws:kms")
    assert s3.get_object_attributes(Bucket=bucket, Key="kms", ObjectAttributes=["ObjectSize"])["ObjectSize"] == 8
    s3s = coffer.client(transport="https")
    s3s.put_object(Bucket=bucket, Key="ssec", Body=b"customer body", **ssec())
    a = s3s.get_object_attributes(Bucket=bucket, Key="ssec", ObjectAttributes=["ETag", "ObjectSize"], **ssec_encoded())
    assert a["ObjectSize"] == 13 and a["ETag"] == s3s.head_object(Bucket=bucket, Key="ssec", **ssec())["ETag"].strip('"')
    # as on GET: the key is required (400), and must be the object's (403)
    assert refused(lambda: s3s.get_object_attributes(Bucket=bucket, Key="ssec", ObjectAttributes=["ObjectSize"]))[0] == 400
    assert refused(lambda: s3s.get_object_attributes(Bucket=bucket, Key="ssec", ObjectAttributes=["ObjectSize"],
                                                     **ssec_encoded(os.urandom(32))))[0] == 403
    # and a customer key for an object that has none is refused
    assert refused(lambda: s3s.get_object_attributes(Bucket=bucket, Key="kms", ObjectAttributes=["ObjectSize"], **ssec_encoded()))[0] == 400


def test_aws_cli(coffer, bucket):
    coffer.client().put_object(Bucket=bucket, Key="cli", Body=b"12345")
    out = json.loads(coffer.aws("s3api", "get-object-attributes", "--bucket", bucket, "--key", "cli",
                                "--object-attributes", "ETag", "ObjectSize").stdout)
    assert out["ObjectSize"] == 5 and out["ETag"] == hashlib.md5(b"12345").hexdigest()


def test_attribute_header_is_validated(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="v", Body=b"v")
    ep = coffer.endpoint()
    r = ep.request("GET", object_path(bucket, "v"), query="attributes", creds=coffer.root)
    assert r.status == 400 and r.code() == "InvalidRequest", r.body
    r = ep.request("GET", object_path(bucket, "v"), query="attributes", headers={"x-amz-object-attributes": "ETag,Colour"}, creds=coffer.root)
    assert r.status == 400 and r.code() == "InvalidArgument" and r.error()["ArgumentValue"] == "Colour", r.body
    r = ep.request("GET", object_path(bucket, "v"), query="attributes", headers={"x-amz-object-attributes": "ETag", "x-amz-max-parts": "-1"}, creds=coffer.root)
    assert r.status == 400 and r.code() == "InvalidArgument"
    assert refused(lambda: s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])) == (404, "NoSuchKey")


def test_needs_get_object_and_get_object_attributes(coffer, bucket):
    root = coffer.client()
    root.put_object(Bucket=bucket, Key="guarded", Body=b"g")
    alice = coffer.client(user="alice")
    alice_arn = f"arn:aws:iam::{root_account(coffer)}:user/alice"

    def grant(actions):
        root.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": actions, "Resource": f"arn:aws:s3:::{bucket}/*"}]}))

    grant(["s3:GetObjectAttributes"])
    assert refused(lambda: alice.get_object_attributes(Bucket=bucket, Key="guarded", ObjectAttributes=["ETag"])) == (403, "AccessDenied")
    grant(["s3:GetObject"])
    assert refused(lambda: alice.get_object_attributes(Bucket=bucket, Key="guarded", ObjectAttributes=["ETag"])) == (403, "AccessDenied")
    grant(["s3:GetObject", "s3:GetObjectAttributes"])
    assert alice.get_object_attributes(Bucket=bucket, Key="guarded", ObjectAttributes=["ObjectSize"])["ObjectSize"] == 1
    root.delete_bucket_policy(Bucket=bucket)
