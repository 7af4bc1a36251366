"""AWS Signature Version 2, as S3 accepted it, with real clients: `aws s3 presign` of the aws
CLI v1 (which presigns with SigV2 unless configured otherwise) fetched with urllib, boto3 with
`signature_version="s3"` for header auth, expired and tampered URLs, a bucket policy that
denies SigV2 the way AWS documents, `coffer serve --sigv2 deny`, and audit records naming the
signature version."""

from __future__ import annotations

import http.client
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ALICE, AWS_CONFIG, Coffer, audit_log_segments
from coffer_live import REGION, client_error, parse_error

TRANSPORTS = ["http", "https"]

# The aws CLI's own default: no signature_version, so `aws s3 presign` signs with SigV2.
# (`signature_version = s3` in this file would not: botocore 1.43 lets the endpoint ruleset's
# sigv4 win over a config-file signer for S3, so only the default, which botocore keeps at
# SigV2 for presigning, or boto3's Config(signature_version="s3") still signs SigV2.)
CLI_DEFAULT_CONFIG = AWS_CONFIG.replace("  signature_version = s3v4\n", "")
assert "signature_version" not in CLI_DEFAULT_CONFIG


@pytest.fixture
def cli_default(coffer, tmp_path) -> Coffer:
    """The session's server, driven by an aws CLI with its default signer instead of the suite's SigV4 config."""
    c = Coffer(coffer.server, coffer.binary, str(tmp_path), coffer.users_file)
    with open(c.aws_config, "w") as f:
        f.write(CLI_DEFAULT_CONFIG)
    return c


def v2_client(coffer: Coffer, transport: str = "http", user: str = "root"):
    """boto3 signing every request with SigV2 (`signature_version="s3"`)."""
    ak, sk = coffer.creds(user)
    cfg = Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.session.Session().client(
        "s3", endpoint_url=coffer.url(transport), region_name=REGION, aws_access_key_id=ak, aws_secret_access_key=sk,
        config=cfg, verify=coffer.ca if transport == "https" else None)


def fetch(coffer: Coffer, url: str, method: str = "GET"):
    """(status, body, headers) of a plain, unsigned urllib request (headers case-insensitive)."""
    ctx = ssl.create_default_context(cafile=coffer.ca) if url.startswith("https") else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30, context=ctx) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def assert_sigv2_url(url: str) -> None:
    q = query_of(url)
    assert {"AWSAccessKeyId", "Expires", "Signature"} <= set(q), url
    assert not any(k.startswith("X-Amz-") for k in q), url


DENY_SIGV2 = """{{"Version": "2012-10-17", "Statement": [{{"Sid": "DenySigV2", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
  "Resource": ["arn:aws:s3:::{b}", "arn:aws:s3:::{b}/*"], "Condition": {{"StringEquals": {{"s3:signatureversion": "AWS"}}}}}}]}}"""


# ----------------------------------------------------------------------------- presigned URLs


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cli_presign_out_of_the_box(cli_default, s3, bucket, transport):
    """`aws s3 presign` with no signature_version configured: a SigV2 URL that urllib can fetch."""
    body = os.urandom(70 * 1024)  # more than one 64 KiB package
    s3.put_object(Bucket=bucket, Key="dir/report 1+é.bin", Body=body)
    url = cli_default.aws("s3", "presign", f"s3://{bucket}/dir/report 1+é.bin", "--expires-in", "300", transport=transport).stdout.strip()
    assert_sigv2_url(url)
    status, got, _ = fetch(cli_default, url)
    assert status == 200 and got == body


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_presigned_get_and_head(coffer, s3, bucket, transport):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ContentType="text/plain")
    v2 = v2_client(coffer, transport)
    head = v2.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    assert_sigv2_url(head)
    status, got, headers = fetch(coffer, head, method="HEAD")
    assert status == 200 and got == b""
    assert headers["Content-Length"] == "5" and headers["Content-Type"] == "text/plain"
    # A response-* override is a signed sub-resource.
    get = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k", "ResponseContentDisposition": 'attachment; filename="a b.txt"'},
                                    ExpiresIn=300)
    status, got, headers = fetch(coffer, get)
    assert status == 200 and got == b"hello"
    assert headers["Content-Disposition"] == 'attachment; filename="a b.txt"'
    # A URL presigned for GET does not sign a HEAD.
    assert fetch(coffer, get, method="HEAD")[0] == 403


def test_presigned_virtual_host_style(coffer, s3, bucket):
    """A URL presigned for `<bucket>.localhost`: the signed resource begins with the bucket the Host names."""
    s3.put_object(Bucket=bucket, Key="dir/k 1", Body=b"virtual")
    port = urllib.parse.urlsplit(coffer.http_url).port
    ak, sk = coffer.root
    vhost = boto3.session.Session().client(
        "s3", endpoint_url=f"http://localhost:{port}", region_name=REGION, aws_access_key_id=ak, aws_secret_access_key=sk,
        config=Config(signature_version="s3", s3={"addressing_style": "virtual"}))
    url = urllib.parse.urlsplit(vhost.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/k 1"}, ExpiresIn=300))
    assert url.hostname == f"{bucket}.localhost"
    # The URL as signed, then its signature on another key of the bucket.
    for path, status, body in [(url.path, 200, b"virtual"), ("/other", 403, None)]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", f"{path}?{url.query}", headers={"Host": url.netloc})
            response = connection.getresponse()
            got = response.read()
            assert response.status == status
            assert body is None or got == body
        finally:
            connection.close()


def test_expired_presigned_url_is_access_denied(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    url = v2_client(coffer).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=-60)
    status, body, _ = fetch(coffer, url)
    assert status == 403
    error = parse_error(body)
    assert error["Code"] == "AccessDenied" and error["Message"] == "Request has expired"
    assert error["Expires"] and error["ServerTime"] and error["Expires"] < error["ServerTime"]


def test_tampered_signature_is_signature_does_not_match(cli_default, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    url = cli_default.aws("s3", "presign", f"s3://{bucket}/k").stdout.strip()
    q = query_of(url)
    tampered = url.replace("Signature=", "Signature=A", 1)
    status, body, _ = fetch(cli_default, tampered)
    assert status == 403
    error = parse_error(body)
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["AWSAccessKeyId"] == cli_default.root[0]
    assert error["StringToSign"] == f"GET\n\n\n{q['Expires']}\n/{bucket}/k"
    assert error["SignatureProvided"] == "A" + q["Signature"]
    assert error["StringToSignBytes"].startswith("47 45 54 0a")
    # Another key, the same signature: the signature covers the resource.
    status, body, _ = fetch(cli_default, url.replace(f"/{bucket}/k?", f"/{bucket}/other?", 1))
    assert status == 403 and parse_error(body)["Code"] == "SignatureDoesNotMatch"


# ----------------------------------------------------------------------------- header auth


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_boto3_sigv2_header_auth(coffer, bucket, transport):
    v2 = v2_client(coffer, transport)
    body = os.urandom(65 * 1024 + 3)
    v2.put_object(Bucket=bucket, Key="a/b c.bin", Body=body, Metadata={"color": "blue"}, ContentType="application/x-test")
    got = v2.get_object(Bucket=bucket, Key="a/b c.bin")
    assert got["Body"].read() == body and got["Metadata"] == {"color": "blue"} and got["ContentType"] == "application/x-test"
    assert v2.head_object(Bucket=bucket, Key="a/b c.bin")["ContentLength"] == len(body)
    listed = v2.list_objects_v2(Bucket=bucket, Prefix="a/")
    assert [o["Key"] for o in listed["Contents"]] == ["a/b c.bin"]
    assert v2.get_bucket_acl(Bucket=bucket)["Owner"]  # ?acl is a signed sub-resource
    v2.delete_object(Bucket=bucket, Key="a/b c.bin")
    assert v2.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_boto3_sigv2_multipart(coffer, bucket):
    """uploads, uploadId and partNumber are signed sub-resources."""
    v2 = v2_client(coffer)
    upload = v2.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    parts = [os.urandom(5 * 1024 * 1024), b"tail"]
    etags = [v2.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=i + 1, Body=p)["ETag"] for i, p in enumerate(parts)]
    assert [p["PartNumber"] for p in v2.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"]] == [1, 2]
    v2.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    assert v2.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(parts)


def test_wrong_secret_and_unknown_key(coffer, bucket):
    bad = boto3.session.Session().client(
        "s3", endpoint_url=coffer.http_url, region_name=REGION, aws_access_key_id=coffer.root[0], aws_secret_access_key="not-the-secret",
        config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    assert client_error(e.value) == (403, "SignatureDoesNotMatch")
    assert "StringToSign" in e.value.response["Error"]
    unknown = boto3.session.Session().client(
        "s3", endpoint_url=coffer.http_url, region_name=REGION, aws_access_key_id="AKIANOSUCHKEY0000000", aws_secret_access_key="x",
        config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        unknown.list_objects_v2(Bucket=bucket)
    assert client_error(e.value) == (403, "InvalidAccessKeyId")


# ----------------------------------------------------------------------------- policy


def test_bucket_policy_denies_sigv2_while_sigv4_works(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    v2 = v2_client(coffer)
    assert v2.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    s3.put_bucket_policy(Bucket=bucket, Policy=DENY_SIGV2.format(b=bucket))
    try:
        with pytest.raises(ClientError) as e:
            v2.get_object(Bucket=bucket, Key="k")
        assert client_error(e.value) == (403, "AccessDenied")
        url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
        status, body, _ = fetch(coffer, url)
        assert status == 403 and parse_error(body)["Code"] == "AccessDenied"
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
        sigv4_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
        assert fetch(coffer, sigv4_url)[:2] == (200, b"hello")
    finally:
        s3.delete_bucket_policy(Bucket=bucket)


def test_alice_with_sigv2_is_authorized_like_sigv4(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    alice = v2_client(coffer, user="alice")
    with pytest.raises(ClientError) as e:
        alice.get_object(Bucket=bucket, Key="k")
    assert client_error(e.value) == (403, "AccessDenied")


# ----------------------------------------------------------------------------- --sigv2 deny and the audit trail


def test_sigv2_deny(server_factory, tmp_path):
    process = server_factory(users=[("alice", ALICE)])
    process.extra_args = ["--sigv2", "deny"]
    process.start()
    server = Coffer(process, process.binary, str(tmp_path), process.users_file)
    s3 = server.client()
    s3.create_bucket(Bucket="deny")
    s3.put_object(Bucket="deny", Key="k", Body=b"hello")
    with pytest.raises(ClientError) as e:
        v2_client(server).get_object(Bucket="deny", Key="k")
    assert client_error(e.value) == (403, "AccessDenied")
    assert "Signature Version 2 is disabled on this server" in e.value.response["Error"]["Message"]
    url = v2_client(server).generate_presigned_url("get_object", Params={"Bucket": "deny", "Key": "k"}, ExpiresIn=300)
    status, body, _ = fetch(server, url)
    assert status == 403 and "Signature Version 2 is disabled" in parse_error(body)["Message"]
    assert s3.get_object(Bucket="deny", Key="k")["Body"].read() == b"hello"


def test_audit_records_name_the_signature_version(server_factory, tmp_path):
    process = server_factory(users=[("alice", ALICE)]).start()
    server = Coffer(process, process.binary, str(tmp_path), process.users_file)
    s3 = server.client()
    s3.create_bucket(Bucket="audited")
    put = s3.put_object(Bucket="audited", Key="k", Body=b"hello")["ResponseMetadata"]["RequestId"]
    v2 = v2_client(server)
    header = v2.get_object(Bucket="audited", Key="k")["ResponseMetadata"]["RequestId"]
    url = v2.generate_presigned_url("get_object", Params={"Bucket": "audited", "Key": "k"}, ExpiresIn=300)
    status, _, headers = fetch(server, url)
    assert status == 200
    query = headers["x-amz-request-id"]
    records = {}
    for _, data in audit_log_segments(process.data_dir):
        for line in data.split(b"\n")[:-1]:
            record = json.loads(line)
            if record["eventSource"] == "s3.amazonaws.com":
                records[record["requestID"]] = record
    assert records[put]["additionalEventData"] == {"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"}
    assert records[header]["additionalEventData"] == {"SignatureVersion": "SigV2", "AuthenticationMethod": "AuthHeader"}
    assert records[query]["additionalEventData"] == {"SignatureVersion": "SigV2", "AuthenticationMethod": "QueryString"}
    assert records[query]["eventName"] == "GetObject"
