"""SigV4: header auth, presigned URLs, payload hashes, aws-chunked (signed, signed with a
trailer, unsigned with a trailer), clock skew, Expect: 100-continue, error documents."""

import datetime as dt
import hashlib
import os
import subprocess
import time
import unittest.mock
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from coffer_live import (checksum_b64, client_error, md5_b64, object_path, parse_error,
                         raw_exchange, sign_headers, signed_chunked_body, unsigned_trailer_body)

TRANSPORTS = ["http", "https"]


def _fetch(coffer, url, method="GET", data=None):
    """(status, body) of a plain, unsigned urllib request (presigned URLs)."""
    import ssl
    ctx = ssl.create_default_context(cafile=coffer.ca) if url.startswith("https") else None
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def _curl(coffer, url, out, transport):
    cmd = ["curl", "-sS", "-o", str(out), "-w", "%{http_code}", url]
    if transport == "https":
        cmd[1:1] = ["--cacert", coffer.ca]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


# ----------------------------------------------------------------------------- credentials


def test_wrong_secret_is_signature_does_not_match(coffer, bucket):
    bad = coffer.client(creds=(coffer.root[0], "not-the-secret"), cached=False)
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    assert client_error(e.value) == (403, "SignatureDoesNotMatch")
    with pytest.raises(ClientError) as e:
        bad.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert client_error(e.value) == (403, "SignatureDoesNotMatch")
    r = coffer.aws("s3", "ls", f"s3://{bucket}", creds=(coffer.root[0], "not-the-secret"), check=False)
    assert r.returncode != 0 and "SignatureDoesNotMatch" in r.stderr
    assert coffer.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_unknown_access_key_is_invalid_access_key_id(coffer, bucket):
    bad = coffer.client(creds=("AKIANOSUCHKEY0000000", "whatever"), cached=False)
    with pytest.raises(ClientError) as e:
        bad.list_buckets()
    assert client_error(e.value) == (403, "InvalidAccessKeyId")
    with pytest.raises(ClientError) as e:
        bad.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert client_error(e.value) == (403, "InvalidAccessKeyId")
    r = coffer.aws("s3api", "list-buckets", creds=("AKIANOSUCHKEY0000000", "whatever"), check=False, transport="https")
    assert r.returncode != 0 and "InvalidAccessKeyId" in r.stderr


def test_hand_signer_agrees_with_server(coffer, bucket):
    """Sanity check for the hand-built requests below."""
    ep = coffer.endpoint()
    r = ep.request("PUT", object_path(bucket, "hand signed/\u00e9 key"), query="", body=b"hand", creds=coffer.root)
    assert r.status == 200, r.body
    r = ep.request("GET", object_path(bucket), query="list-type=2&prefix=hand%20signed%2F&max-keys=5", creds=coffer.root)
    assert r.status == 200 and "hand signed/\u00e9 key".encode() in r.body


# ----------------------------------------------------------------------------- clock skew


# "Now" is the server's clock (its Date header), so the 20 and 10 minutes are measured against
# the clock that judges them, with five minutes' margin either side of S3's 15.


@pytest.mark.parametrize("minutes", [20])
def test_skewed_clock_is_request_time_too_skewed(coffer, bucket, minutes):
    now = coffer.endpoint().server_time()
    when = now + dt.timedelta(minutes=minutes)
    r = coffer.endpoint().request("GET", object_path(bucket), query="list-type=2", creds=coffer.root, when=when)
    assert r.status == 403, r.body
    assert r.code() == "RequestTimeTooSkewed"
    r = coffer.endpoint().request("PUT", object_path(bucket, "skewed"), body=b"x", creds=coffer.root, when=when)
    assert r.status == 403 and r.code() == "RequestTimeTooSkewed"
    # within 15 minutes is fine
    near = now + dt.timedelta(minutes=10 if minutes > 0 else -10)
    r = coffer.endpoint().request("GET", object_path(bucket), query="list-type=2", creds=coffer.root, when=near)
    assert r.status == 200, r.body


def test_skewed_clock_with_botocore(coffer, bucket):
    skewed = coffer.endpoint().server_time().replace(tzinfo=None) - dt.timedelta(minutes=20)
    s3 = coffer.client(cached=False)
    with unittest.mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: skewed):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="skewed", Body=b"x")
    assert client_error(e.value) == (403, "RequestTimeTooSkewed")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="skewed")
    assert client_error(e.value) == (404, "404")


# ----------------------------------------------------------------------------- presigned URLs


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cli_presign_fetched_with_curl_then_expired(coffer, s3, bucket, tmp_path, transport):
    data = os.urandom(100_000)
    s3.put_object(Bucket=bucket, Key="shared/file \u00e9.bin", Body=data)
    url = coffer.aws("s3", "presign", f"s3://{bucket}/shared/file \u00e9.bin", "--expires-in", "300",
                     transport=transport).stdout.strip()
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=300" in url
    out = tmp_path / "got"
    assert _curl(coffer, url, out, transport) == 200
    assert out.read_bytes() == data

    short = coffer.aws("s3", "presign", f"s3://{bucket}/shared/file \u00e9.bin", "--expires-in", "1",
                       transport=transport).stdout.strip()
    # Expiry needs the server's clock to pass X-Amz-Date + 1 s; poll for it (bounded) rather than
    # sleep a guess: the URL is valid for at most one second, so 30 s cannot flake, and a server
    # that never expires it fails here.
    deadline = time.monotonic() + 30
    status = _curl(coffer, short, out, transport)
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        status = _curl(coffer, short, out, transport)
    assert status == 403, f"a presigned URL with --expires-in 1 answers {status} after 30 s"
    err = parse_error(out.read_bytes())
    assert err["Code"] == "AccessDenied"
    assert "Request has expired" in err["Message"]


def test_presigned_tampered_or_wrong_secret(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"A")
    s3.put_object(Bucket=bucket, Key="b", Body=b"B")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"}, ExpiresIn=60)
    assert _fetch(coffer, url)[:2] == (200, b"A")
    status, body, _ = _fetch(coffer, url.replace(f"/{bucket}/a?", f"/{bucket}/b?"))
    assert status == 403 and parse_error(body)["Code"] == "SignatureDoesNotMatch"
    bad = coffer.client(creds=(coffer.root[0], "wrong"), cached=False)
    status, body, _ = _fetch(coffer, bad.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"}))
    assert status == 403 and parse_error(body)["Code"] == "SignatureDoesNotMatch"
    unknown = coffer.client(creds=("AKIANOSUCHKEY0000000", "wrong"), cached=False)
    status, body, _ = _fetch(coffer, unknown.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"}))
    assert status == 403 and parse_error(body)["Code"] == "InvalidAccessKeyId"


def test_presigned_put(coffer, s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up/loaded"}, ExpiresIn=60)
    status, body, headers = _fetch(coffer, url, method="PUT", data=b"presigned upload")
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="up/loaded")["Body"].read() == b"presigned upload"


@pytest.mark.parametrize("expires", [0, -1, 604801])
def test_presigned_expiry_out_of_bounds(coffer, s3, bucket, expires):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=expires)
    assert f"X-Amz-Expires={expires}" in url
    status, body, _ = _fetch(coffer, url)
    assert status == 400, (status, body)
    assert parse_error(body)["Code"] == "AuthorizationQueryParametersError"


def test_presigned_expiry_seven_days_is_allowed(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604800)
    assert _fetch(coffer, url)[:2] == (200, b"v")


# ----------------------------------------------------------------------------- payload hashes


def test_content_sha256_mismatch(coffer, bucket):
    ep = coffer.endpoint()
    r = ep.request("PUT", object_path(bucket, "sha"), body=b"actual body", creds=coffer.root,
                   payload_hash=hashlib.sha256(b"claimed body").hexdigest())
    assert r.status == 400, r.body
    assert r.code() == "XAmzContentSHA256Mismatch"
    assert ep.request("HEAD", object_path(bucket, "sha"), creds=coffer.root).status == 404


def test_unsigned_payload(coffer, bucket):
    ep = coffer.endpoint()
    r = ep.request("PUT", object_path(bucket, "unsigned"), body=b"unsigned body", creds=coffer.root,
                   payload_hash="UNSIGNED-PAYLOAD")
    assert r.status == 200, r.body
    r = ep.request("GET", object_path(bucket, "unsigned"), creds=coffer.root, payload_hash="UNSIGNED-PAYLOAD")
    assert r.status == 200 and r.body == b"unsigned body"


def test_missing_content_length_is_411(coffer, bucket):
    r = coffer.endpoint().request("PUT", object_path(bucket, "nolen"), creds=coffer.root,
                                  payload_hash="UNSIGNED-PAYLOAD", chunked_body=[b"some ", b"data"])
    assert r.status == 411, r.body
    assert r.code() == "MissingContentLength"
    assert coffer.endpoint().request("HEAD", object_path(bucket, "nolen"), creds=coffer.root).status == 404


# ----------------------------------------------------------------------------- aws-chunked


def _chunked_headers(ep, data, trailer=None, encoding="aws-chunked"):
    h = {"Host": ep.netloc, "Content-Encoding": encoding, "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        h["x-amz-trailer"] = trailer
    return h


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_signed_chunked_upload(coffer, bucket, transport):
    ep = coffer.endpoint(transport)
    data = os.urandom(200_000)
    path = object_path(bucket, "chunked")
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, encoding="aws-chunked"),
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", *coffer.root)
    r = ep.request("PUT", path, headers=sig.headers, body=signed_chunked_body(sig, data))
    assert r.status == 200, r.body
    assert r.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    g = coffer.client(transport).get_object(Bucket=bucket, Key="chunked")
    assert g["Body"].read() == data
    assert "ContentEncoding" not in g  # aws-chunked is not stored


def test_signed_chunked_upload_keeps_other_content_encoding(coffer, bucket):
    ep = coffer.endpoint()
    data = b"z" * 10000
    path = object_path(bucket, "gz")
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, encoding="gzip,aws-chunked"),
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", *coffer.root)
    r = ep.request("PUT", path, headers=sig.headers, body=signed_chunked_body(sig, data, chunk_size=8192))
    assert r.status == 200, r.body
    h = coffer.client().head_object(Bucket=bucket, Key="gz")
    assert h["ContentEncoding"] == "gzip" and h["ContentLength"] == 10000


def test_signed_chunks_below_8_kib_are_invalid_chunk_size(coffer, bucket):
    ep = coffer.endpoint()
    data = os.urandom(5000)
    path = object_path(bucket, "tiny-chunks")
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", *coffer.root)
    r = ep.request("PUT", path, headers=sig.headers, body=signed_chunked_body(sig, data, chunk_size=1000))
    assert r.status == 400, r.body
    assert r.code() == "InvalidChunkSizeError"
    assert ep.request("HEAD", path, creds=coffer.root).status == 404


@pytest.mark.parametrize("tamper", ["data", "signature", "final-signature"])
def test_tampered_chunk_is_rejected(coffer, bucket, tamper):
    ep = coffer.endpoint()
    data = os.urandom(200_000)
    path = object_path(bucket, "tampered")
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", *coffer.root)
    if tamper == "data":
        body = signed_chunked_body(sig, data, tamper_chunk=1)
    else:
        body = signed_chunked_body(sig, data)
        marker = b";chunk-signature="
        positions = [i for i in range(len(body)) if body.startswith(marker, i)]
        pos = positions[0 if tamper == "signature" else -1] + len(marker)
        flipped = b"0" if body[pos:pos + 1] != b"0" else b"1"
        body = body[:pos] + flipped + body[pos + 1:]
    r = ep.request("PUT", path, headers=sig.headers, body=body)
    assert r.status == 403, r.body
    assert r.code() == "SignatureDoesNotMatch"
    assert ep.request("HEAD", path, creds=coffer.root).status == 404


def test_chunked_with_wrong_seed_signature(coffer, bucket):
    ep = coffer.endpoint()
    data = os.urandom(20_000)
    path = object_path(bucket, "seed")
    good = sign_headers("PUT", path, "", _chunked_headers(ep, data), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", *coffer.root)
    bad = sign_headers("PUT", path, "", _chunked_headers(ep, data), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                       coffer.root[0], "wrong-secret")
    # chunks correctly chained from the good seed, but the header signature is the bad one
    r = ep.request("PUT", path, headers=bad.headers, body=signed_chunked_body(good, data))
    assert r.status == 403 and r.code() == "SignatureDoesNotMatch"
    assert ep.request("HEAD", path, creds=coffer.root).status == 404


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_signed_chunked_with_signed_trailer(coffer, bucket, transport):
    ep = coffer.endpoint(transport)
    data = os.urandom(150_000)
    path = object_path(bucket, "signed-trailer")
    crc = checksum_b64("crc32", data)
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", *coffer.root)
    body = signed_chunked_body(sig, data, trailer=("x-amz-checksum-crc32", crc))
    r = ep.request("PUT", path, headers=sig.headers, body=body)
    assert r.status == 200, r.body
    h = coffer.client(transport).head_object(Bucket=bucket, Key="signed-trailer", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == crc and h["ContentLength"] == len(data)
    # a wrong trailer value (correctly signed) is a bad digest
    path2 = object_path(bucket, "signed-trailer-bad")
    sig = sign_headers("PUT", path2, "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", *coffer.root)
    body = signed_chunked_body(sig, data, trailer=("x-amz-checksum-crc32", checksum_b64("crc32", b"other")))
    r = ep.request("PUT", path2, headers=sig.headers, body=body)
    assert r.status == 400 and r.code() == "BadDigest", r.body
    assert ep.request("HEAD", path2, creds=coffer.root).status == 404


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "sha256"])
def test_unsigned_payload_trailer(coffer, bucket, transport, algorithm):
    ep = coffer.endpoint(transport)
    data = os.urandom(100_000)
    path = object_path(bucket, f"trailer-{algorithm}")
    name = f"x-amz-checksum-{algorithm}"
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, trailer=name),
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER", *coffer.root)
    r = ep.request("PUT", path, headers=sig.headers,
                   body=unsigned_trailer_body(data, (name, checksum_b64(algorithm, data))))
    assert r.status == 200, r.body
    assert r.headers.get(name) == checksum_b64(algorithm, data)
    g = coffer.client(transport).get_object(Bucket=bucket, Key=f"trailer-{algorithm}", ChecksumMode="ENABLED")
    assert g["Body"].read() == data
    assert g["Checksum" + algorithm.upper()] == checksum_b64(algorithm, data)


def test_unsigned_payload_trailer_wrong_checksum_is_bad_digest(coffer, bucket):
    ep = coffer.endpoint()
    data = os.urandom(100_000)
    path = object_path(bucket, "bad-trailer")
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER", *coffer.root)
    r = ep.request("PUT", path, headers=sig.headers,
                   body=unsigned_trailer_body(data, ("x-amz-checksum-crc32", checksum_b64("crc32", data + b"!"))))
    assert r.status == 400, r.body
    assert r.code() == "BadDigest"
    assert ep.request("HEAD", path, creds=coffer.root).status == 404


def test_unsigned_payload_trailer_still_checks_the_signature(coffer, bucket):
    """The trailer path must not be an authentication bypass."""
    ep = coffer.endpoint()
    data = b"sneaky" * 1000
    path = object_path(bucket, "bypass")
    body = unsigned_trailer_body(data, ("x-amz-checksum-crc32", checksum_b64("crc32", data)))
    # a wrong secret
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER", coffer.root[0], "wrong-secret")
    r = ep.request("PUT", path, headers=sig.headers, body=body)
    assert r.status == 403 and r.code() == "SignatureDoesNotMatch", r.body
    # a wrong region in the scope
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER", *coffer.root, region="eu-west-1")
    r = ep.request("PUT", path, headers=sig.headers, body=body)
    assert r.status in (400, 403) and r.code() in ("AuthorizationHeaderMalformed", "SignatureDoesNotMatch"), r.body
    # no signature at all
    h = _chunked_headers(ep, data, trailer="x-amz-checksum-crc32")
    h["x-amz-content-sha256"] = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    r = ep.request("PUT", path, headers=h, body=body)
    assert r.status == 403 and r.code() == "AccessDenied", r.body
    # the headers were signed for another key
    sig = sign_headers("PUT", object_path(bucket, "other"), "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER", *coffer.root)
    r = ep.request("PUT", path, headers=sig.headers, body=body)
    assert r.status == 403 and r.code() == "SignatureDoesNotMatch", r.body
    # alice's valid signature on root's bucket
    sig = sign_headers("PUT", path, "", _chunked_headers(ep, data, trailer="x-amz-checksum-crc32"),
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER", *coffer.alice)
    r = ep.request("PUT", path, headers=sig.headers, body=body)
    assert r.status == 403 and r.code() == "AccessDenied", r.body
    assert ep.request("HEAD", path, creds=coffer.root).status == 404


# ----------------------------------------------------------------------------- Expect: 100-continue


def test_expect_100_continue_raw(coffer, bucket):
    ep = coffer.endpoint()
    data = os.urandom(300_000)
    path = object_path(bucket, "expect")
    sig = sign_headers("PUT", path, "", {"Host": ep.netloc}, hashlib.sha256(data).hexdigest(), *coffer.root)
    head = f"PUT {path} HTTP/1.1\r\n"
    for k, v in sig.headers.items():
        head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(data)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    interim, final = raw_exchange(ep.host, ep.port, head.encode(), data)
    assert interim.startswith(b"HTTP/1.1 100"), interim[:200]
    assert final.startswith(b"HTTP/1.1 200"), final[:500]
    assert coffer.client().get_object(Bucket=bucket, Key="expect")["Body"].read() == data


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_expect_100_continue_boto3_large_body(coffer, bucket, transport):
    s3 = coffer.client(transport)
    data = os.urandom(3 * 1024 * 1024)  # botocore sends Expect: 100-continue from 1 MB
    r = s3.put_object(Bucket=bucket, Key="big", Body=data)
    assert r["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data


# ----------------------------------------------------------------------------- response shape


def test_every_response_has_a_request_id_and_errors_are_complete(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_object(Bucket=bucket, Key="full", Body=b"v")
    ep = coffer.endpoint()
    ok = [
        ep.request("GET", object_path(bucket, "k"), creds=coffer.root),
        ep.request("HEAD", object_path(bucket, "k"), creds=coffer.root),
        ep.request("PUT", object_path(bucket, "k2"), body=b"x", creds=coffer.root),
        ep.request("DELETE", object_path(bucket, "k2"), creds=coffer.root),
        ep.request("GET", "/", creds=coffer.root),
        ep.request("GET", object_path(bucket), query="list-type=2", creds=coffer.root),
        ep.request("GET", "/_coffer/health"),
    ]
    for r in ok:
        assert r.status in (200, 204), r.body
        assert r.headers.get("x-amz-request-id"), r.headers
    errors = [
        ("NoSuchKey", 404, ep.request("GET", object_path(bucket, "missing"), creds=coffer.root)),
        ("NoSuchBucket", 404, ep.request("GET", object_path(bucket + "-missing"), query="list-type=2", creds=coffer.root)),
        ("AccessDenied", 403, ep.request("GET", object_path(bucket, "k"))),
        ("AccessDenied", 403, ep.request("GET", object_path(bucket, "k"), creds=coffer.alice)),
        ("SignatureDoesNotMatch", 403, ep.request("GET", object_path(bucket, "k"), creds=(coffer.root[0], "bad"))),
        ("InvalidAccessKeyId", 403, ep.request("GET", object_path(bucket, "k"), creds=("AKIANOSUCH", "bad"))),
        ("InvalidRange", 416, ep.request("GET", object_path(bucket, "k"), headers={"Range": "bytes=5-"}, creds=coffer.root)),
        ("BucketNotEmpty", 409, ep.request("DELETE", object_path(bucket), creds=coffer.root)),
        ("MalformedXML", 400, ep.request("POST", object_path(bucket), query="delete", body=b"<Delete><Object>",
                                         headers={"Content-MD5": md5_b64(b"<Delete><Object>")},
                                         creds=coffer.root)),
        ("InvalidBucketName", 400, ep.request("PUT", "/Bad_Name", creds=coffer.root)),
        ("MethodNotAllowed", 405, ep.request("PATCH", object_path(bucket, "k"), creds=coffer.root)),
    ]
    for code, status, r in errors:
        assert r.status == status, (code, r.status, r.body)
        assert r.headers.get("x-amz-request-id"), (code, r.headers)
        assert r.headers.get("content-type", "").startswith("application/xml"), (code, r.headers)
        err = r.error()
        assert err.get("Code") == code, (code, r.body)
        for field in ("Message", "Resource", "RequestId"):
            assert err.get(field), (code, field, r.body)
        assert err["RequestId"] == r.headers["x-amz-request-id"]
    ids = [r.headers["x-amz-request-id"] for r in ok] + [r.headers["x-amz-request-id"] for _, _, r in errors]
    assert len(set(ids)) == len(ids), "request ids are unique"
