"""SSE-KMS against a remote AWS-KMS-compatible key service (`coffer serve --kms-endpoint`):
a real `moto_server` started here, keys made in it with boto3, and Coffer driven with the real
`aws` CLI and boto3. Data keys come from moto (key ARNs in every answer; stopping moto makes
SSE-KMS requests fail with 503 and write nothing while SSE-S3 keeps working); an unknown key is
KMS.NotFoundException; Coffer's own KMS API stays on its endpoint. A bucket policy requiring one
of moto's keys by ARN is satisfied by that key's ARN and by an alias of it made in moto (resolved
through moto), and refuses another moto key.

moto_server must be on PATH (pip install 'moto[server]'): missing, these tests fail, never skip.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import coffer_live
from conftest import Coffer, aws_cli_error_code, kms_client, unique_bucket_name
from coffer_live import REGION, ServerError, object_path

MiB = 1024 * 1024
# What Coffer signs its key-service calls with (moto accepts any credentials).
KMS_CALLER = ("COFFERKMSCALLER00001", "kms-caller-secret/for+tests/0123456789ab")
MOTO_ACCOUNT = "123456789012"


# ----------------------------------------------------------------------------- moto_server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """One `moto_server` process on a loopback port; stopped (SIGKILL, by pid) and restartable
    on the same port. moto keeps everything in memory: a restart forgets every key."""

    def __init__(self, log_path: str, port: int | None = None):
        self.executable = shutil.which("moto_server")
        if self.executable is None:
            pytest.fail(f"moto_server is not on PATH ({os.environ.get('PATH', '')}): install it with "
                        "`pip install 'moto[server]'`; the remote key-service tests need it", pytrace=False)
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                return True
            finally:
                conn.close()
        except (OSError, http.client.HTTPException):
            return False

    def start(self, timeout: float = 60) -> "MotoServer":
        assert self.proc is None or self.proc.poll() is not None, "moto_server already running"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "INITIAL_NO_AUTH"))}
        deadline = time.monotonic() + timeout
        while True:  # a port just released by a killed moto can need a moment
            log = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen([self.executable, "-H", "127.0.0.1", "-p", str(self.port)],
                                             stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
                                             start_new_session=True)
            finally:
                log.close()
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.answers():
                    return self
                time.sleep(0.1)
            if self.proc.poll() is None or time.monotonic() >= deadline:
                self.stop()
                pytest.fail(f"moto_server did not answer on {self.url} within {timeout}s\n{self.log_tail()}")
            time.sleep(0.5)  # exited (port still in use?): retry until the deadline

    def stop(self) -> None:
        """SIGKILL by pid, then reap: moto keeps nothing worth a clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while self.answers() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not self.answers(), f"something still answers on {self.url} after moto_server was killed"

    def kms(self):
        cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
        return boto3.session.Session().client(
            "kms", endpoint_url=self.url, region_name=REGION, aws_access_key_id="motoadmin",
            aws_secret_access_key="motoadmin-secret", config=cfg)

    def create_key(self, description: str = "coffer remote kms test") -> dict:
        return self.kms().create_key(Description=description)["KeyMetadata"]


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(str(tmp_path_factory.mktemp("moto") / "moto.log")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def moto_key(moto) -> dict:
    return moto.create_key()


# ----------------------------------------------------------------------------- Coffer with a remote key service


class _SubprocessWithEnv:
    """Stands in for the `subprocess` module inside coffer_live while one CofferProcess starts,
    adding environment variables CofferProcess itself strips (it drops every COFFER_*)."""

    def __init__(self, extra_env: dict[str, str]):
        self.extra_env = extra_env

    def __getattr__(self, name):
        return getattr(subprocess, name)

    def Popen(self, args, **kwargs):  # noqa: N802 - mirrors subprocess.Popen
        kwargs["env"] = {**(kwargs.get("env") or os.environ), **self.extra_env}
        return subprocess.Popen(args, **kwargs)


def start_with_env(process: coffer_live.CofferProcess, extra_env: dict[str, str]) -> coffer_live.CofferProcess:
    original = coffer_live.subprocess
    coffer_live.subprocess = _SubprocessWithEnv(extra_env)
    try:
        return process.start()
    finally:
        coffer_live.subprocess = original


def kms_env(creds=KMS_CALLER) -> dict[str, str]:
    return {"COFFER_KMS_ACCESS_KEY_ID": creds[0], "COFFER_KMS_SECRET_ACCESS_KEY": creds[1]}


def remote_coffer(server_factory, tmp_path, moto: MotoServer, timeout: float = 2) -> Coffer:
    """A Coffer (server_factory's process, so it is killed at teardown) whose SSE-KMS uses
    `moto`, with the key-service credentials in its environment."""
    process = server_factory()
    process.extra_args = ["--kms-endpoint", moto.url, "--kms-timeout", str(timeout)]
    start_with_env(process, kms_env())
    return Coffer(process, process.binary, str(tmp_path), None)


@pytest.fixture
def remote(server_factory, tmp_path, moto) -> Coffer:
    return remote_coffer(server_factory, tmp_path, moto)


@pytest.fixture
def rbucket(remote) -> str:
    name = unique_bucket_name("remote-kms")
    remote.client().create_bucket(Bucket=name)
    return name


# ----------------------------------------------------------------------------- helpers


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def kms_headers(response: dict) -> tuple[str | None, str | None, bool | None]:
    return response.get("ServerSideEncryption"), response.get("SSEKMSKeyId"), response.get("BucketKeyEnabled")


def keys_in(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def context_header(context: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(context).encode()).decode()


# ----------------------------------------------------------------------------- configuration


def test_kms_endpoint_needs_credentials(server_factory, moto):
    process = server_factory()
    process.extra_args = ["--kms-endpoint", moto.url]
    with pytest.raises(ServerError) as failed:
        start_with_env(process, {"COFFER_KMS_ACCESS_KEY_ID": KMS_CALLER[0]})  # no secret
    assert "--kms-endpoint needs credentials" in str(failed.value)
    assert not process.alive()


def test_credentials_from_the_environment_and_the_secret_stays_out_of_the_output(remote, moto_key):
    s3 = remote.client()
    name = unique_bucket_name("env-creds")
    s3.create_bucket(Bucket=name)
    put = s3.put_object(Bucket=name, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=moto_key["KeyId"])
    assert put["SSEKMSKeyId"] == moto_key["Arn"]
    output = remote.server.log_tail(10_000)
    assert KMS_CALLER[1] not in output


# ----------------------------------------------------------------------------- SSE-KMS with moto's keys


def test_put_get_head_with_the_moto_key_by_id_and_arn(remote, rbucket, moto_key, tmp_path):
    s3 = remote.client()
    arn = moto_key["Arn"]
    assert arn == f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:key/{moto_key['KeyId']}"
    for name, key_id in (("by-id", moto_key["KeyId"]), ("by-arn", arn)):
        data = os.urandom(100_000)
        put = s3.put_object(Bucket=rbucket, Key=name, Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
        assert kms_headers(put)[:2] == ("aws:kms", arn), put
        assert put.get("BucketKeyEnabled") in (None, False)
        got = s3.get_object(Bucket=rbucket, Key=name)
        assert got["Body"].read() == data
        assert kms_headers(got)[:2] == ("aws:kms", arn)
        head = s3.head_object(Bucket=rbucket, Key=name)
        assert kms_headers(head)[:2] == ("aws:kms", arn)
        assert head.get("BucketKeyEnabled") in (None, False)
        assert head["ContentLength"] == len(data)
        raw = head["ResponseMetadata"]["HTTPHeaders"]
        assert raw["x-amz-server-side-encryption"] == "aws:kms"
        assert raw["x-amz-server-side-encryption-aws-kms-key-id"] == arn
        assert "x-amz-server-side-encryption-bucket-key-enabled" not in raw

    # the aws CLI, by id and by ARN
    body = tmp_path / "cli-body"
    body.write_bytes(os.urandom(3000))
    for name, key_id in (("cli-by-id", moto_key["KeyId"]), ("cli-by-arn", arn)):
        put = remote.aws_json("s3api", "put-object", "--bucket", rbucket, "--key", name, "--body", str(body),
                              "--server-side-encryption", "aws:kms", "--ssekms-key-id", key_id)
        assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", arn), put
        out = tmp_path / f"{name}.out"
        got = remote.aws_json("s3api", "get-object", "--bucket", rbucket, "--key", name, str(out))
        assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", arn)
        assert out.read_bytes() == body.read_bytes()
        head = remote.aws_json("s3api", "head-object", "--bucket", rbucket, "--key", name)
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", arn)
    # none of these keys is in Coffer's own key service: they are moto's
    builtin = {k["KeyId"] for k in kms_client(remote).list_keys()["Keys"]}
    assert moto_key["KeyId"] not in builtin


def test_moto_alias_and_encryption_context(remote, rbucket, moto, moto_key):
    alias = f"alias/coffer-{uuid.uuid4().hex[:10]}"
    moto.kms().create_alias(AliasName=alias, TargetKeyId=moto_key["KeyId"])
    s3 = remote.client()
    context = {"department": "tests", "purpose": "remote-kms"}
    put = s3.put_object(Bucket=rbucket, Key="aliased", Body=b"via an alias", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=alias, SSEKMSEncryptionContext=context_header(context))
    assert kms_headers(put)[:2] == ("aws:kms", moto_key["Arn"])
    got = s3.get_object(Bucket=rbucket, Key="aliased")
    assert got["Body"].read() == b"via an alias"
    assert got["SSEKMSKeyId"] == moto_key["Arn"]


def test_bucket_key(remote, rbucket, moto_key, tmp_path):
    s3 = remote.client()
    arn = moto_key["Arn"]
    objects = {f"bk-{i}": os.urandom(10_000 + i) for i in range(3)}
    for name, data in objects.items():
        put = s3.put_object(Bucket=rbucket, Key=name, Body=data, ServerSideEncryption="aws:kms",
                            SSEKMSKeyId=moto_key["KeyId"], BucketKeyEnabled=True)
        assert kms_headers(put) == ("aws:kms", arn, True), put
    for name, data in objects.items():
        got = s3.get_object(Bucket=rbucket, Key=name)
        assert got["Body"].read() == data
        assert kms_headers(got) == ("aws:kms", arn, True)
        head = s3.head_object(Bucket=rbucket, Key=name)
        assert kms_headers(head) == ("aws:kms", arn, True)
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-server-side-encryption-bucket-key-enabled"] == "true"
    body = tmp_path / "bk-cli"
    body.write_bytes(b"bucket key via the CLI")
    put = remote.aws_json("s3api", "put-object", "--bucket", rbucket, "--key", "bk-cli", "--body", str(body),
                          "--server-side-encryption", "aws:kms", "--ssekms-key-id", arn, "--bucket-key-enabled")
    assert (put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == (arn, True)
    assert s3.get_object(Bucket=rbucket, Key="bk-cli")["Body"].read() == b"bucket key via the CLI"


def test_bucket_default_aws_kms_with_the_moto_key(remote, rbucket, moto_key, tmp_path):
    s3 = remote.client()
    arn = moto_key["Arn"]
    s3.put_bucket_encryption(Bucket=rbucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn},
        "BucketKeyEnabled": False}]})
    rule = s3.get_bucket_encryption(Bucket=rbucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}

    put = s3.put_object(Bucket=rbucket, Key="defaulted", Body=b"no headers")
    assert kms_headers(put)[:2] == ("aws:kms", arn)
    head = s3.head_object(Bucket=rbucket, Key="defaulted")
    assert kms_headers(head)[:2] == ("aws:kms", arn)
    assert s3.get_object(Bucket=rbucket, Key="defaulted")["Body"].read() == b"no headers"

    body = tmp_path / "defaulted-cli"
    body.write_bytes(b"the CLI, no encryption flags")
    put = remote.aws_json("s3api", "put-object", "--bucket", rbucket, "--key", "defaulted-cli", "--body", str(body))
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", arn)

    # an explicit AES256 still wins over the default
    put = s3.put_object(Bucket=rbucket, Key="explicit-s3", Body=b"sse-s3", ServerSideEncryption="AES256")
    assert kms_headers(put)[:2] == ("AES256", None)

    # the default with the key named by id, and a bucket key
    s3.put_bucket_encryption(Bucket=rbucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": moto_key["KeyId"]},
        "BucketKeyEnabled": True}]})
    put = s3.put_object(Bucket=rbucket, Key="defaulted-bk", Body=b"bucket key by default")
    assert kms_headers(put) == ("aws:kms", arn, True)
    got = s3.get_object(Bucket=rbucket, Key="defaulted-bk")
    assert got["Body"].read() == b"bucket key by default"
    assert kms_headers(got) == ("aws:kms", arn, True)


def test_multipart_with_the_cli_round_trips(remote, rbucket, moto_key, tmp_path):
    arn = moto_key["Arn"]
    src = tmp_path / "big"
    data = os.urandom(12 * MiB + 12345)
    src.write_bytes(data)
    remote.aws("s3", "cp", str(src), f"s3://{rbucket}/big", "--sse", "aws:kms", "--sse-kms-key-id", moto_key["KeyId"])
    head = remote.aws_json("s3api", "head-object", "--bucket", rbucket, "--key", "big")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", arn)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-2"'), head  # 8 MiB parts: it went up as a multipart upload
    out = tmp_path / "big.out"
    remote.aws("s3", "cp", f"s3://{rbucket}/big", str(out))
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert remote.client().list_multipart_uploads(Bucket=rbucket).get("Uploads", []) == []

    # boto3: every step of a multipart upload names moto's key
    s3 = remote.client()
    created = s3.create_multipart_upload(Bucket=rbucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)
    assert kms_headers(created)[:2] == ("aws:kms", arn)
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    etags = []
    for number, part in enumerate(parts, 1):
        up = s3.upload_part(Bucket=rbucket, Key="mp", UploadId=created["UploadId"], PartNumber=number, Body=part)
        assert kms_headers(up)[:2] == ("aws:kms", arn)
        etags.append(up["ETag"])
    done = s3.complete_multipart_upload(Bucket=rbucket, Key="mp", UploadId=created["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    assert kms_headers(done)[:2] == ("aws:kms", arn)
    assert s3.get_object(Bucket=rbucket, Key="mp")["Body"].read() == b"".join(parts)


def test_copy_from_sse_kms_to_sse_s3_and_back(remote, rbucket, moto_key, tmp_path):
    s3 = remote.client()
    arn = moto_key["Arn"]
    data = os.urandom(200_000)
    s3.put_object(Bucket=rbucket, Key="kms-src", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)

    to_s3 = s3.copy_object(Bucket=rbucket, Key="as-sse-s3", CopySource={"Bucket": rbucket, "Key": "kms-src"},
                           ServerSideEncryption="AES256")
    assert kms_headers(to_s3)[:2] == ("AES256", None), to_s3
    head = s3.head_object(Bucket=rbucket, Key="as-sse-s3")
    assert kms_headers(head)[:2] == ("AES256", None)
    assert s3.get_object(Bucket=rbucket, Key="as-sse-s3")["Body"].read() == data

    back = remote.aws_json("s3api", "copy-object", "--bucket", rbucket, "--key", "back-to-kms",
                           "--copy-source", f"{rbucket}/as-sse-s3",
                           "--server-side-encryption", "aws:kms", "--ssekms-key-id", moto_key["KeyId"])
    assert (back["ServerSideEncryption"], back["SSEKMSKeyId"]) == ("aws:kms", arn), back
    got = s3.get_object(Bucket=rbucket, Key="back-to-kms")
    assert got["Body"].read() == data
    assert kms_headers(got)[:2] == ("aws:kms", arn)

    # with the CLI's high-level copy too, and a bucket key
    remote.aws("s3", "cp", f"s3://{rbucket}/as-sse-s3", f"s3://{rbucket}/cli-kms", "--sse", "aws:kms",
               "--sse-kms-key-id", arn)
    head = s3.head_object(Bucket=rbucket, Key="cli-kms")
    assert kms_headers(head)[:2] == ("aws:kms", arn)
    bk = s3.copy_object(Bucket=rbucket, Key="kms-bk", CopySource={"Bucket": rbucket, "Key": "kms-src"},
                        ServerSideEncryption="aws:kms", SSEKMSKeyId=arn, BucketKeyEnabled=True)
    assert kms_headers(bk) == ("aws:kms", arn, True)
    assert s3.get_object(Bucket=rbucket, Key="kms-bk")["Body"].read() == data


def test_unknown_moto_key_is_kms_not_found_and_nothing_is_written(remote, rbucket, moto_key, tmp_path):
    s3 = remote.client()
    unknown = str(uuid.uuid4())
    unknown_arn = f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:key/{unknown}"
    for key_id in (unknown, unknown_arn):
        assert refused(lambda: s3.put_object(Bucket=rbucket, Key="never", Body=b"x", ServerSideEncryption="aws:kms",
                                             SSEKMSKeyId=key_id)) == (400, "KMS.NotFoundException")
        assert refused(lambda: s3.create_multipart_upload(Bucket=rbucket, Key="never-mp", ServerSideEncryption="aws:kms",
                                                          SSEKMSKeyId=key_id)) == (400, "KMS.NotFoundException")
    body = tmp_path / "x"
    body.write_bytes(b"x")
    r = remote.aws("s3api", "put-object", "--bucket", rbucket, "--key", "never-cli", "--body", str(body),
                   "--server-side-encryption", "aws:kms", "--ssekms-key-id", unknown, check=False)
    assert aws_cli_error_code(r) == "KMS.NotFoundException"
    # the raw answer is an S3 XML error
    raw = remote.endpoint().request("PUT", object_path(rbucket, "never-raw"), body=b"x", creds=remote.creds(), headers={
        "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": unknown})
    assert raw.status == 400 and raw.code() == "KMS.NotFoundException", raw
    assert keys_in(s3, rbucket) == []
    assert s3.list_multipart_uploads(Bucket=rbucket).get("Uploads", []) == []
    assert refused(lambda: s3.head_object(Bucket=rbucket, Key="never"))[0] == 404
    # a bucket default naming an unknown key fails the same way at write time
    s3.put_bucket_encryption(Bucket=rbucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": unknown_arn}}]})
    assert refused(lambda: s3.put_object(Bucket=rbucket, Key="never-default", Body=b"x")) == (400, "KMS.NotFoundException")
    assert keys_in(s3, rbucket) == []
    # and the known key still works
    put = s3.put_object(Bucket=rbucket, Key="fine", Body=b"ok", ServerSideEncryption="aws:kms", SSEKMSKeyId=moto_key["KeyId"])
    assert put["SSEKMSKeyId"] == moto_key["Arn"]


def test_builtin_kms_api_stays_on_coffers_endpoint(remote, rbucket, moto):
    """Coffer's own KMS API still answers on Coffer's endpoint, but SSE-KMS uses moto: a key
    of the built-in service is unknown to S3 requests."""
    kms = kms_client(remote)
    builtin_key = kms.create_key(Description="built-in")["KeyMetadata"]
    assert kms.describe_key(KeyId=builtin_key["KeyId"])["KeyMetadata"]["KeyId"] == builtin_key["KeyId"]
    blob = kms.encrypt(KeyId=builtin_key["KeyId"], Plaintext=b"hello")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    assert builtin_key["KeyId"] not in {k["KeyId"] for k in moto.kms().list_keys()["Keys"]}
    s3 = remote.client()
    assert refused(lambda: s3.put_object(Bucket=rbucket, Key="builtin", Body=b"x", ServerSideEncryption="aws:kms",
                                         SSEKMSKeyId=builtin_key["KeyId"])) == (400, "KMS.NotFoundException")
    assert keys_in(s3, rbucket) == []


# ----------------------------------------------------------------------------- key service outage


def test_moto_down_fails_sse_kms_with_503_and_writes_nothing_then_restart(server_factory, tmp_path):
    moto = MotoServer(str(tmp_path / "moto-outage.log")).start()
    try:
        key = moto.create_key("outage")
        remote = remote_coffer(server_factory, tmp_path, moto, timeout=2)
        s3 = remote.client()
        bucket = unique_bucket_name("outage")
        default_bucket = unique_bucket_name("outage-default")
        s3.create_bucket(Bucket=bucket)
        s3.create_bucket(Bucket=default_bucket)
        s3.put_bucket_encryption(Bucket=default_bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
        kms_data = os.urandom(50_000)
        put = s3.put_object(Bucket=bucket, Key="kms", Body=kms_data, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
        assert put["SSEKMSKeyId"] == key["Arn"]
        s3.put_object(Bucket=bucket, Key="sse-s3", Body=b"sse-s3 before", ServerSideEncryption="AES256")
        before = keys_in(s3, bucket)
        assert before == ["kms", "sse-s3"]

        moto.stop()

        # reads that need the key service: 503, with an S3 XML error
        started = time.monotonic()
        assert refused(lambda: s3.get_object(Bucket=bucket, Key="kms")) == (503, "ServiceUnavailable")
        # a liveness bound: 4 attempts of --kms-timeout 2 s with backoff end in about 10 s; a
        # server that waited for the key service without bound would not answer at all
        assert time.monotonic() - started < 30
        raw = remote.endpoint().request("GET", object_path(bucket, "kms"), creds=remote.creds())
        assert raw.status == 503 and raw.code() == "ServiceUnavailable", raw
        out = tmp_path / "kms.out"
        r = remote.aws("s3api", "get-object", "--bucket", bucket, "--key", "kms", str(out), check=False)
        assert aws_cli_error_code(r) == "ServiceUnavailable"

        # writes that need it: 503, and nothing appears
        assert refused(lambda: s3.put_object(Bucket=bucket, Key="new-kms", Body=b"x", ServerSideEncryption="aws:kms",
                                             SSEKMSKeyId=key["KeyId"])) == (503, "ServiceUnavailable")
        assert refused(lambda: s3.head_object(Bucket=bucket, Key="new-kms"))[0] == 404
        body = tmp_path / "cli-body"
        body.write_bytes(b"cli during the outage")
        r = remote.aws("s3api", "put-object", "--bucket", bucket, "--key", "new-kms-cli", "--body", str(body),
                       "--server-side-encryption", "aws:kms", "--ssekms-key-id", key["Arn"], check=False)
        assert aws_cli_error_code(r) == "ServiceUnavailable"
        assert refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="new-mp", ServerSideEncryption="aws:kms",
                                                          SSEKMSKeyId=key["KeyId"])) == (503, "ServiceUnavailable")
        assert refused(lambda: s3.copy_object(Bucket=bucket, Key="copied-kms", CopySource={"Bucket": bucket, "Key": "sse-s3"},
                                              ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])) == (503, "ServiceUnavailable")
        assert refused(lambda: s3.copy_object(Bucket=bucket, Key="copied-from-kms", CopySource={"Bucket": bucket, "Key": "kms"},
                                              ServerSideEncryption="AES256")) == (503, "ServiceUnavailable")
        assert refused(lambda: s3.put_object(Bucket=default_bucket, Key="defaulted", Body=b"x")) == (503, "ServiceUnavailable")
        for name in ("new-kms-cli", "copied-kms", "copied-from-kms"):
            assert refused(lambda: s3.head_object(Bucket=bucket, Key=name))[0] == 404, name
        assert keys_in(s3, bucket) == before
        assert keys_in(s3, default_bucket) == []
        assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

        # SSE-S3 does not need the key service
        s3.put_object(Bucket=bucket, Key="sse-s3-during", Body=b"written during the outage", ServerSideEncryption="AES256")
        assert s3.get_object(Bucket=bucket, Key="sse-s3-during")["Body"].read() == b"written during the outage"
        assert s3.get_object(Bucket=bucket, Key="sse-s3")["Body"].read() == b"sse-s3 before"
        remote.aws("s3", "cp", str(body), f"s3://{bucket}/sse-s3-cli")
        assert s3.get_object(Bucket=bucket, Key="sse-s3-cli")["Body"].read() == body.read_bytes()
        assert remote.server.alive()

        # moto back on the same port, but in-memory: the old key is gone
        moto.start()
        failed = remote.endpoint().request("GET", object_path(bucket, "kms"), creds=remote.creds())
        error = failed.error()  # an S3 XML <Error>
        assert failed.status in (400, 403), (failed.status, failed.body)
        assert error["Code"] == "AccessDenied" or error["Code"].startswith("KMS."), error
        code = refused(lambda: s3.get_object(Bucket=bucket, Key="kms"))
        assert code == (failed.status, error["Code"])
        assert refused(lambda: s3.put_object(Bucket=bucket, Key="old-key", Body=b"x", ServerSideEncryption="aws:kms",
                                             SSEKMSKeyId=key["KeyId"])) == (400, "KMS.NotFoundException")
        assert refused(lambda: s3.head_object(Bucket=bucket, Key="old-key"))[0] == 404

        # ...and a key made in the restarted moto works at once: the server kept serving
        fresh = moto.create_key("after restart")
        put = s3.put_object(Bucket=bucket, Key="after", Body=b"after the restart", ServerSideEncryption="aws:kms",
                            SSEKMSKeyId=fresh["KeyId"])
        assert put["SSEKMSKeyId"] == fresh["Arn"]
        assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"after the restart"
        assert s3.get_object(Bucket=bucket, Key="sse-s3")["Body"].read() == b"sse-s3 before"
        assert remote.server.alive()
        assert remote.server.stop() == 0, remote.server.log_tail()
    finally:
        moto.stop()


def test_head_of_an_sse_kms_object_needs_no_key_service(server_factory, tmp_path):
    """HEAD answers from the object's metadata, as S3 does (HeadObject needs s3:GetObject, not
    kms:Decrypt): no data key is opened, so a key-service outage does not affect it."""
    moto = MotoServer(str(tmp_path / "moto-head.log")).start()
    try:
        key = moto.create_key("head")
        remote = remote_coffer(server_factory, tmp_path, moto, timeout=2)
        s3 = remote.client()
        bucket = unique_bucket_name("head-outage")
        s3.create_bucket(Bucket=bucket)
        data = os.urandom(5000)
        s3.put_object(Bucket=bucket, Key="kms", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
        moto.stop()
        head = s3.head_object(Bucket=bucket, Key="kms")
        assert kms_headers(head)[:2] == ("aws:kms", key["Arn"])
        assert head["ContentLength"] == len(data)
        head = remote.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "kms")
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    finally:
        moto.stop()


# ----------------------------------------------------------------------------- bucket policies on moto's keys


def moto_aws(coffer: Coffer, moto: MotoServer, *args: str) -> dict:
    """The real aws CLI against moto_server (which accepts any credentials)."""
    r = subprocess.run(["aws", *args, "--endpoint-url", moto.url, "--output", "json"], env=coffer.aws_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"aws {' '.join(args)} against moto exited {r.returncode}\n{r.stderr}"
    return json.loads(r.stdout) if r.stdout.strip() else {}


@pytest.fixture
def required_key_bucket(remote, rbucket, moto) -> dict:
    """`rbucket` with a bucket policy that denies PutObject unless the request names the moto
    key `required` (its ARN, or an alias resolved to it); `alias` is an alias of it made in moto
    with the aws CLI, `other` another moto key and `other_alias` an alias of that one."""
    required = moto_aws(remote, moto, "kms", "create-key", "--description", "required by the bucket policy")["KeyMetadata"]
    other = moto_aws(remote, moto, "kms", "create-key", "--description", "not the required key")["KeyMetadata"]
    alias = f"alias/coffer-required-{uuid.uuid4().hex[:10]}"
    other_alias = f"alias/coffer-other-{uuid.uuid4().hex[:10]}"
    moto_aws(remote, moto, "kms", "create-alias", "--alias-name", alias, "--target-key-id", required["KeyId"])
    moto_aws(remote, moto, "kms", "create-alias", "--alias-name", other_alias, "--target-key-id", other["KeyId"])
    assert moto_aws(remote, moto, "kms", "describe-key", "--key-id", alias)["KeyMetadata"]["Arn"] == required["Arn"]
    remote.client().put_bucket_policy(Bucket=rbucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyTheRequiredKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{rbucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": required["Arn"]}}}]}))
    return {"bucket": rbucket, "required": required, "alias": alias, "other": other, "other_alias": other_alias}


@pytest.mark.parametrize("form", ["key-arn", "alias"])
def test_policy_requiring_a_moto_key_allows_it_named_by(remote, moto, required_key_bucket, tmp_path, form):
    """The condition compares the key's ARN; an alias in the header is resolved to its key's ARN
    by the key service actually configured (moto, with `--kms-endpoint`), not the built-in one
    (docs/bucket-policies.md, the condition-key table)."""
    setup = required_key_bucket
    bucket, arn = setup["bucket"], setup["required"]["Arn"]
    key_id = arn if form == "key-arn" else setup["alias"]
    s3 = remote.client()
    data = os.urandom(70_000)
    try:
        put = s3.put_object(Bucket=bucket, Key=f"boto3-{form}", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    except ClientError as e:
        pytest.fail(f"PutObject naming the required key by {form} ({key_id}) was refused: "
                    f"{e.response['ResponseMetadata']['HTTPStatusCode']} {e.response['Error']['Code']}", pytrace=False)
    assert kms_headers(put)[:2] == ("aws:kms", arn), put
    got = s3.get_object(Bucket=bucket, Key=f"boto3-{form}")
    assert got["Body"].read() == data
    assert kms_headers(got)[:2] == ("aws:kms", arn)
    body = tmp_path / "cli-body"
    body.write_bytes(b"named through the aws CLI")
    put = remote.aws_json("s3api", "put-object", "--bucket", bucket, "--key", f"cli-{form}", "--body", str(body),
                          "--server-side-encryption", "aws:kms", "--ssekms-key-id", key_id)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", arn), put
    head = remote.aws_json("s3api", "head-object", "--bucket", bucket, "--key", f"cli-{form}")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", arn)
    assert keys_in(s3, bucket) == sorted([f"boto3-{form}", f"cli-{form}"])


def test_policy_requiring_a_moto_key_refuses_another_moto_key(remote, moto, required_key_bucket, tmp_path):
    setup = required_key_bucket
    bucket, other = setup["bucket"], setup["other"]
    s3 = remote.client()
    for key_id in (other["Arn"], other["KeyId"], setup["other_alias"]):
        assert refused(lambda: s3.put_object(Bucket=bucket, Key="refused", Body=b"x", ServerSideEncryption="aws:kms",
                                             SSEKMSKeyId=key_id)) == (403, "AccessDenied"), key_id
    body = tmp_path / "refused-body"
    body.write_bytes(b"x")
    r = remote.aws("s3api", "put-object", "--bucket", bucket, "--key", "refused-cli", "--body", str(body),
                   "--server-side-encryption", "aws:kms", "--ssekms-key-id", other["Arn"], check=False)
    assert aws_cli_error_code(r) == "AccessDenied"
    # no SSE-KMS key named at all, or SSE-S3: refused too
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="refused", Body=b"x", ServerSideEncryption="aws:kms")) == (403, "AccessDenied")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="refused", Body=b"x")) == (403, "AccessDenied")
    assert keys_in(s3, bucket) == []
    # and the required key, by ARN, is let through
    put = s3.put_object(Bucket=bucket, Key="allowed", Body=b"ok", ServerSideEncryption="aws:kms", SSEKMSKeyId=setup["required"]["Arn"])
    assert put["SSEKMSKeyId"] == setup["required"]["Arn"]
    assert keys_in(s3, bucket) == ["allowed"]
