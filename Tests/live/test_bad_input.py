"""Bad input gets an S3 error, never a crash, and never changes stored data.

Every test stands alone: it gets a fresh bucket holding a sentinel object (with metadata),
throws its garbage, and then checks, itself, that the server is alive and healthy and the
sentinel bucket exactly as it was (same bytes and metadata, no other key, no upload left)."""

import os
import socket
import urllib.request

import pytest

from conftest import unique_bucket_name
from coffer_live import md5_b64, object_path, sign_headers

SENTINEL = os.urandom(150_000)


class Sentinel:
    """A bucket holding one known object, and the check that nothing changed it."""

    def __init__(self, coffer, name: str):
        self.coffer = coffer
        self.name = name

    def assert_intact(self) -> None:
        coffer = self.coffer
        assert coffer.server.alive(), coffer.server.log_tail()
        with urllib.request.urlopen(coffer.http_url + "/_coffer/health", timeout=10) as r:
            assert r.status == 200
        s3 = coffer.client(cached=False)
        g = s3.get_object(Bucket=self.name, Key="sentinel")
        assert g["Body"].read() == SENTINEL
        assert g["Metadata"] == {"m": "v"}
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=self.name)["Contents"]] == ["sentinel"]
        assert s3.list_multipart_uploads(Bucket=self.name).get("Uploads", []) == []


@pytest.fixture
def sentinel(coffer, request) -> Sentinel:
    s3 = coffer.client()
    name = unique_bucket_name("sentinel-" + request.node.name)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="sentinel", Body=SENTINEL, Metadata={"m": "v"})
    return Sentinel(coffer, name)


def _assert_error(r, status, codes):
    assert r.status == status, (r.status, r.body[:500])
    err = r.error()
    assert err.get("Code") in codes, r.body[:500]
    assert r.headers.get("x-amz-request-id")


MALFORMED = [b"", b"not xml at all", b"<Delete><Object><Key>x</Key>", b"<?xml version='1.0'?><Wrong/>",
             b"<Delete><Object></Object></Delete>", b"<Delete><Quiet>true</Quiet></Delete>", b"\xff\xfe<<<>>>",
             b"<!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]><Delete><Object><Key>&b;</Key></Object></Delete>"]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_delete_objects(coffer, sentinel, body):
    r = coffer.endpoint().request("POST", object_path(sentinel.name), query="delete", body=body,
                                  headers={"Content-MD5": md5_b64(body)}, creds=coffer.root)
    _assert_error(r, 400, {"MalformedXML", "MissingRequestBodyError"} if not body else {"MalformedXML"})
    sentinel.assert_intact()


def test_delete_objects_without_integrity_header(coffer, sentinel):
    body = b"<Delete><Object><Key>sentinel</Key></Object></Delete>"
    r = coffer.endpoint().request("POST", object_path(sentinel.name), query="delete", body=body, creds=coffer.root)
    # S3 requires Content-MD5 or an x-amz-checksum-* header on DeleteObjects
    _assert_error(r, 400, {"InvalidRequest", "MissingContentMD5"})
    sentinel.assert_intact()


@pytest.mark.parametrize("body", [b"garbage", b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part>",
                                  b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
                                  b"<CompleteMultipartUpload></CompleteMultipartUpload>"])
def test_malformed_complete_multipart(coffer, sentinel, body):
    s3 = coffer.client()
    up = s3.create_multipart_upload(Bucket=sentinel.name, Key="sentinel")
    try:
        r = coffer.endpoint().request("POST", object_path(sentinel.name, "sentinel"), query=f"uploadId={up['UploadId']}",
                                      body=body, creds=coffer.root)
        _assert_error(r, 400, {"MalformedXML", "InvalidPart"} if b"PartNumber>1<" in body else {"MalformedXML"})
    finally:
        s3.abort_multipart_upload(Bucket=sentinel.name, Key="sentinel", UploadId=up["UploadId"])
    sentinel.assert_intact()


@pytest.mark.parametrize("body", [b"not xml", b"<CreateBucketConfiguration><LocationConstraint>",
                                  b"<Wrong><LocationConstraint>us-east-1</LocationConstraint></Wrong>"])
def test_malformed_create_bucket(coffer, sentinel, body):
    name = unique_bucket_name("malformed")
    r = coffer.endpoint().request("PUT", "/" + name, body=body, creds=coffer.root)
    _assert_error(r, 400, {"MalformedXML"})
    assert coffer.endpoint().request("HEAD", "/" + name, creds=coffer.root).status == 404
    sentinel.assert_intact()


def _chunked_put(coffer, bucket, key, body, payload_hash, decoded_length):
    ep = coffer.endpoint()
    path = object_path(bucket, key)
    h = {"Host": ep.netloc, "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(decoded_length)}
    if payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
        h["x-amz-trailer"] = "x-amz-checksum-crc32"
    sig = sign_headers("PUT", path, "", h, payload_hash, *coffer.root)
    return ep.request("PUT", path, headers=sig.headers, body=body)


FRAMING_CODES = {"IncompleteBody", "InvalidChunkSizeError", "InvalidRequest", "InvalidArgument", "MalformedTrailerError"}


@pytest.mark.parametrize("body,decoded", [
    (b"zz;chunk-signature=abc\r\nhello\r\n", 5),
    (b"5;chunk-signature=" + b"0" * 64 + b"\r\nhel", 5),                 # truncated chunk
    (b"ffffffffffffffffff;chunk-signature=" + b"0" * 64 + b"\r\n", 5),  # absurd size
    (b"5\r\nhello\r\n0\r\n\r\n", 5),                                    # no signatures
    (b"", 5),
])
def test_garbage_signed_chunk_framing(coffer, sentinel, body, decoded):
    r = _chunked_put(coffer, sentinel.name, "sentinel", body, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", decoded)
    assert r.status in (400, 403), (r.status, r.body)
    assert r.code() in FRAMING_CODES | {"SignatureDoesNotMatch"}, r.body
    sentinel.assert_intact()


@pytest.mark.parametrize("body,decoded", [
    (b"zz\r\nhello\r\n0\r\n\r\n", 5),                 # not hex
    (b"5\r\nhel", 5),                                 # truncated
    (b"5\r\nhelloXX0\r\n\r\n", 5),                    # missing CRLF after data
    (b"5\r\nhello\r\n0\r\n\r\n", 6),                  # decoded length disagrees
    (b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32\r\n\r\n", 5),  # trailer without a value
    (b"-5\r\nhello\r\n0\r\n\r\n", 5),
])
def test_garbage_unsigned_trailer_framing(coffer, sentinel, body, decoded):
    r = _chunked_put(coffer, sentinel.name, "sentinel", body, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", decoded)
    _assert_error(r, 400, FRAMING_CODES | {"BadDigest"})
    sentinel.assert_intact()


def test_truncated_body_then_disconnect(coffer, sentinel):
    """Content-Length promises more than is sent; the client goes away."""
    ep = coffer.endpoint()
    path = object_path(sentinel.name, "sentinel")
    sig = sign_headers("PUT", path, "", {"Host": ep.netloc}, "UNSIGNED-PAYLOAD", *coffer.root)
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sig.headers.items())
    head += "Content-Length: 1000000\r\n\r\n"
    with socket.create_connection((ep.host, ep.port), timeout=10) as s:
        s.sendall(head.encode() + b"only a little")
    # and the server still answers, with the object as it was
    sentinel.assert_intact()


def _half_closed_put(coffer, path, query, extra_headers, body, expect_continue=False):
    """Sends a signed PUT whose Content-Length promises more than `body`, then closes the
    sending side and reads the whole answer: (status line, raw answer)."""
    ep = coffer.endpoint()
    sig = sign_headers("PUT", path, query, {"Host": ep.netloc, **extra_headers}, "UNSIGNED-PAYLOAD", *coffer.root)
    target = path + (f"?{query}" if query else "")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sig.headers.items())
    head += "Content-Length: 100000\r\n" + ("Expect: 100-continue\r\n" if expect_continue else "") + "\r\n"
    with socket.create_connection((ep.host, ep.port), timeout=20) as s:
        s.sendall(head.encode())
        answer = b""
        if expect_continue:
            answer = s.recv(4096)
            assert answer.startswith(b"HTTP/1.1 100"), answer
            answer = answer.split(b"\r\n\r\n", 1)[1]
        s.sendall(body)
        s.shutdown(socket.SHUT_WR)
        while chunk := s.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("expect_continue,body", [(False, b"only a little"), (True, b""), (True, b"a few bytes"), (False, b"")])
def test_body_cut_short_is_incomplete_body(coffer, sentinel, expect_continue, body):
    """Content-Length larger than what arrives before the client closes its side (with or
    without Expect: 100-continue): 400 IncompleteBody, never 500, and nothing stored, for a
    new key, an overwrite and an upload part."""
    s3 = coffer.client()
    log_start = os.path.getsize(coffer.server.log_path)
    up = s3.create_multipart_upload(Bucket=sentinel.name, Key="mp")["UploadId"]
    for path, query in [(object_path(sentinel.name, "new-key"), ""), (object_path(sentinel.name, "sentinel"), ""),
                        (object_path(sentinel.name, "mp"), f"partNumber=1&uploadId={up}")]:
        answer = _half_closed_put(coffer, path, query, {}, body, expect_continue)
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:300]
        assert b"<Code>IncompleteBody</Code>" in answer, answer[:600]
    assert s3.list_parts(Bucket=sentinel.name, Key="mp", UploadId=up).get("Parts", []) == []
    s3.abort_multipart_upload(Bucket=sentinel.name, Key="mp", UploadId=up)
    sentinel.assert_intact()
    with open(coffer.server.log_path, "rb") as log:
        log.seek(log_start)
        assert b"internal error" not in log.read()


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /%zz%%/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 100_000 + b"\r\n\r\n",
])
def test_garbage_http(coffer, sentinel, raw):
    ep = coffer.endpoint()
    with socket.create_connection((ep.host, ep.port), timeout=10) as s:
        s.sendall(raw)
        try:
            s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            pass
    sentinel.assert_intact()


@pytest.mark.parametrize("headers,query,codes,statuses", [
    ({"Authorization": "AWS4-HMAC-SHA256 garbage"}, "", {"AuthorizationHeaderMalformed", "InvalidArgument", "AccessDenied", "InvalidRequest"}, (400, 403)),
    ({"Authorization": "AWS AKIA:c2lnbmF0dXJl"}, "", {"InvalidRequest", "InvalidArgument", "AccessDenied", "SignatureDoesNotMatch"}, (400, 403)),
    ({"Authorization": "Bearer x"}, "", {"InvalidArgument", "AccessDenied", "InvalidRequest"}, (400, 403)),
    ({}, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=garbage&X-Amz-Date=x&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
     {"AuthorizationQueryParametersError", "AccessDenied", "InvalidArgument"}, (400, 403)),
])
def test_malformed_authorization(coffer, sentinel, headers, query, codes, statuses):
    r = coffer.endpoint().request("GET", object_path(sentinel.name, "sentinel"), query=query, headers=headers)
    assert r.status in statuses, (r.status, r.body)
    assert r.code() in codes, r.body
    assert SENTINEL not in r.body
    sentinel.assert_intact()


def test_bad_x_amz_date(coffer, sentinel):
    ep = coffer.endpoint()
    sig = sign_headers("GET", object_path(sentinel.name, "sentinel"), "", {"Host": ep.netloc},
                       "UNSIGNED-PAYLOAD", *coffer.root)
    h = dict(sig.headers)
    h["x-amz-date"] = "yesterday"
    r = ep.request("GET", object_path(sentinel.name, "sentinel"), headers=h)
    assert r.status in (400, 403), (r.status, r.body)
    assert r.code() in {"AccessDenied", "SignatureDoesNotMatch", "InvalidArgument", "AuthorizationHeaderMalformed"}
    assert SENTINEL not in r.body
    sentinel.assert_intact()


@pytest.mark.parametrize("query", ["list-type=2&max-keys=abc", "list-type=2&continuation-token=not-a-token"])
def test_bad_list_parameters(coffer, sentinel, query):
    r = coffer.endpoint().request("GET", object_path(sentinel.name), query=query, creds=coffer.root)
    assert r.status == 400, (query, r.status, r.body)
    assert r.code() == "InvalidArgument", r.body
    sentinel.assert_intact()


def test_malformed_percent_encoding_in_query(coffer, sentinel):
    ep = coffer.endpoint()
    path = object_path(sentinel.name)
    r = ep.request("GET", path, query="list-type=2&prefix=%%%zz", headers={}, creds=None)
    _assert_error(r, 400, {"InvalidURI", "InvalidArgument", "AccessDenied"})
    sentinel.assert_intact()


def test_bad_metadata_headers(coffer, sentinel):
    ep = coffer.endpoint()
    big = {f"x-amz-meta-k{i}": "v" * 200 for i in range(20)}  # > 2 KB of user metadata
    r = ep.request("PUT", object_path(sentinel.name, "sentinel"), body=b"replaced?", headers=big, creds=coffer.root)
    _assert_error(r, 400, {"MetadataTooLarge"})
    sentinel.assert_intact()
