"""CopyObject, UploadPartCopy and multipart uploads through boto3."""

import datetime as dt
import os

import pytest
from botocore.exceptions import ClientError

from conftest import unique_bucket_name
from coffer_live import client_error, md5_hex, multipart_etag

MiB = 1024 * 1024


def _err(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return client_error(e.value)


# ----------------------------------------------------------------------------- copy


def test_copy_object_copy_directive_keeps_metadata(s3, bucket):
    body = os.urandom(100_000)
    s3.put_object(Bucket=bucket, Key="src", Body=body, ContentType="text/plain",
                  Metadata={"origin": "source"}, CacheControl="no-cache", ContentDisposition="inline")
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       Metadata={"ignored": "yes"})  # ignored: the directive is COPY
    assert r["CopyObjectResult"]["ETag"] == f'"{md5_hex(body)}"'
    assert isinstance(r["CopyObjectResult"]["LastModified"], dt.datetime)
    g = s3.get_object(Bucket=bucket, Key="dst")
    assert g["Body"].read() == body
    assert g["ContentType"] == "text/plain"
    assert g["Metadata"] == {"origin": "source"}
    assert g["CacheControl"] == "no-cache"
    assert g["ContentDisposition"] == "inline"
    assert g["ETag"] == f'"{md5_hex(body)}"'


def test_copy_object_replace_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", ContentType="text/plain",
                  Metadata={"origin": "source"}, CacheControl="no-cache")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"fresh": "value"}, ContentType="application/json")
    h = s3.head_object(Bucket=bucket, Key="dst")
    assert h["Metadata"] == {"fresh": "value"}
    assert h["ContentType"] == "application/json"
    assert "CacheControl" not in h
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"payload"
    # the source is untouched
    src = s3.head_object(Bucket=bucket, Key="src")
    assert src["Metadata"] == {"origin": "source"} and src["ContentType"] == "text/plain"


def test_copy_across_buckets_and_hostile_keys(s3, bucket):
    other = unique_bucket_name("copy-dst")
    s3.create_bucket(Bucket=other)
    key = "dir/\u00e9 &+%?#/src key"
    s3.put_object(Bucket=bucket, Key=key, Body=b"hostile source")
    s3.copy_object(Bucket=other, Key="a//b/ copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=other, Key="a//b/ copy")["Body"].read() == b"hostile source"
    # the CopySource string form, URL-encoded as the CLI sends it
    s3.copy_object(Bucket=other, Key="from-string", CopySource=f"{bucket}/{key}")
    assert s3.get_object(Bucket=other, Key="from-string")["Body"].read() == b"hostile source"


def test_copy_to_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"same", Metadata={"v": "1"})
    assert _err(s3.copy_object, Bucket=bucket, Key="self",
                CopySource={"Bucket": bucket, "Key": "self"}) == (400, "InvalidRequest")
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    g = s3.get_object(Bucket=bucket, Key="self")
    assert g["Metadata"] == {"v": "2"} and g["Body"].read() == b"same"


def test_copy_missing_source(s3, bucket):
    assert _err(s3.copy_object, Bucket=bucket, Key="dst",
                CopySource={"Bucket": bucket, "Key": "missing"}) == (404, "NoSuchKey")
    assert _err(s3.copy_object, Bucket=bucket, Key="dst",
                CopySource={"Bucket": unique_bucket_name("nosuch"), "Key": "k"}) == (404, "NoSuchBucket")


def test_copy_conditions(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"conditional")
    h = s3.head_object(Bucket=bucket, Key="src")
    etag, lm = h["ETag"], h["LastModified"]
    src = {"Bucket": bucket, "Key": "src"}
    assert _err(s3.copy_object, Bucket=bucket, Key="d1", CopySource=src,
                CopySourceIfMatch='"00000000000000000000000000000000"') == (412, "PreconditionFailed")
    assert _err(s3.copy_object, Bucket=bucket, Key="d2", CopySource=src,
                CopySourceIfNoneMatch=etag) == (412, "PreconditionFailed")
    assert _err(s3.copy_object, Bucket=bucket, Key="d3", CopySource=src,
                CopySourceIfUnmodifiedSince=lm - dt.timedelta(days=1)) == (412, "PreconditionFailed")
    assert _err(s3.copy_object, Bucket=bucket, Key="d4", CopySource=src,
                CopySourceIfModifiedSince=lm + dt.timedelta(seconds=1)) == (412, "PreconditionFailed")
    for k in ("d1", "d2", "d3", "d4"):
        assert _err(s3.head_object, Bucket=bucket, Key=k) == (404, "404")
    s3.copy_object(Bucket=bucket, Key="ok1", CopySource=src, CopySourceIfMatch=etag)
    s3.copy_object(Bucket=bucket, Key="ok2", CopySource=src, CopySourceIfModifiedSince=lm - dt.timedelta(days=1))
    assert s3.get_object(Bucket=bucket, Key="ok1")["Body"].read() == b"conditional"
    assert s3.get_object(Bucket=bucket, Key="ok2")["Body"].read() == b"conditional"


# ----------------------------------------------------------------------------- multipart


def _upload(s3, bucket, key, parts, **create):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)
    uid = up["UploadId"]
    done = []
    for n, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=p)
        assert r["ETag"] == f'"{md5_hex(p)}"'
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    return uid, done


@pytest.mark.parametrize("transport", ["http", "https"])
def test_multipart_upload(coffer, bucket, transport):
    s3 = coffer.client(transport)
    key = "mp/\u00e9 object"
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    uid, done = _upload(s3, bucket, key, parts, ContentType="video/x-test", Metadata={"kind": "multipart"})

    lp = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)
    assert [p["PartNumber"] for p in lp["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in lp["Parts"]] == [len(p) for p in parts]
    assert [p["ETag"] for p in lp["Parts"]] == [d["ETag"] for d in done]
    lp2 = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid, MaxParts=2)
    assert lp2["IsTruncated"] and [p["PartNumber"] for p in lp2["Parts"]] == [1, 2]
    lp3 = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid, PartNumberMarker=lp2["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in lp3["Parts"]] == [3] and not lp3["IsTruncated"]

    lu = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in lu.get("Uploads", [])] == [(key, uid)]
    # not visible as an object until completed
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0

    c = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": done})
    assert c["ETag"] == multipart_etag(parts)
    assert c["Key"] == key and c["Bucket"] == bucket

    g = s3.get_object(Bucket=bucket, Key=key)
    assert g["ETag"] == multipart_etag(parts)
    assert g["ContentLength"] == sum(map(len, parts))
    assert g["ContentType"] == "video/x-test" and g["Metadata"] == {"kind": "multipart"}
    assert g["Body"].read() == b"".join(parts)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # ranges across the part boundary
    r = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}")
    assert r["Body"].read() == b"".join(parts)[5 * MiB - 10:5 * MiB + 10]

    # GET / HEAD with a part number
    p1 = s3.get_object(Bucket=bucket, Key=key, PartNumber=1)
    assert p1["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert p1["PartsCount"] == 3
    assert p1["ContentLength"] == 5 * MiB
    assert p1["ContentRange"] == f"bytes 0-{5 * MiB - 1}/{sum(map(len, parts))}"
    assert p1["Body"].read() == parts[0]
    p3 = s3.head_object(Bucket=bucket, Key=key, PartNumber=3)
    assert p3["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert p3["PartsCount"] == 3 and p3["ContentLength"] == 1234
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key=key)
    # A part the object does not have: 400 InvalidPart, as S3 answers (HEAD has no body, so
    # only the status).
    assert _err(s3.get_object, Bucket=bucket, Key=key, PartNumber=4) == (400, "InvalidPart")
    assert _err(s3.head_object, Bucket=bucket, Key=key, PartNumber=4)[0] == 400
    assert _err(s3.get_object, Bucket=bucket, Key=key, PartNumber=10001)[0] == 400


def test_multipart_reupload_part_last_wins_and_subset_complete(s3, bucket):
    parts = [os.urandom(5 * MiB), b"second", b"third"]
    uid, done = _upload(s3, bucket, "mp", parts)
    replacement = os.urandom(5 * MiB)
    r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=replacement)
    lp = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid)
    assert len(lp["Parts"]) == 3 and lp["Parts"][0]["ETag"] == r["ETag"]
    # complete with parts 1 and 3 only (gaps are allowed)
    chosen = [{"PartNumber": 1, "ETag": r["ETag"]}, done[2]]
    c = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": chosen})
    assert c["ETag"] == multipart_etag([replacement, b"third"])
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == replacement + b"third"
    # Parts keep their numbers: part 3 is there, part 2 is not.
    p3 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=3)
    assert p3["PartsCount"] == 2 and p3["Body"].read() == b"third"
    assert p3["ContentRange"] == f"bytes {5 * MiB}-{5 * MiB + 4}/{5 * MiB + 5}"
    assert _err(s3.get_object, Bucket=bucket, Key="mp", PartNumber=2) == (400, "InvalidPart")


def test_part_number_of_a_single_part_object(s3, bucket):
    """partNumber=1 of an object PUT in one piece is the whole object; any other is 400."""
    s3.put_object(Bucket=bucket, Key="one", Body=b"whole body")
    g = s3.get_object(Bucket=bucket, Key="one", PartNumber=1)
    assert g["ResponseMetadata"]["HTTPStatusCode"] == 206 and g["Body"].read() == b"whole body"
    assert s3.head_object(Bucket=bucket, Key="one", PartNumber=1)["ContentLength"] == 10
    assert _err(s3.get_object, Bucket=bucket, Key="one", PartNumber=2) == (400, "InvalidPart")
    assert _err(s3.head_object, Bucket=bucket, Key="one", PartNumber=2)[0] == 400


def test_entity_too_small(s3, bucket):
    uid, done = _upload(s3, bucket, "small", [b"a" * 100, b"b" * 100])
    assert _err(s3.complete_multipart_upload, Bucket=bucket, Key="small", UploadId=uid,
                MultipartUpload={"Parts": done}) == (400, "EntityTooSmall")
    assert _err(s3.head_object, Bucket=bucket, Key="small") == (404, "404")
    # a single small part is fine (the last part may be any size)
    c = s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=uid, MultipartUpload={"Parts": done[1:]})
    assert c["ETag"] == multipart_etag([b"b" * 100])


def test_invalid_part(s3, bucket):
    uid, done = _upload(s3, bucket, "ip", [os.urandom(5 * MiB), b"tail"])
    bad = [done[0], {"PartNumber": 2, "ETag": '"00000000000000000000000000000000"'}]
    assert _err(s3.complete_multipart_upload, Bucket=bucket, Key="ip", UploadId=uid,
                MultipartUpload={"Parts": bad}) == (400, "InvalidPart")
    missing = [done[0], {"PartNumber": 7, "ETag": done[1]["ETag"]}]
    assert _err(s3.complete_multipart_upload, Bucket=bucket, Key="ip", UploadId=uid,
                MultipartUpload={"Parts": missing}) == (400, "InvalidPart")
    assert _err(s3.head_object, Bucket=bucket, Key="ip") == (404, "404")
    # the upload is still usable
    c = s3.complete_multipart_upload(Bucket=bucket, Key="ip", UploadId=uid, MultipartUpload={"Parts": done})
    assert c["ETag"].endswith('-2"')


def test_invalid_part_order(s3, bucket):
    uid, done = _upload(s3, bucket, "order", [os.urandom(5 * MiB), os.urandom(5 * MiB)])
    assert _err(s3.complete_multipart_upload, Bucket=bucket, Key="order", UploadId=uid,
                MultipartUpload={"Parts": [done[1], done[0]]}) == (400, "InvalidPartOrder")
    assert _err(s3.complete_multipart_upload, Bucket=bucket, Key="order", UploadId=uid,
                MultipartUpload={"Parts": [done[0], done[0]]}) == (400, "InvalidPartOrder")


def test_abort_then_no_such_upload(s3, bucket):
    uid, done = _upload(s3, bucket, "ab", [b"x" * 10])
    assert s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _err(s3.list_parts, Bucket=bucket, Key="ab", UploadId=uid) == (404, "NoSuchUpload")
    assert _err(s3.upload_part, Bucket=bucket, Key="ab", UploadId=uid, PartNumber=2, Body=b"y") == (404, "NoSuchUpload")
    assert _err(s3.complete_multipart_upload, Bucket=bucket, Key="ab", UploadId=uid,
                MultipartUpload={"Parts": done}) == (404, "NoSuchUpload")
    assert _err(s3.abort_multipart_upload, Bucket=bucket, Key="ab", UploadId=uid) == (404, "NoSuchUpload")
    assert _err(s3.list_parts, Bucket=bucket, Key="ab", UploadId="made-up-upload-id") == (404, "NoSuchUpload")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert _err(s3.head_object, Bucket=bucket, Key="ab") == (404, "404")


def test_invalid_part_numbers(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="pn")
    for n in (0, 10001):
        with pytest.raises(ClientError) as e:
            s3.upload_part(Bucket=bucket, Key="pn", UploadId=up["UploadId"], PartNumber=n, Body=b"x")
        assert client_error(e.value) == (400, "InvalidArgument"), n


def test_upload_part_copy_with_range(s3, bucket):
    src = os.urandom(7 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    up = s3.create_multipart_upload(Bucket=bucket, Key="assembled")
    uid = up["UploadId"]
    r1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    assert r1["CopyPartResult"]["ETag"] == f'"{md5_hex(src[:5 * MiB])}"'
    r2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={6 * MiB}-{6 * MiB + 999}")
    assert r2["CopyPartResult"]["ETag"] == f'"{md5_hex(src[6 * MiB:6 * MiB + 1000])}"'
    parts = [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
             {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]
    c = s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=uid, MultipartUpload={"Parts": parts})
    expected = [src[:5 * MiB], src[6 * MiB:6 * MiB + 1000]]
    assert c["ETag"] == multipart_etag(expected)
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == b"".join(expected)
    # a range past the end of the source
    other = s3.create_multipart_upload(Bucket=bucket, Key="x")["UploadId"]
    status, code = _err(s3.upload_part_copy, Bucket=bucket, Key="x", UploadId=other, PartNumber=1,
                        CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={7 * MiB}-{7 * MiB + 10}")
    assert (status, code) in ((416, "InvalidRange"), (400, "InvalidArgument"), (400, "InvalidRange"))


def test_overwrite_multipart_with_single_put(s3, bucket):
    parts = [os.urandom(5 * MiB), b"end"]
    uid, done = _upload(s3, bucket, "k", parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=uid, MultipartUpload={"Parts": done})
    s3.put_object(Bucket=bucket, Key="k", Body=b"small now")
    g = s3.get_object(Bucket=bucket, Key="k")
    assert g["Body"].read() == b"small now" and g["ETag"] == f'"{md5_hex(b"small now")}"'
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key="k")


def test_list_multipart_uploads_paging_prefix_delimiter(s3, bucket):
    ids = {}
    for _ in range(3):
        for key in ("a/1", "a/2", "b/1", "top"):
            ids.setdefault(key, []).append(s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    expected = sorted((k, u) for k, us in ids.items() for u in us)
    seen, kw = [], {}
    for _ in range(20):
        r = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=5, **kw)
        assert len(r.get("Uploads", [])) <= 5
        seen += [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        if not r["IsTruncated"]:
            break
        kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r["NextUploadIdMarker"]}
    assert sorted(seen) == expected and len(seen) == len(set(seen))
    assert [u[0] for u in seen] == sorted(u[0] for u in seen)
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert sorted(u["Key"] for u in r["Uploads"]) == ["a/1"] * 3 + ["a/2"] * 3
    r = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/"]
    assert [u["Key"] for u in r["Uploads"]] == ["top"] * 3
