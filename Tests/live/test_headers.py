"""Request and response headers as S3 treats them: user metadata beyond US-ASCII (RFC 2047),
Content-Encoding kept as sent, and the request time in x-amz-date and Date."""

import base64
import datetime as dt
import email.header
import email.utils
import socket

import pytest

from coffer_live import object_path, sign_headers


def raw_request(coffer, method: str, path: str, headers: dict[str, str], body: bytes = b"",
                amz_date_header: str | None = None, payload_hash: str = "UNSIGNED-PAYLOAD") -> tuple[int, dict[str, bytes], bytes]:
    """A signed request whose header values go on the wire as UTF-8 (http.client would send
    ISO-8859-1). Returns (status, headers with raw byte values, body)."""
    ep = coffer.endpoint()
    sig = sign_headers(method, path, "", {"Host": ep.netloc, **headers}, payload_hash, *coffer.root,
                       amz_date_header=amz_date_header)
    head = f"{method} {path} HTTP/1.1\r\n".encode()
    head += b"".join(k.encode() + b": " + v.encode("utf-8") + b"\r\n" for k, v in sig.headers.items())
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection((ep.host, ep.port), timeout=30) as s:
        s.sendall(head + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    top, _, rest = answer.partition(b"\r\n\r\n")
    lines = top.split(b"\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.decode().lower()] = value.strip()
    return int(lines[0].split()[1]), fields, rest


def mime_decoded(value: str) -> str:
    """What a mail-header decoder (here Python's) makes of an RFC 2047 value."""
    return str(email.header.make_header(email.header.decode_header(value)))


@pytest.mark.parametrize("text", ["Zürich é", "日本語のメタデータ", "mixed ascii and ü", "emoji 🔐"])
def test_utf8_metadata_is_kept_and_answered_as_rfc2047(coffer, bucket, text):
    """S3 stores a non-US-ASCII metadata value as the text sent and answers it RFC 2047
    encoded (mail-safe); decoded, it is exactly what was sent, never mojibake."""
    path = object_path(bucket, "utf8")
    status, _, body = raw_request(coffer, "PUT", path, {"x-amz-meta-city": text, "x-amz-meta-plain": "ascii only"}, b"data")
    assert status == 200, body
    status, fields, _ = raw_request(coffer, "HEAD", path, {})
    assert status == 200
    answered = fields["x-amz-meta-city"].decode("ascii")  # mail-safe: US-ASCII only
    assert answered.startswith("=?UTF-8?B?") and answered.endswith("?=")
    assert mime_decoded(answered) == text
    assert fields["x-amz-meta-plain"] == b"ascii only"
    # boto3 sees the same encoded value, and copies keep the text
    s3 = coffer.client()
    assert mime_decoded(s3.head_object(Bucket=bucket, Key="utf8")["Metadata"]["city"]) == text
    s3.copy_object(Bucket=bucket, Key="utf8-copy", CopySource={"Bucket": bucket, "Key": "utf8"})
    assert mime_decoded(s3.get_object(Bucket=bucket, Key="utf8-copy")["Metadata"]["city"]) == text


def test_rfc2047_encoded_metadata_is_decoded_before_storing(coffer, bucket):
    """A client that sends RFC 2047 (the only way botocore lets non-ASCII through) gets the
    same text back; the size limit counts the decoded text."""
    s3 = coffer.client()
    encoded_b = "=?UTF-8?B?" + base64.b64encode("Grüße".encode()).decode() + "?="
    encoded_q = "=?ISO-8859-1?Q?caf=E9_cr=E8me?="
    s3.put_object(Bucket=bucket, Key="mime", Body=b"x", Metadata={"b": encoded_b, "q": encoded_q, "literal": "=?not an encoded word"})
    meta = s3.head_object(Bucket=bucket, Key="mime")["Metadata"]
    assert mime_decoded(meta["b"]) == "Grüße"
    assert mime_decoded(meta["q"]) == "café crème"
    assert meta["literal"] == "=?not an encoded word"
    # an encoded word whose text is US-ASCII is answered as plain text
    s3.put_object(Bucket=bucket, Key="mime-ascii", Body=b"x", Metadata={"v": "=?UTF-8?B?aGVsbG8=?="})
    assert s3.head_object(Bucket=bucket, Key="mime-ascii")["Metadata"]["v"] == "hello"


@pytest.mark.parametrize("sent,stored", [
    ("gzip", "gzip"),
    ("deflate, gzip", "deflate, gzip"),
    ("deflate,gzip", "deflate,gzip"),
    ("aws-chunked, gzip", "gzip"),
    ("gzip, aws-chunked", "gzip"),
    ("aws-chunked", None),
])
def test_content_encoding_is_kept_as_sent_without_aws_chunked(coffer, bucket, sent, stored):
    path = object_path(bucket, "enc")
    if "aws-chunked" in sent:  # the body must then be aws-chunked framed
        status, _, body = raw_request(coffer, "PUT", path, {"Content-Encoding": sent, "x-amz-decoded-content-length": "4"},
                                      b"4\r\nbody\r\n0\r\n\r\n", payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    else:
        status, _, body = raw_request(coffer, "PUT", path, {"Content-Encoding": sent}, b"body")
    assert status == 200, body
    _, fields, _ = raw_request(coffer, "HEAD", path, {})
    assert fields.get("content-encoding") == (stored.encode() if stored else None)


def test_request_time_from_x_amz_date_in_either_form_and_date(coffer, bucket):
    """x-amz-date in ISO 8601 basic or RFC 7231 form, with or without a Date header beside
    it (x-amz-date wins), signs as on S3."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    rfc = email.utils.format_datetime(now, usegmt=True)
    path = object_path(bucket, "dated")
    assert raw_request(coffer, "PUT", path, {}, b"1")[0] == 200
    assert raw_request(coffer, "PUT", path, {"Date": rfc}, b"2")[0] == 200
    assert raw_request(coffer, "PUT", path, {}, b"3", amz_date_header=rfc)[0] == 200
    assert raw_request(coffer, "PUT", path, {"Date": "Thu, 01 Jan 1970 00:00:00 GMT"}, b"4", amz_date_header=rfc)[0] == 200
    assert coffer.client().get_object(Bucket=bucket, Key="dated")["Body"].read() == b"4"
    # a time that is neither form is still refused
    status, _, body = raw_request(coffer, "PUT", path, {}, b"5", amz_date_header="yesterday")
    assert status == 403 and b"requires a valid Date or x-amz-date header" in body
