"""GetObject/HeadObject: ranges, conditionals, response overrides, stored headers, digests,
checksums."""

import datetime as dt
import os

import pytest
from botocore.exceptions import ClientError

from coffer_live import checksum_b64, client_error, md5_b64, md5_hex, object_path

KiB = 1024
SIZE = 200 * KiB + 17


@pytest.fixture
def obj(s3, bucket):
    data = os.urandom(SIZE)
    s3.put_object(Bucket=bucket, Key="ranged", Body=data)
    return bucket, "ranged", data


@pytest.mark.parametrize("header,first,last", [
    ("bytes=0-0", 0, 0),
    ("bytes=0-99", 0, 99),
    ("bytes=65535-65536", 65535, 65536),          # straddles the first 64 KiB boundary
    ("bytes=65530-131080", 65530, 131080),        # spans a whole 64 KiB package
    ("bytes=131072-196607", 131072, 196607),      # exactly one package
    ("bytes=65536-", 65536, SIZE - 1),            # open
    ("bytes=-1", SIZE - 1, SIZE - 1),             # suffix
    ("bytes=-70000", SIZE - 70000, SIZE - 1),     # suffix across a boundary
    (f"bytes=-{SIZE + 100}", 0, SIZE - 1),        # suffix longer than the object
    (f"bytes=100-{SIZE + 5000}", 100, SIZE - 1),  # last past the end: truncated
    (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
])
def test_range_reads(s3, obj, header, first, last):
    bucket, key, data = obj
    r = s3.get_object(Bucket=bucket, Key=key, Range=header)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == f"bytes {first}-{last}/{SIZE}"
    assert r["ContentLength"] == last - first + 1
    assert r["Body"].read() == data[first:last + 1]
    assert r["AcceptRanges"] == "bytes"


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 10}", "bytes=-0"])
def test_unsatisfiable_range_is_416(coffer, obj, header):
    bucket, key, _ = obj
    r = coffer.endpoint().request("GET", object_path(bucket, key), headers={"Range": header}, creds=coffer.root)
    assert r.status == 416, (header, r.status, r.body[:200])
    assert r.code() == "InvalidRange"
    assert r.headers.get("content-range") == f"bytes */{SIZE}"


def test_invalid_range_syntax_is_ignored(coffer, obj):
    """S3 ignores a Range header it cannot parse and answers 200 with the whole object."""
    bucket, key, data = obj
    for header in ("bytes=abc", "items=0-5", "bytes=5-2"):
        r = coffer.endpoint().request("GET", object_path(bucket, key), headers={"Range": header}, creds=coffer.root)
        assert r.status == 200, (header, r.status, r.body[:300])
        assert r.body == data


def test_full_get_and_head(s3, obj):
    bucket, key, data = obj
    r = s3.get_object(Bucket=bucket, Key=key)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["ContentLength"] == SIZE
    assert r["ETag"] == f'"{md5_hex(data)}"'
    assert r["Body"].read() == data
    h = s3.head_object(Bucket=bucket, Key=key)
    assert h["ContentLength"] == SIZE and h["ETag"] == r["ETag"]
    assert h["LastModified"] == r["LastModified"]
    assert h["ContentType"] == "binary/octet-stream"
    assert h["AcceptRanges"] == "bytes"
    hr = s3.head_object(Bucket=bucket, Key=key, Range="bytes=10-19")
    assert hr["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert hr["ContentLength"] == 10 and hr["ContentRange"] == f"bytes 10-19/{SIZE}"


def _status(fn, **kw):
    try:
        r = fn(**kw)
        return r["ResponseMetadata"]["HTTPStatusCode"], None
    except ClientError as e:
        return client_error(e)


def test_conditional_get_and_head(s3, obj):
    bucket, key, data = obj
    h = s3.head_object(Bucket=bucket, Key=key)
    etag, lm = h["ETag"], h["LastModified"]
    before, after = lm - dt.timedelta(days=1), lm + dt.timedelta(seconds=1)
    for name, op in (("get", s3.get_object), ("head", s3.head_object)):
        b = dict(Bucket=bucket, Key=key)
        failed = (412, "PreconditionFailed" if name == "get" else "412")
        assert _status(op, **b, IfMatch=etag)[0] == 200
        assert _status(op, **b, IfMatch="*")[0] == 200
        assert _status(op, **b, IfMatch='"0123456789abcdef0123456789abcdef"') == failed
        assert _status(op, **b, IfNoneMatch=etag) == (304, "304")
        assert _status(op, **b, IfNoneMatch="*") == (304, "304")
        assert _status(op, **b, IfNoneMatch='"0123456789abcdef0123456789abcdef"')[0] == 200
        assert _status(op, **b, IfModifiedSince=lm) == (304, "304")
        assert _status(op, **b, IfModifiedSince=after) == (304, "304")
        assert _status(op, **b, IfModifiedSince=before)[0] == 200
        assert _status(op, **b, IfUnmodifiedSince=before) == failed
        assert _status(op, **b, IfUnmodifiedSince=lm)[0] == 200
        # RFC 7232 precedence, as S3 documents it:
        # If-Match true + If-Unmodified-Since false -> 200
        assert _status(op, **b, IfMatch=etag, IfUnmodifiedSince=before)[0] == 200
        # If-None-Match false + If-Modified-Since true -> 304
        assert _status(op, **b, IfNoneMatch=etag, IfModifiedSince=before) == (304, "304")


def test_response_overrides(s3, obj):
    bucket, key, _ = obj
    r = s3.get_object(Bucket=bucket, Key=key,
                      ResponseContentType="text/x-override",
                      ResponseContentDisposition='attachment; filename="o.txt"',
                      ResponseCacheControl="no-store",
                      ResponseContentEncoding="x-override-enc",
                      ResponseContentLanguage="fr-CA",
                      ResponseExpires=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    hdr = r["ResponseMetadata"]["HTTPHeaders"]
    assert hdr["content-type"] == "text/x-override"
    assert hdr["content-disposition"] == 'attachment; filename="o.txt"'
    assert hdr["cache-control"] == "no-store"
    assert hdr["content-encoding"] == "x-override-enc"
    assert hdr["content-language"] == "fr-CA"
    assert hdr["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    # stored values are untouched
    h = s3.head_object(Bucket=bucket, Key=key)
    assert h["ContentType"] == "binary/octet-stream"
    assert "CacheControl" not in h


@pytest.mark.parametrize("transport", ["http", "https"])
def test_stored_headers_round_trip(coffer, bucket, transport):
    s3 = coffer.client(transport)
    expires = "Wed, 21 Oct 2026 07:28:00 GMT"
    s3.put_object(Bucket=bucket, Key="meta", Body=b"<p>hello</p>",
                  Metadata={"color": "blue", "Mixed-Case": "Value With Spaces", "empty": ""},
                  ContentType="text/html; charset=utf-8",
                  ContentEncoding="x-coffer",
                  ContentDisposition='inline; filename="hello.html"',
                  CacheControl="max-age=60, private",
                  ContentLanguage="en-GB",
                  Expires=dt.datetime(2026, 10, 21, 7, 28, 0, tzinfo=dt.timezone.utc))
    for r in (s3.head_object(Bucket=bucket, Key="meta"), s3.get_object(Bucket=bucket, Key="meta")):
        assert r["Metadata"] == {"color": "blue", "mixed-case": "Value With Spaces", "empty": ""}
        assert r["ContentType"] == "text/html; charset=utf-8"
        # aws-chunked (HTTPS: boto3 sends a trailer checksum) is stripped, the rest is kept
        assert r["ContentEncoding"] == "x-coffer"
        assert r["ContentDisposition"] == 'inline; filename="hello.html"'
        assert r["CacheControl"] == "max-age=60, private"
        assert r["ContentLanguage"] == "en-GB"
        assert r["ResponseMetadata"]["HTTPHeaders"]["expires"] == expires
        assert r["ContentLength"] == len(b"<p>hello</p>")
    assert s3.get_object(Bucket=bucket, Key="meta")["Body"].read() == b"<p>hello</p>"


def test_etag_is_md5_and_overwrite_replaces(s3, bucket):
    for body in (b"first version", b"second, longer version", b""):
        r = s3.put_object(Bucket=bucket, Key="ow", Body=body)
        assert r["ETag"] == f'"{md5_hex(body)}"'
        g = s3.get_object(Bucket=bucket, Key="ow")
        assert g["ETag"] == r["ETag"] and g["Body"].read() == body


def test_content_md5(s3, bucket):
    body = b"digest me"
    r = s3.put_object(Bucket=bucket, Key="good", Body=body, ContentMD5=md5_b64(body))
    assert r["ETag"] == f'"{md5_hex(body)}"'
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5=md5_b64(b"something else"))
    assert client_error(e.value) == (400, "BadDigest")
    for malformed in ("not-base64!!", "AAAA", "", "c29tZSBzaG9ydA=="):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5=malformed)
        assert client_error(e.value) == (400, "InvalidDigest"), malformed
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="bad")
    assert client_error(e.value) == (404, "404")


@pytest.mark.parametrize("transport", ["http", "https"])
@pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256", "CRC32C", "CRC64NVME"])
def test_checksum_stored_and_returned(coffer, bucket, transport, algorithm):
    s3 = coffer.client(transport)
    data = os.urandom(70000)
    expected = checksum_b64(algorithm, data)
    field = "Checksum" + algorithm
    if algorithm in ("CRC32C", "CRC64NVME"):
        # botocore needs awscrt to compute these; give it the value
        put = s3.put_object(Bucket=bucket, Key="ck", Body=data, **{field: expected})
    else:
        put = s3.put_object(Bucket=bucket, Key="ck", Body=data, ChecksumAlgorithm=algorithm)
    assert put.get(field) == expected
    h = s3.head_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert h.get(field) == expected
    assert h.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT"
    g = s3.get_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert g.get(field) == expected
    assert g["Body"].read() == data
    plain = s3.head_object(Bucket=bucket, Key="ck")
    assert field not in plain, "checksums are returned only with x-amz-checksum-mode: ENABLED"


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "sha1", "sha256", "crc64nvme"])
def test_wrong_checksum_header_is_bad_digest(coffer, bucket, algorithm):
    data = b"checksummed body"
    wrong = checksum_b64(algorithm, b"other body")
    ep = coffer.endpoint()
    r = ep.request("PUT", object_path(bucket, "ck"), body=data,
                   headers={f"x-amz-checksum-{algorithm}": wrong}, creds=coffer.root)
    assert r.status == 400, r.body
    assert r.code() == "BadDigest"
    r = ep.request("HEAD", object_path(bucket, "ck"), creds=coffer.root)
    assert r.status == 404
    good = checksum_b64(algorithm, data)
    r = ep.request("PUT", object_path(bucket, "ck"), body=data,
                   headers={f"x-amz-checksum-{algorithm}": good}, creds=coffer.root)
    assert r.status == 200, r.body
    assert r.headers.get(f"x-amz-checksum-{algorithm}") == good


def test_malformed_checksum_header_is_rejected(coffer, bucket):
    r = coffer.endpoint().request("PUT", object_path(bucket, "ck"), body=b"x",
                                  headers={"x-amz-checksum-crc32": "not base64!"}, creds=coffer.root)
    assert r.status == 400, r.body
    assert r.code() in ("InvalidRequest", "InvalidArgument", "BadDigest", "InvalidDigest")


def test_conditional_put_object(s3, bucket):
    """S3's conditional writes (If-None-Match: * creates only; If-Match overwrites only that
    version). Ignoring them silently overwrites data the caller meant to protect."""
    s3.put_object(Bucket=bucket, Key="cond", Body=b"original")
    etag = s3.head_object(Bucket=bucket, Key="cond")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="cond", Body=b"clobbered", IfNoneMatch="*")
    assert client_error(e.value) == (412, "PreconditionFailed")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="cond", Body=b"clobbered", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert client_error(e.value) == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=bucket, Key="cond")["Body"].read() == b"original"
    s3.put_object(Bucket=bucket, Key="cond-new", Body=b"created", IfNoneMatch="*")
    s3.put_object(Bucket=bucket, Key="cond", Body=b"updated", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="cond")["Body"].read() == b"updated"
