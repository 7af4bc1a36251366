"""The audit trail (docs/audit-trail.md) driven live with the real `aws` CLI, boto3 and the
`coffer` binary: one CloudTrail-shaped record per key-service call and per S3 object
operation, no key material on disk, `coffer audit read` (every filter, both formats,
--follow), `coffer audit verify` against every kind of tampering, CloudTrail LookupEvents
on the endpoint, and a server that keeps serving while the trail is read.

Tests that count records or tamper with files run their own server and data dir
(`server_factory`), so that no other test's records can change what they see."""

from __future__ import annotations

import base64
import datetime as dt
import glob
import hashlib
import json
import math
import os
import queue
import re
import shutil
import stat
import subprocess
import threading
import time
import uuid
from collections import Counter

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ALICE, ROOT, Coffer, audit_log_segments, aws_cli_error_code, kms_client, rados_node, store_args
from coffer_live import REGION, CofferProcess

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LOG_NAME_RE = re.compile(r"^coffer-audit-\d{8}T\d{6}Z-(\d{6,})\.jsonl$")
ZERO_HASH = "0" * 64


# ----------------------------------------------------------------------------- helpers


def start_server(server_factory, tmp_path, users=(("alice", ALICE),)) -> Coffer:
    """A fresh server with its own data dir, wrapped for the `.aws(...)`/`.client(...)` helpers."""
    p = server_factory(users=list(users)).start()
    return Coffer(p, p.binary, str(tmp_path), p.users_file)


def audit_dir(data_dir: str) -> str:
    return os.path.join(data_dir, "audit")


def file_number(path: str) -> int:
    m = LOG_NAME_RE.match(os.path.basename(path))
    assert m, path
    return int(m.group(1))


def log_files(data_dir: str) -> list[str]:
    files = [p for p in glob.glob(os.path.join(audit_dir(data_dir), "coffer-audit-*.jsonl"))]
    return sorted(files, key=file_number)


def digest_of(log_file: str) -> str:
    return log_file[: -len(".jsonl")] + ".digest.json"


def trail_lines(data_dir: str) -> list[tuple[str, int, bytes]]:
    """(file name, 1-based line, raw line without its line feed) of every complete line (with
    COFFER_LIVE_STORAGE=rados, of the segments of the data dir's node in its pool)."""
    if rados_node(data_dir) is not None:
        logs = audit_log_segments(data_dir)
    else:
        logs = []
        for path in log_files(data_dir):
            with open(path, "rb") as f:
                logs.append((os.path.basename(path), f.read()))
    out = []
    for name, data in logs:
        lines = data.split(b"\n")
        for i, raw in enumerate(lines[:-1], start=1):  # the piece after the last \n is incomplete
            out.append((name, i, raw))
    return out


def trail(data_dir: str) -> list[dict]:
    return [json.loads(raw) for _, _, raw in trail_lines(data_dir)]


def kms_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r["eventSource"] == "kms.amazonaws.com"]


def s3_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r["eventSource"] == "s3.amazonaws.com"]


def by_request(records: list[dict], request_id: str) -> list[dict]:
    return [r for r in records if r.get("requestID") == request_id]


def one(records: list[dict], **match) -> dict:
    found = [r for r in records if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one record with {match}, found {len(found)}:\n" + "\n".join(json.dumps(r) for r in found)
    return found[0]


def assert_chain(data_dir: str) -> None:
    """The hash chain, checked independently of Coffer: sequence 1, 2, 3, ... across files,
    each previousHash the SHA-256 of the previous line; and the canonical encoding (sorted
    keys, no white space: re-serialising gives the same bytes)."""
    previous = None
    expected_sequence = 1
    for name, line, raw in trail_lines(data_dir):
        rec = json.loads(raw)
        chain = rec["cofferChain"]
        assert chain["sequence"] == expected_sequence, f"{name} line {line}"
        assert chain["previousHash"] == (hashlib.sha256(previous).hexdigest() if previous is not None else ZERO_HASH), f"{name} line {line}"
        assert json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == raw, f"{name} line {line} is not canonical"
        previous = raw
        expected_sequence += 1


def assert_common_members(rec: dict, account: str) -> None:
    assert rec["eventVersion"] == "1.08"
    assert rec["eventType"] == "AwsApiCall"
    assert rec["awsRegion"] == REGION
    assert TIME_RE.match(rec["eventTime"]), rec["eventTime"]
    assert UUID_RE.match(rec["eventID"]), rec["eventID"]
    assert rec["requestID"]
    assert rec["recipientAccountId"] == account, rec
    assert "responseElements" in rec and "requestParameters" in rec
    if rec["eventSource"] == "kms.amazonaws.com":
        assert rec["managementEvent"] is True and rec["eventCategory"] == "Management", rec
    else:
        assert rec["eventSource"] == "s3.amazonaws.com"
        assert rec["managementEvent"] is False and rec["eventCategory"] == "Data", rec


def run_audit(binary: str, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    r = subprocess.run([binary, "audit", *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check:
        assert r.returncode == 0, f"coffer audit {' '.join(args)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def audit_read(binary: str, data_dir: str, *filters: str) -> list[dict]:
    """`coffer audit read --format jsonl` with filters: the records, each line parsed (with
    COFFER_LIVE_STORAGE=rados, of every node's trail in the data dir's pool)."""
    r = run_audit(binary, "read", *store_args(data_dir), "--format", "jsonl", *filters)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def ids(records: list[dict]) -> list[str]:
    return [r["eventID"] for r in records]


def wait_for_new_second(coffer: Coffer, timeout: float = 30) -> int:
    """Waits until the server's own clock (its Date header, polled with a deadline) reaches a
    whole second two seconds past its time now, and returns that second (epoch seconds): every
    record of a request answered before the call has an eventTime earlier than it, every record
    of a request sent after the call, not. eventTime and Date come from the server's clock, so
    the split does not depend on the test's clock or on how long a sleep takes; the spare
    second absorbs a Date header that lags the clock (it is cached per second) or rounding."""
    endpoint = coffer.endpoint()
    boundary = int(endpoint.server_time().timestamp()) + 2
    deadline = time.monotonic() + timeout
    while endpoint.server_time().timestamp() < boundary:
        assert time.monotonic() < deadline, f"the server's clock did not reach {iso(boundary)} within {timeout}s"
        time.sleep(0.05)
    return boundary


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cloudtrail_client(coffer: Coffer, creds=ROOT, validate: bool = True):
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate)
    return boto3.session.Session().client(
        "cloudtrail", endpoint_url=coffer.http_url, region_name=REGION, aws_access_key_id=creds[0],
        aws_secret_access_key=creds[1], config=cfg)


def fresh_client(coffer: Coffer, user: str = "root", creds=None, transport: str = "http"):
    return coffer.client(transport=transport, user=user, creds=creds, cached=False)


def account_of(coffer: Coffer) -> str:
    return kms_client(coffer).describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["AWSAccountId"]


class Follower:
    """`coffer audit read --follow` as a subprocess whose stdout is read with a timeout."""

    def __init__(self, binary: str, data_dir: str, *args: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
        self.proc = subprocess.Popen([binary, "audit", "read", *store_args(data_dir), "--follow", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, predicate, timeout: float = 15) -> list[str]:
        """Lines until one satisfies `predicate` (included); fails after `timeout` seconds."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"--follow printed no matching line within {timeout}s; got {got}"
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line is not None, f"--follow exited ({self.proc.poll()}): {self.proc.stderr.read()}; got {got}"
            got.append(line)
            if predicate(line):
                return got

    def drain(self, quiet: float = 1.5) -> list[str]:
        """Whatever it prints until it has been quiet for `quiet` seconds."""
        got = []
        while True:
            try:
                line = self.lines.get(timeout=quiet)
            except queue.Empty:
                return got
            if line is None:
                return got
            got.append(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def write_file(tmp_path, data: bytes) -> str:
    p = tmp_path / f"in-{uuid.uuid4().hex}"
    p.write_bytes(data)
    return str(p)


# ----------------------------------------------------------------------------- 1. one record per key-service call


def test_exactly_one_record_per_key_service_call(server_factory, tmp_path):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    kms = kms_client(coffer)
    bucket = "audit-count"
    s3.create_bucket(Bucket=bucket)
    key = coffer.aws_json("kms", "create-key", "--description", "audit count")["KeyMetadata"]
    key_id, key_arn, account = key["KeyId"], key["Arn"], key["AWSAccountId"]

    n_puts, n_gets, n_heads = 4, 3, 2
    put_ids, get_ids, head_ids = {}, {}, {}
    for i in range(n_puts):
        r = s3.put_object(Bucket=bucket, Key=f"obj-{i}", Body=f"payload {i}".encode() * 100,
                          ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
        assert r["ServerSideEncryption"] == "aws:kms"
        assert r["ResponseMetadata"]["RequestId"] == r["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
        put_ids[f"obj-{i}"] = r["ResponseMetadata"]["RequestId"]
    for i in range(n_gets):
        r = s3.get_object(Bucket=bucket, Key=f"obj-{i}")
        assert r["Body"].read() == f"payload {i}".encode() * 100
        get_ids[f"obj-{i}"] = r["ResponseMetadata"]["RequestId"]
    for i in range(n_heads):  # HEAD answers from the record alone: no key-service call
        r = s3.head_object(Bucket=bucket, Key=f"obj-{i}")
        head_ids[f"obj-{i}"] = r["ResponseMetadata"]["RequestId"]

    # `aws kms` on Coffer's endpoint: encrypt, decrypt with a wrong context (refused), a data key
    blob = coffer.aws_json("kms", "encrypt", "--key-id", key_id, "--plaintext", "fileb://" + write_file(tmp_path, b"secret"),
                           "--encryption-context", "purpose=audit")["CiphertextBlob"]
    wrong = coffer.aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + write_file(tmp_path, base64.b64decode(blob)),
                       "--encryption-context", "purpose=other", check=False)
    assert aws_cli_error_code(wrong) == "InvalidCiphertextException"
    coffer.aws_json("kms", "generate-data-key", "--key-id", key_id, "--key-spec", "AES_256")
    # a refused call on a disabled key, through the KMS API and through S3
    coffer.aws("kms", "disable-key", "--key-id", key_id)
    disabled = coffer.aws("kms", "encrypt", "--key-id", key_id, "--plaintext", "fileb://" + write_file(tmp_path, b"x"), check=False)
    assert aws_cli_error_code(disabled) == "DisabledException"
    with pytest.raises(ClientError) as refused_put:
        s3.put_object(Bucket=bucket, Key="refused", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    refused_put_id = refused_put.value.response["ResponseMetadata"]["RequestId"]

    records = trail(coffer.data_dir)
    assert_chain(coffer.data_dir)
    kms_counts = Counter(r["eventName"] for r in kms_records(records))
    assert kms_counts == Counter({
        "CreateKey": 1,
        "GenerateDataKey": n_puts + 1 + 1,  # S3 PUTs, the CLI's generate-data-key, the refused PUT
        "Decrypt": n_gets + 1,              # S3 GETs, the refused CLI decrypt
        "Encrypt": 1 + 1,                   # allowed, refused (disabled)
        "DisableKey": 1,
    }), kms_counts
    s3_counts = Counter(r["eventName"] for r in s3_records(records))
    assert s3_counts == Counter({"PutObject": n_puts + 1, "GetObject": n_gets, "HeadObject": n_heads}), s3_counts
    assert len(set(ids(records))) == len(records), "eventIDs are unique"

    for r in records:
        assert_common_members(r, account)

    for name, request_id in put_ids.items():
        pair = by_request(records, request_id)
        assert [r["eventName"] for r in pair] == ["GenerateDataKey", "PutObject"], pair  # the key use is on record first
        gdk, put = pair
        assert gdk["eventSource"] == "kms.amazonaws.com" and gdk["readOnly"] is True
        assert gdk["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/{name}"}
        assert gdk["requestParameters"]["keyId"] == key_id
        assert gdk["resources"] == [{"ARN": key_arn, "accountId": account, "type": "AWS::KMS::Key"}]
        assert gdk["sourceIPAddress"] == "s3.amazonaws.com" and gdk["userAgent"] == "s3.amazonaws.com"
        ident = gdk["userIdentity"]
        assert ident["type"] == "Root" and ident["invokedBy"] == "s3.amazonaws.com"
        assert ident["accessKeyId"] == ROOT[0] and ident["accountId"] == account
        assert ident["arn"] == f"arn:aws:iam::{account}:root"
        assert "errorCode" not in gdk
        assert put["readOnly"] is False
        assert put["requestParameters"]["bucketName"] == bucket and put["requestParameters"]["key"] == name
        assert put["requestParameters"]["x-amz-server-side-encryption"] == "aws:kms"
        assert {"ARN": f"arn:aws:s3:::{bucket}/{name}", "type": "AWS::S3::Object"} in put["resources"]
        assert any(res["ARN"] == f"arn:aws:s3:::{bucket}" and res["type"] == "AWS::S3::Bucket" for res in put["resources"])
        assert put["sourceIPAddress"] == "127.0.0.1" and "invokedBy" not in put["userIdentity"]
        assert put["userIdentity"]["accessKeyId"] == ROOT[0]
    for name, request_id in get_ids.items():
        pair = by_request(records, request_id)
        assert [r["eventName"] for r in pair] == ["Decrypt", "GetObject"], pair
        dec, get = pair
        assert dec["readOnly"] is True and get["readOnly"] is True
        assert dec["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/{name}"}
        assert dec["resources"] == [{"ARN": key_arn, "accountId": account, "type": "AWS::KMS::Key"}]
        assert dec["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    for name, request_id in head_ids.items():
        assert [r["eventName"] for r in by_request(records, request_id)] == ["HeadObject"]
        assert by_request(records, request_id)[0]["readOnly"] is True

    create = one(records, eventName="CreateKey")
    assert create["readOnly"] is False
    assert create["resources"] == [{"ARN": key_arn, "accountId": account, "type": "AWS::KMS::Key"}]
    assert create["responseElements"]["keyId"] == key_id
    assert create["sourceIPAddress"] == "127.0.0.1" and "aws-cli" in create["userAgent"]
    assert "invokedBy" not in create["userIdentity"] and create["userIdentity"]["type"] == "Root"
    assert one(records, eventName="DisableKey")["readOnly"] is False

    failed_decrypt = one(records, eventName="Decrypt", errorCode="InvalidCiphertextException")
    assert failed_decrypt["requestParameters"]["encryptionContext"] == {"purpose": "other"}
    assert failed_decrypt["sourceIPAddress"] == "127.0.0.1"
    failed_encrypt = one(records, eventName="Encrypt", errorCode="DisabledException")
    assert failed_encrypt["requestParameters"]["keyId"] == key_id
    ok_encrypt = [r for r in records if r["eventName"] == "Encrypt" and "errorCode" not in r]
    assert len(ok_encrypt) == 1 and ok_encrypt[0]["requestParameters"]["encryptionContext"] == {"purpose": "audit"}
    # the S3 PUT refused by the key service: its GenerateDataKey and its PutObject, both failed
    refused = by_request(records, refused_put_id)
    assert [r["eventName"] for r in refused] == ["GenerateDataKey", "PutObject"], refused
    assert refused[0]["errorCode"] == "DisabledException"
    assert refused[1].get("errorCode"), refused[1]


def test_generate_data_key_made_by_s3_has_the_documented_shape(server_factory, tmp_path):
    """docs/audit-trail.md's full example (a GenerateDataKey S3 made while storing an object
    with SSE-KMS) and CloudTrail's own records of it: the same members, keySpec AES_256."""
    coffer = start_server(server_factory, tmp_path)
    s3 = fresh_client(coffer, user="alice")
    s3.create_bucket(Bucket="audit-shape")
    alias = "alias/audit-shape"
    kms = kms_client(coffer, creds=ALICE)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    rid = s3.put_object(Bucket="audit-shape", Key="photos/cat.jpg", Body=b"meow", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=alias)["ResponseMetadata"]["RequestId"]
    gdk = one(trail(coffer.data_dir), requestID=rid, eventName="GenerateDataKey")
    account = key["AWSAccountId"]
    assert set(gdk) == {"awsRegion", "cofferChain", "eventCategory", "eventID", "eventName", "eventSource", "eventTime", "eventType",
                        "eventVersion", "managementEvent", "readOnly", "recipientAccountId", "requestID", "requestParameters",
                        "resources", "responseElements", "sourceIPAddress", "userAgent", "userIdentity"}, sorted(gdk)
    assert gdk["userIdentity"] == {"accessKeyId": ALICE[0], "accountId": account, "arn": f"arn:aws:iam::{account}:user/alice",
                                   "invokedBy": "s3.amazonaws.com", "principalId": gdk["userIdentity"]["principalId"],
                                   "type": "IAMUser", "userName": "alice"}
    assert gdk["resources"] == [{"ARN": key["Arn"], "accountId": account, "type": "AWS::KMS::Key"}]
    assert gdk["responseElements"] is None
    assert gdk["requestParameters"] == {"encryptionContext": {"aws:s3:arn": "arn:aws:s3:::audit-shape/photos/cat.jpg"},
                                        "keyId": alias, "keySpec": "AES_256"}, gdk["requestParameters"]


def test_every_key_service_call_made_by_s3_belongs_to_an_s3_event(server_factory, tmp_path):
    """Copies and multipart uploads under SSE-KMS: each key-service record S3 caused carries
    the request id of an S3 data event that follows it in the trail."""
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    s3.create_bucket(Bucket="audit-mp")
    key_id = kms_client(coffer).create_key()["KeyMetadata"]["KeyId"]
    before = len(trail(coffer.data_dir))
    s3.put_object(Bucket="audit-mp", Key="src", Body=b"s" * 100, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    copy_id = s3.copy_object(Bucket="audit-mp", Key="dst", CopySource="audit-mp/src", ServerSideEncryption="aws:kms",
                             SSEKMSKeyId=key_id)["ResponseMetadata"]["RequestId"]
    up = s3.create_multipart_upload(Bucket="audit-mp", Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    parts = []
    for n in (1, 2):
        body = bytes([n]) * (5 * 1024 * 1024)
        parts.append({"PartNumber": n, "ETag": s3.upload_part(Bucket="audit-mp", Key="mp", UploadId=up["UploadId"], PartNumber=n,
                                                              Body=body)["ETag"]})
    pc = s3.upload_part_copy(Bucket="audit-mp", Key="mp", UploadId=up["UploadId"], PartNumber=3, CopySource="audit-mp/src")
    parts.append({"PartNumber": 3, "ETag": pc["CopyPartResult"]["ETag"]})
    s3.complete_multipart_upload(Bucket="audit-mp", Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    assert len(s3.get_object(Bucket="audit-mp", Key="mp")["Body"].read()) == 2 * 5 * 1024 * 1024 + 100

    new = trail(coffer.data_dir)[before:]
    copy = [r["eventName"] for r in by_request(new, copy_id)]
    assert sorted(copy[:-1]) == ["Decrypt", "GenerateDataKey"] and copy[-1] == "CopyObject", copy
    assert [r["eventName"] for r in by_request(new, up["ResponseMetadata"]["RequestId"])] == ["GenerateDataKey", "CreateMultipartUpload"]
    for i, r in enumerate(new):
        if r["eventSource"] != "kms.amazonaws.com":
            continue
        assert r["userIdentity"].get("invokedBy") == "s3.amazonaws.com"
        later = [x for x in new[i + 1:] if x["requestID"] == r["requestID"] and x["eventSource"] == "s3.amazonaws.com"]
        assert len(later) == 1, f"no S3 event for {r['eventName']} {r['requestID']}"
        assert "errorCode" not in r
    s3_names = Counter(r["eventName"] for r in s3_records(new))
    assert s3_names == Counter({"PutObject": 1, "CopyObject": 1, "CreateMultipartUpload": 1, "UploadPart": 2, "UploadPartCopy": 1,
                                "CompleteMultipartUpload": 1, "GetObject": 1}), s3_names


def test_bucket_key_shares_one_generate_data_key(server_factory, tmp_path):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    s3.create_bucket(Bucket="audit-bucket-key")
    key_id = kms_client(coffer).create_key()["KeyMetadata"]["KeyId"]
    before = len(trail(coffer.data_dir))
    n = 6
    for i in range(n):
        r = s3.put_object(Bucket="audit-bucket-key", Key=f"k{i}", Body=b"x" * 10, ServerSideEncryption="aws:kms",
                          SSEKMSKeyId=key_id, BucketKeyEnabled=True)
        assert r.get("BucketKeyEnabled") is True
    for i in range(n):
        assert s3.get_object(Bucket="audit-bucket-key", Key=f"k{i}")["Body"].read() == b"x" * 10
    new = trail(coffer.data_dir)[before:]
    counts = Counter(r["eventName"] for r in new)
    assert counts["PutObject"] == n and counts["GetObject"] == n
    assert counts["GenerateDataKey"] == 1, counts
    assert counts["Decrypt"] <= 1, counts
    # the one GenerateDataKey was made for the first PUT, with the bucket's ARN as context
    gdk = one(new, eventName="GenerateDataKey")
    first_put = [r for r in new if r["eventName"] == "PutObject"][0]
    assert gdk["requestID"] == first_put["requestID"]
    assert gdk["requestParameters"]["encryptionContext"] == {"aws:s3:arn": "arn:aws:s3:::audit-bucket-key"}


def test_s3_data_events_for_object_operations(server_factory, tmp_path):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    account = account_of(coffer)
    bucket = "audit-data-events"
    s3.create_bucket(Bucket=bucket)
    before = len(trail(coffer.data_dir))
    src = write_file(tmp_path, b"hello audit")
    # the aws CLI for what it does; boto3 where the request id is wanted
    coffer.aws("s3api", "put-object", "--bucket", bucket, "--key", "cli.txt", "--body", src)
    rid = {}
    rid["put"] = s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")["ResponseMetadata"]["RequestId"]
    rid["get"] = s3.get_object(Bucket=bucket, Key="a.txt", Range="bytes=0-0")["ResponseMetadata"]["RequestId"]
    coffer.aws("s3api", "head-object", "--bucket", bucket, "--key", "cli.txt")
    rid["copy"] = s3.copy_object(Bucket=bucket, Key="b.txt", CopySource=f"{bucket}/a.txt")["ResponseMetadata"]["RequestId"]
    coffer.aws("s3api", "copy-object", "--bucket", bucket, "--key", "c.txt", "--copy-source", f"{bucket}/cli.txt")
    coffer.aws("s3api", "get-object", "--bucket", bucket, "--key", "c.txt", str(tmp_path / "out"))
    rid["delete"] = s3.delete_object(Bucket=bucket, Key="b.txt")["ResponseMetadata"]["RequestId"]
    coffer.aws("s3api", "delete-objects", "--bucket", bucket, "--delete", '{"Objects":[{"Key":"c.txt"},{"Key":"cli.txt"}]}')
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp.bin")
    part = s3.upload_part(Bucket=bucket, Key="mp.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 1024)
    s3.list_parts(Bucket=bucket, Key="mp.bin", UploadId=up["UploadId"])
    s3.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="aborted.bin")
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted.bin", UploadId=up2["UploadId"])
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="never-there")
    # bucket operations that succeed are not data events
    s3.list_objects_v2(Bucket=bucket)
    s3.get_bucket_location(Bucket=bucket)

    new = trail(coffer.data_dir)[before:]
    assert all(r["eventSource"] == "s3.amazonaws.com" for r in new), "SSE-S3 objects make no key-service records"
    names = [(r["eventName"], r["requestParameters"].get("key")) for r in new]
    assert names == [
        ("PutObject", "cli.txt"), ("PutObject", "a.txt"), ("GetObject", "a.txt"), ("HeadObject", "cli.txt"),
        ("CopyObject", "b.txt"), ("CopyObject", "c.txt"), ("GetObject", "c.txt"), ("DeleteObject", "b.txt"),
        ("DeleteObjects", "c.txt"), ("DeleteObjects", "cli.txt"), ("CreateMultipartUpload", "mp.bin"), ("UploadPart", "mp.bin"), ("ListParts", "mp.bin"),
        ("CompleteMultipartUpload", "mp.bin"), ("CreateMultipartUpload", "aborted.bin"), ("AbortMultipartUpload", "aborted.bin"),
        ("GetObject", "never-there"),
    ], names
    # DeleteObjects: one record per key, each committed with its deletion, of one request
    batch = [r for r in new if r["eventName"] == "DeleteObjects"]
    assert batch[0]["requestID"] == batch[1]["requestID"]
    assert [r["resources"][0]["ARN"] for r in batch] == [f"arn:aws:s3:::{bucket}/c.txt", f"arn:aws:s3:::{bucket}/cli.txt"]
    for r in new:
        assert_common_members(r, account)
        assert r["requestParameters"]["bucketName"] == bucket
        assert r["userIdentity"]["type"] == "Root" and r["userIdentity"]["accessKeyId"] == ROOT[0]
        assert r["userIdentity"]["arn"] == f"arn:aws:iam::{account}:root"
        assert r["sourceIPAddress"] == "127.0.0.1"
        assert r["readOnly"] is r["eventName"].startswith(("Get", "Head", "List")), r
        assert {"ARN": f"arn:aws:s3:::{bucket}", "accountId": account, "type": "AWS::S3::Bucket"} in r["resources"], r
        if r["requestParameters"].get("key"):
            assert {"ARN": f"arn:aws:s3:::{bucket}/{r['requestParameters']['key']}", "type": "AWS::S3::Object"} in r["resources"], r
    assert [r["eventName"] for r in by_request(new, rid["put"])] == ["PutObject"]
    assert by_request(new, rid["get"])[0]["requestParameters"]["range"] == "bytes=0-0"
    copy = by_request(new, rid["copy"])[0]
    assert copy["eventName"] == "CopyObject" and copy["requestParameters"]["x-amz-copy-source"] == f"{bucket}/a.txt"
    assert by_request(new, rid["delete"])[0]["eventName"] == "DeleteObject"
    upload_part = one(new, eventName="UploadPart")
    assert upload_part["requestParameters"]["uploadId"] == up["UploadId"]
    assert upload_part["requestParameters"]["partNumber"] == "1"
    assert one(new, eventName="GetObject", errorCode="NoSuchKey")["requestParameters"]["key"] == "never-there"
    assert [r for r in new if "errorCode" in r] == [one(new, errorCode="NoSuchKey")]


def test_refused_requests_are_data_events(server_factory, tmp_path):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    account = account_of(coffer)
    bucket = "audit-refused"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="private.txt", Body=b"root only")
    before = len(trail(coffer.data_dir))

    def refused(client, call, **kw) -> tuple[str, str]:
        with pytest.raises(ClientError) as raised:
            getattr(client, call)(**kw)
        return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["RequestId"]

    bad_sig = fresh_client(coffer, creds=(ROOT[0], "not-the-secret-key"))
    code, bad_sig_id = refused(bad_sig, "get_object", Bucket=bucket, Key="private.txt")
    assert code == "SignatureDoesNotMatch"
    unknown = fresh_client(coffer, creds=("AKIANOSUCHKEY0000000", "whatever-secret"))
    code, unknown_id = refused(unknown, "put_object", Bucket=bucket, Key="forged.txt", Body=b"x")
    assert code == "InvalidAccessKeyId"
    alice = fresh_client(coffer, user="alice")
    code, alice_get_id = refused(alice, "get_object", Bucket=bucket, Key="private.txt")
    assert code == "AccessDenied"
    code, alice_list_id = refused(alice, "list_objects_v2", Bucket=bucket)  # not an object operation, but refused
    assert code == "AccessDenied"
    r = coffer.aws("s3api", "delete-object", "--bucket", bucket, "--key", "private.txt", user="alice", check=False)
    assert aws_cli_error_code(r) == "AccessDenied"

    new = trail(coffer.data_dir)[before:]
    assert len(new) == 5, new
    assert all(r["eventSource"] == "s3.amazonaws.com" and r["eventCategory"] == "Data" for r in new)

    sig = one(new, requestID=bad_sig_id)
    assert (sig["eventName"], sig["errorCode"]) == ("GetObject", "SignatureDoesNotMatch")
    assert sig["requestParameters"]["bucketName"] == bucket and sig["requestParameters"]["key"] == "private.txt"
    assert sig["userIdentity"]["type"] in ("Anonymous", "AWSAccount")
    inv = one(new, requestID=unknown_id)
    assert (inv["eventName"], inv["errorCode"]) == ("PutObject", "InvalidAccessKeyId")

    got = one(new, requestID=alice_get_id)
    assert (got["eventName"], got["errorCode"], got["readOnly"]) == ("GetObject", "AccessDenied", True)
    ident = got["userIdentity"]
    assert ident["type"] == "IAMUser" and ident["userName"] == "alice" and ident["accessKeyId"] == ALICE[0]
    assert ident["arn"] == f"arn:aws:iam::{account}:user/alice" and ident["accountId"] == account
    listed = one(new, requestID=alice_list_id)
    assert (listed["eventName"], listed["errorCode"]) == ("ListObjectsV2", "AccessDenied")
    deleted = one(new, eventName="DeleteObject")
    assert deleted["errorCode"] == "AccessDenied" and deleted["userIdentity"]["userName"] == "alice"
    assert deleted["readOnly"] is False
    assert s3.get_object(Bucket=bucket, Key="private.txt")["Body"].read() == b"root only"

    # every member of a refused request's record is still CloudTrail's: the bucket belongs to
    # root's account whoever asked (recipientAccountId is "the account that owns the resource")
    for r in new:
        assert_common_members(r, account)
        assert {"ARN": f"arn:aws:s3:::{bucket}", "accountId": account, "type": "AWS::S3::Bucket"} in r["resources"], r


# ----------------------------------------------------------------------------- 2. no key material


def test_no_key_material_in_the_trail(server_factory, tmp_path):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    s3.create_bucket(Bucket="audit-secrets")
    key_id = coffer.aws_json("kms", "create-key")["KeyMetadata"]["KeyId"]

    secrets: dict[str, bytes] = {}

    def remember(name: str, raw: bytes) -> None:
        secrets[name + " (raw)"] = raw
        secrets[name + " (base64)"] = base64.b64encode(raw)
        secrets[name + " (hex)"] = raw.hex().encode()

    # data keys returned by `aws kms generate-data-key`, with and without a context
    for args in ([], ["--encryption-context", "app=audit"]):
        dk = coffer.aws_json("kms", "generate-data-key", "--key-id", key_id, "--key-spec", "AES_256", *args)
        remember("data key", base64.b64decode(dk["Plaintext"]))
        remember("data key blob", base64.b64decode(dk["CiphertextBlob"]))
    dk = kms_client(coffer).generate_data_key(KeyId=key_id, NumberOfBytes=48)
    remember("boto3 data key", dk["Plaintext"])
    remember("boto3 data key blob", dk["CiphertextBlob"])
    # encrypt / decrypt of a known plaintext
    plaintext = b"the-plaintext-" + uuid.uuid4().hex.encode()
    remember("kms plaintext", plaintext)
    enc = coffer.aws_json("kms", "encrypt", "--key-id", key_id, "--plaintext", "fileb://" + write_file(tmp_path, plaintext))
    blob = base64.b64decode(enc["CiphertextBlob"])
    remember("encrypt blob", blob)
    dec = coffer.aws_json("kms", "decrypt", "--ciphertext-blob", "fileb://" + write_file(tmp_path, blob))
    assert base64.b64decode(dec["Plaintext"]) == plaintext
    re_enc = kms_client(coffer).re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)
    remember("re-encrypt blob", re_enc["CiphertextBlob"])
    # SSE-C over HTTPS with boto3 (binary key) and the aws CLI (key given as text)
    sse_c = os.urandom(32)
    remember("SSE-C key", sse_c)
    https = fresh_client(coffer, transport="https")
    https.put_object(Bucket="audit-secrets", Key="ssec.bin", Body=b"customer data", SSECustomerAlgorithm="AES256", SSECustomerKey=sse_c)
    assert https.get_object(Bucket="audit-secrets", Key="ssec.bin", SSECustomerAlgorithm="AES256",
                            SSECustomerKey=sse_c)["Body"].read() == b"customer data"
    https.head_object(Bucket="audit-secrets", Key="ssec.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=sse_c)
    with pytest.raises(ClientError):  # a wrong key is refused (and recorded, without the key)
        https.get_object(Bucket="audit-secrets", Key="ssec.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
    cli_key = "K" + uuid.uuid4().hex[:31]
    assert len(cli_key) == 32
    remember("SSE-C CLI key", cli_key.encode())
    coffer.aws("s3api", "put-object", "--bucket", "audit-secrets", "--key", "ssec-cli.bin", "--body", write_file(tmp_path, b"cli data"),
               "--sse-customer-algorithm", "AES256", "--sse-customer-key", cli_key, transport="https")
    coffer.aws("s3api", "get-object", "--bucket", "audit-secrets", "--key", "ssec-cli.bin", "--sse-customer-algorithm", "AES256",
               "--sse-customer-key", cli_key, str(tmp_path / "out.bin"), transport="https")
    assert (tmp_path / "out.bin").read_bytes() == b"cli data"
    # SSE-KMS through S3 too, and the secret access keys of the callers
    s3.put_object(Bucket="audit-secrets", Key="kms.bin", Body=b"kms data", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    s3.get_object(Bucket="audit-secrets", Key="kms.bin")["Body"].read()
    secrets["root secret access key"] = ROOT[1].encode()

    if rados_node(coffer.data_dir) is None:
        files = sorted(glob.glob(os.path.join(audit_dir(coffer.data_dir), "**", "*"), recursive=True)
                       + glob.glob(os.path.join(audit_dir(coffer.data_dir), ".*")))
        files = [f for f in files if os.path.isfile(f)]
        assert any(f.endswith(".jsonl") for f in files)
        contents = []
        for path in files:
            with open(path, "rb") as f:
                contents.append((path, f.read()))
    else:  # --storage rados: the node's log segments in its pool
        contents = audit_log_segments(coffer.data_dir)
        assert contents
    records = trail(coffer.data_dir)
    assert Counter(r["eventName"] for r in records)["GenerateDataKey"] >= 4
    assert any(r["eventName"] == "PutObject" and r["requestParameters"].get("x-amz-server-side-encryption-customer-algorithm") == "AES256"
               for r in records), "the SSE-C PUT is on record (its algorithm, never its key)"
    for path, data in contents:
        for name, value in secrets.items():
            assert value not in data, f"{name} found in {path}"
        lowered = data.lower()
        assert b"plaintext" not in lowered, f"'Plaintext' in {path}"
        assert b"ciphertextblob" not in lowered, f"'CiphertextBlob' in {path}"
        assert b"sse-customer-key" not in lowered and b"customer-key\"" not in lowered, f"an SSE-C key header in {path}"


# ----------------------------------------------------------------------------- 3. coffer audit read


@pytest.fixture
def populated(server_factory, tmp_path):
    """A server whose trail holds two phases split by a whole second: phase A by root
    (key K1 with an alias, SSE-KMS objects in bucket-a), phase B by alice and root
    (key K2, bucket-b, errors)."""
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    kms = kms_client(coffer)
    info = {"coffer": coffer}
    s3.create_bucket(Bucket="audit-read-a")
    k1 = kms.create_key(Description="K1")["KeyMetadata"]
    alias = f"alias/audit-k1-{uuid.uuid4().hex[:6]}"
    kms.create_alias(AliasName=alias, TargetKeyId=k1["KeyId"])
    put_a = s3.put_object(Bucket="audit-read-a", Key="a.txt", Body=b"a", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias)
    s3.put_object(Bucket="audit-read-a", Key="a2.txt", Body=b"a2", ServerSideEncryption="aws:kms", SSEKMSKeyId=k1["Arn"])
    s3.get_object(Bucket="audit-read-a", Key="a.txt")["Body"].read()
    info["boundary"] = wait_for_new_second(coffer)

    alice_s3 = fresh_client(coffer, user="alice")
    alice_kms = kms_client(coffer, creds=ALICE)
    alice_s3.create_bucket(Bucket="audit-read-b")
    k2 = alice_kms.create_key(Description="K2")["KeyMetadata"]
    put_b = alice_s3.put_object(Bucket="audit-read-b", Key="b.txt", Body=b"b", ServerSideEncryption="aws:kms", SSEKMSKeyId=k2["KeyId"])
    alice_s3.get_object(Bucket="audit-read-b", Key="b.txt")["Body"].read()
    with pytest.raises(ClientError):
        alice_s3.get_object(Bucket="audit-read-a", Key="a.txt")  # AccessDenied
    with pytest.raises(ClientError):
        s3.get_object(Bucket="audit-read-b", Key="missing.txt")  # NoSuchKey (root may read any bucket)
    with pytest.raises(ClientError):
        alice_kms.decrypt(CiphertextBlob=alice_kms.encrypt(KeyId=k2["KeyId"], Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"],
                          EncryptionContext={"a": "2"})
    s3.put_object(Bucket="audit-read-a", Key="a.txt", Body=b"again")  # phase B, root, SSE-S3
    info.update(k1=k1, k2=k2, alias=alias, put_a=put_a["ResponseMetadata"]["RequestId"],
                put_b=put_b["ResponseMetadata"]["RequestId"], account=k1["AWSAccountId"])
    info["records"] = trail(coffer.data_dir)
    return info


def _key_references(r: dict) -> list[str]:
    refs = []
    for section, names in (("requestParameters", ["keyId", "sourceKeyId", "destinationKeyId", "targetKeyId", "aliasName"]),
                           ("responseElements", ["keyId", "sourceKeyId"])):
        members = r.get(section) or {}
        refs += [members[n] for n in names if isinstance(members.get(n), str)]
    meta = (r.get("responseElements") or {}).get("keyMetadata") or {}
    refs += [meta[n] for n in ("keyId", "arn") if isinstance(meta.get(n), str)]
    refs += [res["ARN"] for res in r.get("resources", []) if res["ARN"].startswith("arn:aws:kms:")]
    return refs


def _s3_objects(r: dict) -> list[tuple[str, str | None]]:
    out = []
    params = r.get("requestParameters") or {}
    if "bucketName" in params:
        out.append((params["bucketName"], params.get("key")))
    arns = [res["ARN"] for res in r.get("resources", [])]
    ctx = (params.get("encryptionContext") or {}).get("aws:s3:arn")
    if ctx:
        arns.append(ctx)
    for arn in arns:
        if arn.startswith("arn:aws:s3:::"):
            path = arn[len("arn:aws:s3:::"):]
            b, sep, k = path.partition("/")
            out.append((b, k if sep else None))
    return out


def test_audit_read_every_filter(populated, coffer_binary):
    coffer, records = populated["coffer"], populated["records"]
    d = coffer.data_dir
    k1, k2, account = populated["k1"], populated["k2"], populated["account"]
    boundary = populated["boundary"]

    def read(*filters):
        return ids(audit_read(coffer_binary, d, *filters))

    def expect(pred):
        return [r["eventID"] for r in records if pred(r)]

    everything = read()
    assert everything == ids(records), "no filter: every record, oldest first"

    assert read("--event-name", "PutObject") == expect(lambda r: r["eventName"] == "PutObject")
    assert read("--event-name", "GenerateDataKey") == expect(lambda r: r["eventName"] == "GenerateDataKey")
    assert len(read("--event-name", "GenerateDataKey")) == 3
    assert read("--event-name", "NoSuchEvent") == []

    k1_records = expect(lambda r: any(ref in (k1["KeyId"], k1["Arn"]) for ref in _key_references(r)))
    assert {r["eventName"] for r in records if r["eventID"] in k1_records} >= {"CreateKey", "CreateAlias", "GenerateDataKey", "Decrypt"}
    assert read("--key", k1["KeyId"]) == k1_records
    assert read("--key", k1["Arn"]) == k1_records
    alias_records = read("--key", populated["alias"])
    assert alias_records == expect(lambda r: populated["alias"] in _key_references(r)
                                   or f"arn:aws:kms:{REGION}:{account}:{populated['alias']}" in _key_references(r))
    assert alias_records and set(alias_records) <= set(k1_records)
    k2_records = read("--key", k2["KeyId"])
    assert k2_records and not set(k2_records) & set(k1_records)

    for bucket in ("audit-read-a", "audit-read-b"):
        got = read("--bucket", bucket)
        assert got == expect(lambda r: any(b == bucket for b, _ in _s3_objects(r))), bucket
        assert {r["eventSource"] for r in records if r["eventID"] in got} == {"kms.amazonaws.com", "s3.amazonaws.com"}
    got = read("--object-key", "a.txt")
    assert got == expect(lambda r: any(k == "a.txt" for _, k in _s3_objects(r)))
    assert got == read("--bucket", "audit-read-a", "--object-key", "a.txt")
    assert read("--bucket", "audit-read-b", "--object-key", "a.txt") == []

    alice = expect(lambda r: r["userIdentity"].get("userName") == "alice")
    assert alice and read("--principal", "alice") == alice
    assert read("--principal", f"arn:aws:iam::{account}:user/alice") == alice
    root_arn = f"arn:aws:iam::{account}:root"
    assert read("--principal", root_arn) == expect(lambda r: r["userIdentity"].get("arn") == root_arn)
    assert read("--access-key", ALICE[0]) == expect(lambda r: r["userIdentity"].get("accessKeyId") == ALICE[0])
    assert read("--access-key", ROOT[0]) == expect(lambda r: r["userIdentity"].get("accessKeyId") == ROOT[0])
    local = read("--source-ip", "127.0.0.1")
    assert local == expect(lambda r: r.get("sourceIPAddress") == "127.0.0.1")
    assert local and len(local) < len(everything)  # the key-service calls S3 made come from s3.amazonaws.com
    assert read("--source-ip", "10.9.9.9") == []

    pair = read("--request-id", populated["put_a"])
    assert [r["eventName"] for r in records if r["eventID"] in pair] == ["GenerateDataKey", "PutObject"]
    assert read("--request-id", populated["put_b"]) == expect(lambda r: r["requestID"] == populated["put_b"])

    errors = read("--errors-only")
    assert errors == expect(lambda r: "errorCode" in r)
    assert {r["errorCode"] for r in records if r["eventID"] in errors} == {"AccessDenied", "NoSuchKey", "InvalidCiphertextException"}

    phase_b = expect(lambda r: r["eventTime"] >= iso(boundary))
    phase_a = expect(lambda r: r["eventTime"] < iso(boundary))
    assert phase_a and phase_b
    assert read("--since", iso(boundary)) == phase_b
    assert read("--until", iso(boundary - 1)) == phase_a
    assert read("--since", iso(boundary - 3600), "--until", iso(boundary - 1)) == phase_a
    assert read("--since", iso(boundary + 3600)) == []

    # criteria combine (every one must hold)
    assert read("--principal", "alice", "--event-name", "GenerateDataKey") == expect(
        lambda r: r["userIdentity"].get("userName") == "alice" and r["eventName"] == "GenerateDataKey")
    assert read("--errors-only", "--since", iso(boundary), "--bucket", "audit-read-a") == expect(
        lambda r: "errorCode" in r and any(b == "audit-read-a" for b, _ in _s3_objects(r)))

    bad = run_audit(coffer_binary, "read", *store_args(d), "--since", "yesterday-ish", check=False)
    assert bad.returncode != 0 and "since" in (bad.stderr + bad.stdout)
    missing = run_audit(coffer_binary, "read", "--data-dir", os.path.join(d, "nope"), check=False)
    assert missing.returncode != 0


def test_audit_read_formats(populated, coffer_binary):
    coffer, records = populated["coffer"], populated["records"]
    d = coffer.data_dir
    jsonl = run_audit(coffer_binary, "read", *store_args(d), "--format", "jsonl").stdout
    stored = [raw.decode() for _, _, raw in trail_lines(d)]
    assert jsonl.splitlines() == stored, "--format jsonl prints the lines exactly as stored"
    for line in jsonl.splitlines():
        assert isinstance(json.loads(line), dict)

    table = run_audit(coffer_binary, "read", *store_args(d)).stdout.splitlines()
    default_same = run_audit(coffer_binary, "read", *store_args(d), "--format", "table").stdout.splitlines()
    assert table == default_same, "table is the default format"
    header = table[0].split()
    assert header[:3] == ["TIME", "EVENT", "SRC"] and "PRINCIPAL" in header and "ERROR" in header
    assert len(table) == 1 + len(records)
    for row, rec in zip(table[1:], records):
        assert row.startswith(rec["eventTime"]) and rec["eventName"] in row, (row, rec)
    put_row = table[1 + ids(records).index(one(records, requestID=populated["put_a"], eventName="PutObject")["eventID"])]
    assert "s3://audit-read-a/a.txt" in put_row
    denied_row = [row for row in table if "AccessDenied" in row]
    assert len(denied_row) == 1 and "alice" in denied_row[0]
    # a filter with no match prints the header alone
    empty = run_audit(coffer_binary, "read", *store_args(d), "--event-name", "NoSuchEvent").stdout.splitlines()
    assert empty == [table[0]]
    assert run_audit(coffer_binary, "read", *store_args(d), "--format", "jsonl", "--event-name", "NoSuchEvent").stdout.strip() == ""


def test_audit_read_follow_prints_new_records_across_a_restart(server_factory, tmp_path, coffer_binary):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    s3.create_bucket(Bucket="audit-follow")
    first = s3.put_object(Bucket="audit-follow", Key="before", Body=b"1")["ResponseMetadata"]["RequestId"]
    follower = Follower(coffer_binary, coffer.data_dir, "--format", "jsonl", "--event-name", "PutObject")
    table = Follower(coffer_binary, coffer.data_dir)
    try:
        got = follower.read_until(lambda line: json.loads(line)["requestID"] == first)
        assert len(got) == 1
        assert table.read_until(lambda line: "PutObject" in line)[0].startswith("TIME")
        # The follower has answered with the first record, so it is past its first read of the
        # file: the records written from here on reach it through its follow loop.
        s3.get_object(Bucket="audit-follow", Key="before")["Body"].read()  # filtered out
        second = s3.put_object(Bucket="audit-follow", Key="after", Body=b"2")["ResponseMetadata"]["RequestId"]
        got = follower.read_until(lambda line: json.loads(line)["requestID"] == second)
        assert [json.loads(line)["eventName"] for line in got] == ["PutObject"]
        assert table.read_until(lambda line: "s3://audit-follow/after" in line)
        # a restart finishes (digests) the file; the next record opens a new one: still followed
        assert coffer.server.stop() == 0
        coffer.server.start()
        s3 = fresh_client(coffer)
        third = s3.put_object(Bucket="audit-follow", Key="after-restart", Body=b"3")["ResponseMetadata"]["RequestId"]
        assert len(audit_log_segments(coffer.data_dir)) == 2
        got = follower.read_until(lambda line: json.loads(line)["requestID"] == third)
        assert [json.loads(line)["requestParameters"]["key"] for line in got] == ["after-restart"]
        assert follower.drain() == [], "each record is printed once"
        assert follower.proc.poll() is None
    finally:
        follower.stop()
        table.stop()


# ----------------------------------------------------------------------------- 4. coffer audit verify


def _session(server: CofferProcess, work) -> None:
    server.start()
    try:
        work(server)
    finally:
        assert server.stop() == 0


def _client(server: CofferProcess, service: str = "s3"):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.session.Session().client(service, endpoint_url=server.http_url, region_name=REGION,
                                          aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1], config=cfg)


@pytest.fixture(scope="module")
def sealed_trail(tmp_path_factory, coffer_binary) -> str:
    """The data dir of a stopped server that ran three times: three log files, each
    finished and digested at shutdown, with 5+ records each."""
    root = tmp_path_factory.mktemp("sealed")
    data = str(root / "data")
    server = CofferProcess(coffer_binary, data, str(root / "server.log"), ROOT)
    state = {}

    def first(p):
        s3, kms = _client(p), _client(p, "kms")
        s3.create_bucket(Bucket="sealed")
        state["key"] = kms.create_key()["KeyMetadata"]["KeyId"]
        for i in range(3):
            s3.put_object(Bucket="sealed", Key=f"one-{i}", Body=b"1", ServerSideEncryption="aws:kms", SSEKMSKeyId=state["key"])
        s3.get_object(Bucket="sealed", Key="one-0")["Body"].read()

    def second(p):
        s3 = _client(p)
        for i in range(3):
            s3.put_object(Bucket="sealed", Key=f"two-{i}", Body=b"2", ServerSideEncryption="aws:kms", SSEKMSKeyId=state["key"])
            s3.get_object(Bucket="sealed", Key=f"two-{i}")["Body"].read()
        s3.delete_object(Bucket="sealed", Key="one-1")

    def third(p):
        s3, kms = _client(p), _client(p, "kms")
        s3.put_object(Bucket="sealed", Key="three", Body=b"3", ServerSideEncryption="aws:kms", SSEKMSKeyId=state["key"])
        kms.encrypt(KeyId=state["key"], Plaintext=b"x")
        s3.head_object(Bucket="sealed", Key="three")
        s3.get_object(Bucket="sealed", Key="three")["Body"].read()

    for work in (first, second, third):
        _session(server, work)
    files = log_files(data)
    assert [file_number(f) for f in files] == [1, 2, 3]
    for f in files:
        assert os.path.exists(digest_of(f)), f"{f} was not digested at shutdown"
        with open(f, "rb") as fh:
            assert fh.read().count(b"\n") >= 5
    return data


def verify(binary: str, data_dir: str) -> subprocess.CompletedProcess:
    return run_audit(binary, "verify", *store_args(data_dir), check=False)


@pytest.mark.leveldb_only("the sealed_trail fixture: a LevelDB server's trail files in DIR/audit")
def test_verify_passes_on_an_intact_trail(sealed_trail, coffer_binary):
    r = verify(coffer_binary, sealed_trail)
    assert r.returncode == 0, r.stdout + r.stderr
    total = len(trail_lines(sealed_trail))
    assert r.stdout.startswith("OK: 3 log files, 3 sealed by a verified digest"), r.stdout
    assert f"{total} records" in r.stdout
    assert_chain(sealed_trail)


@pytest.mark.leveldb_only("reads the digest files and modes of DIR/audit (sealed_trail fixture)")
def test_digests_match_the_documented_format(sealed_trail):
    """Checks each digest without Coffer, as docs/audit-trail.md says anyone can: the log
    file's SHA-256 and size, the records, the digest chain, and the Ed25519 signature of the
    twelve-line signed string under keys/audit-digest-ed25519.pub."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = os.path.join(sealed_trail, "keys")
    with open(os.path.join(keys, "audit-digest-ed25519.pub")) as f:
        raw_pub = base64.b64decode(f.read().strip())
    assert len(raw_pub) == 32
    public = Ed25519PublicKey.from_public_bytes(raw_pub)
    previous_name = previous_sha = None
    for path in log_files(sealed_trail):
        with open(path, "rb") as f:
            log = f.read()
        with open(digest_of(path), "rb") as f:
            digest_bytes = f.read()
        assert digest_bytes.endswith(b"\n") and digest_bytes.count(b"\n") == 1
        d = json.loads(digest_bytes)
        assert json.dumps(d, sort_keys=True, separators=(",", ":")).encode() + b"\n" == digest_bytes
        lines = [json.loads(line) for line in log.split(b"\n")[:-1]]
        assert d["digestVersion"] == 1 and d["signatureAlgorithm"] == "Ed25519"
        assert d["logFile"] == os.path.basename(path)
        assert d["logFileSHA256"] == hashlib.sha256(log).hexdigest() and d["logFileBytes"] == len(log)
        assert d["recordCount"] == len(lines)
        assert d["firstSequence"] == lines[0]["cofferChain"]["sequence"] and d["lastSequence"] == lines[-1]["cofferChain"]["sequence"]
        assert d["previousDigestFile"] == previous_name and d["previousDigestSHA256"] == previous_sha
        assert d["publicKeyFingerprint"] == hashlib.sha256(raw_pub).hexdigest()
        assert TIME_RE.match(d["startTime"]) and TIME_RE.match(d["endTime"]) and d["startTime"] <= d["endTime"]
        signed = "\n".join([
            "CofferAuditDigest-1", f"logFile={d['logFile']}", f"logFileSHA256={d['logFileSHA256']}",
            f"logFileBytes={d['logFileBytes']}", f"firstSequence={d['firstSequence']}", f"lastSequence={d['lastSequence']}",
            f"recordCount={d['recordCount']}", f"startTime={d['startTime']}", f"endTime={d['endTime']}",
            f"previousDigestFile={d['previousDigestFile'] or ''}", f"previousDigestSHA256={d['previousDigestSHA256'] or ''}",
            f"publicKeyFingerprint={d['publicKeyFingerprint']}"])
        public.verify(base64.b64decode(d["signature"]), signed.encode())  # raises if it does not verify
        previous_name, previous_sha = os.path.basename(digest_of(path)), hashlib.sha256(digest_bytes).hexdigest()
    # permissions as documented
    assert stat.S_IMODE(os.stat(audit_dir(sealed_trail)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    for path in log_files(sealed_trail):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        assert stat.S_IMODE(os.stat(digest_of(path)).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(os.path.join(keys, "audit-digest-ed25519.key")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(keys, "audit-digest-ed25519.pub")).st_mode) == 0o644


def _lines(path: str) -> list[bytes]:
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def _write_lines(path: str, lines: list[bytes]) -> None:
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")


def _flip_hex_in_event_id(line: bytes) -> bytes:
    m = re.search(rb'"eventID":"([0-9a-f])', line)
    assert m
    c = m.group(1)
    other = b"0" if c != b"0" else b"1"
    return line[: m.start(1)] + other + line[m.end(1):]


def _tamper_edit_middle(f2, d2, files):
    lines = _lines(f2)
    lines[1] = _flip_hex_in_event_id(lines[1])
    _write_lines(f2, lines)
    return os.path.basename(f2), 2, "altered"


def _tamper_edit_last_of_middle_file(f2, d2, files):
    # the chain inside F2 cannot see its last line: F2's digest does (logFileAltered, F2
    # checked before F3's first previousHash is reached)
    lines = _lines(f2)
    lines[-1] = _flip_hex_in_event_id(lines[-1])
    _write_lines(f2, lines)
    return os.path.basename(f2), None, "altered"


def _tamper_edit_last_of_newest_file(f2, d2, files):
    f3 = files[2]
    lines = _lines(f3)
    lines[-1] = _flip_hex_in_event_id(lines[-1])
    _write_lines(f3, lines)
    return os.path.basename(f3), None, "altered"


def _tamper_remove_line(f2, d2, files):
    lines = _lines(f2)
    del lines[2]
    _write_lines(f2, lines)
    return os.path.basename(f2), 3, "removed"


def _tamper_swap_lines(f2, d2, files):
    lines = _lines(f2)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(f2, lines)
    return os.path.basename(f2), 2, "reordered"


def _tamper_insert_line(f2, d2, files):
    replayed = _lines(files[0])[0]
    lines = _lines(f2)
    lines.insert(2, replayed)
    _write_lines(f2, lines)
    return os.path.basename(f2), 3, "inserted"


def _tamper_delete_log_file(f2, d2, files):
    os.remove(f2)
    return os.path.basename(f2), None, "missing"


def _tamper_delete_log_file_and_digest(f2, d2, files):
    os.remove(f2)
    os.remove(d2)
    return "number 2", None, "missing"


def _tamper_delete_digest(f2, d2, files):
    os.remove(d2)
    return os.path.basename(d2), None, "digest"


def _tamper_edit_digest(f2, d2, files):
    with open(d2, "rb") as f:
        d = json.loads(f.read())
    d["endTime"] = "2000-01-01T00:00:00Z"
    with open(d2, "wb") as f:
        f.write(json.dumps(d, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    return os.path.basename(d2), None, "signature"


@pytest.mark.leveldb_only("tampers with the files of a trail in DIR/audit (sealed_trail fixture)")
@pytest.mark.parametrize("tamper", [
    _tamper_edit_middle, _tamper_edit_last_of_middle_file, _tamper_edit_last_of_newest_file, _tamper_remove_line,
    _tamper_swap_lines, _tamper_insert_line, _tamper_delete_log_file, _tamper_delete_log_file_and_digest,
    _tamper_delete_digest, _tamper_edit_digest,
], ids=lambda f: f.__name__.removeprefix("_tamper_"))
def test_verify_names_the_first_tampered_record_or_file(sealed_trail, coffer_binary, tmp_path, tamper):
    data = str(tmp_path / "data")
    shutil.copytree(sealed_trail, data)
    assert verify(coffer_binary, data).returncode == 0
    files = log_files(data)
    f2 = files[1]
    names, line, word = tamper(f2, digest_of(f2), files)
    r = verify(coffer_binary, data)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert r.stdout.startswith("FAILED:"), out
    first = r.stdout.splitlines()[0]
    assert names in first, f"expected {names!r} in: {first}"
    if line is not None:
        assert re.search(rf"\bline {line}\b", first), f"expected line {line} in: {first}"
    assert word in first.lower(), f"expected {word!r} in: {first}"


@pytest.mark.leveldb_only("continues a trail copied into DIR/audit (sealed_trail fixture)")
def test_verify_a_running_servers_trail(sealed_trail, coffer_binary, server_factory, tmp_path):
    """Verify while the server writes: the newest file is active (no digest yet) and is
    verified by its chain; the earlier ones by their digests. The server's restart carried the
    chain on from the last sealed record."""
    data = str(tmp_path / "data")
    shutil.copytree(sealed_trail, data)
    coffer_proc = server_factory(data_dir=data).start()
    s3 = _client(coffer_proc)
    s3.put_object(Bucket="sealed", Key="live", Body=b"live", ServerSideEncryption="aws:kms")
    files = log_files(data)
    assert len(files) == 4 and not os.path.exists(digest_of(files[-1]))
    r = verify(coffer_binary, data)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK: 4 log files, 3 sealed by a verified digest" in r.stdout
    assert os.path.basename(files[-1]) in r.stdout and "not yet covered by a digest" in r.stdout
    assert_chain(data)
    # a tampered active file is caught by the chain while the server runs
    lines = _lines(files[-1])
    assert len(lines) >= 2
    lines[0] = _flip_hex_in_event_id(lines[0])
    _write_lines(files[-1], lines)
    r = verify(coffer_binary, data)
    assert r.returncode == 1 and os.path.basename(files[-1]) in r.stdout and "line 1" in r.stdout, r.stdout


@pytest.mark.leveldb_only("tears the last line of a log file in DIR/audit and checks its digest file")
def test_a_crash_leaves_a_verifiable_trail_and_restart_seals_it(server_factory, tmp_path, coffer_binary):
    """SIGKILL: the active file has no digest; a torn last line (a write cut by the crash) is
    tolerated by verify and removed by the next start, which digests the file and carries the
    chain on in a new one."""
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    s3.create_bucket(Bucket="audit-crash")
    for i in range(3):
        s3.put_object(Bucket="audit-crash", Key=f"k{i}", Body=b"x", ServerSideEncryption="aws:kms")
    coffer.server.kill()
    files = log_files(coffer.data_dir)
    assert len(files) == 1 and not os.path.exists(digest_of(files[0]))
    complete = _lines(files[0])
    with open(files[0], "ab") as f:
        f.write(b'{"awsRegion":"us-east-1","cofferChain":{"previousHash":"')
    r = verify(coffer_binary, coffer.data_dir)
    assert r.returncode == 0 and "not yet covered by a digest" in r.stdout, r.stdout + r.stderr
    assert ids(audit_read(coffer_binary, coffer.data_dir)) == ids([json.loads(x) for x in complete])

    coffer.server.start()
    s3 = fresh_client(coffer)
    s3.get_object(Bucket="audit-crash", Key="k0")["Body"].read()
    files = log_files(coffer.data_dir)
    assert len(files) == 2 and os.path.exists(digest_of(files[0])) and not os.path.exists(digest_of(files[1]))
    assert _lines(files[0]) == complete, "the torn line is gone, the complete ones untouched"
    assert_chain(coffer.data_dir)
    r = verify(coffer_binary, coffer.data_dir)
    assert r.returncode == 0 and "OK: 2 log files, 1 sealed by a verified digest" in r.stdout, r.stdout + r.stderr


# ----------------------------------------------------------------------------- 5. LookupEvents


def test_lookup_events(server_factory, tmp_path):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    kms = kms_client(coffer)
    s3.create_bucket(Bucket="audit-lookup")
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"c": "1"})["CiphertextBlob"]
    for _ in range(3):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "1"})
    s3.put_object(Bucket="audit-lookup", Key="o", Body=b"o", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    boundary = wait_for_new_second(coffer)
    s3.get_object(Bucket="audit-lookup", Key="o")["Body"].read()  # Decrypt by S3
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "2"})
    kms_client(coffer, creds=ALICE).create_key(Description="alice's")
    for i in range(4):
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")

    records = trail(coffer.data_dir)
    management = [r for r in records if r["managementEvent"]]
    newest_first = list(reversed(management))
    assert len(management) < len(records), "S3 data events exist but are not management events"

    # the CLI, auto-paginating over pages of 2
    everything = coffer.aws_json("cloudtrail", "lookup-events", "--page-size", "2")
    assert "NextToken" not in everything
    assert [e["EventId"] for e in everything["Events"]] == ids(newest_first), "management events only, newest first"
    by_id = {r["eventID"]: r for r in records}
    for e in everything["Events"]:
        r = by_id[e["EventId"]]
        assert e["EventName"] == r["eventName"] and e["EventSource"] == "kms.amazonaws.com"
        assert e["ReadOnly"] == ("true" if r["readOnly"] else "false")
        assert e["AccessKeyId"] == r["userIdentity"]["accessKeyId"]
        assert e["Username"] == r["userIdentity"].get("userName", "root")
        assert int(e["EventTime"]) == int(dt.datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())
        assert e["Resources"] == [{"ResourceType": res["type"], "ResourceName": res["ARN"]} for res in r.get("resources", [])]
        ct = json.loads(e["CloudTrailEvent"])
        expected = dict(r)
        del expected["cofferChain"]
        assert ct == expected

    decrypts = coffer.aws_json("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Decrypt")
    expected_decrypts = [r for r in newest_first if r["eventName"] == "Decrypt"]
    assert len(expected_decrypts) == 5  # three by the API, one by S3's GET, one refused
    assert [e["EventId"] for e in decrypts["Events"]] == ids(expected_decrypts)
    assert sum(1 for e in decrypts["Events"] if "errorCode" in json.loads(e["CloudTrailEvent"])) == 1

    # a time range (inclusive, epoch seconds or ISO 8601 on the CLI)
    after = coffer.aws_json("cloudtrail", "lookup-events", "--start-time", str(boundary))
    assert [e["EventId"] for e in after["Events"]] == ids([r for r in newest_first if r["eventTime"] >= iso(boundary)])
    before = coffer.aws_json("cloudtrail", "lookup-events", "--start-time", iso(boundary - 600), "--end-time", iso(boundary - 1))
    assert [e["EventId"] for e in before["Events"]] == ids([r for r in newest_first if r["eventTime"] < iso(boundary)])
    assert before["Events"] and after["Events"]
    ranged = coffer.aws_json("cloudtrail", "lookup-events", "--start-time", str(boundary),
                             "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Decrypt")
    assert [e["EventId"] for e in ranged["Events"]] == ids([r for r in expected_decrypts if r["eventTime"] >= iso(boundary)])

    # --max-items with the CLI's own token, then --starting-token for the rest
    head = coffer.aws_json("cloudtrail", "lookup-events", "--page-size", "2", "--max-items", "3")
    assert [e["EventId"] for e in head["Events"]] == ids(newest_first[:3]) and head.get("NextToken")
    rest = coffer.aws_json("cloudtrail", "lookup-events", "--page-size", "2", "--starting-token", head["NextToken"])
    assert [e["EventId"] for e in rest["Events"]] == ids(newest_first[3:])

    # other attributes
    def lookup(key, value):
        return [e["EventId"] for e in coffer.aws_json("cloudtrail", "lookup-events", "--lookup-attributes",
                                                       f"AttributeKey={key},AttributeValue={value}")["Events"]]
    assert lookup("Username", "alice") == ids([r for r in newest_first if r["userIdentity"].get("userName") == "alice"])
    assert len(lookup("Username", "alice")) == 1
    assert lookup("ReadOnly", "false") == ids([r for r in newest_first if not r["readOnly"]])
    assert lookup("ResourceName", key["Arn"]) == ids([r for r in newest_first if any(res["ARN"] == key["Arn"] for res in r.get("resources", []))])
    assert lookup("EventSource", "kms.amazonaws.com") == ids(newest_first)
    assert lookup("EventSource", "s3.amazonaws.com") == []
    assert lookup("AccessKeyId", ALICE[0]) == lookup("Username", "alice")
    assert lookup("EventId", newest_first[4]["eventID"]) == [newest_first[4]["eventID"]]

    # boto3: MaxResults and NextToken by hand
    ct = cloudtrail_client(coffer)
    pages, token = [], None
    while True:
        kw = {"MaxResults": 3, **({"NextToken": token} if token else {})}
        page = ct.lookup_events(**kw)
        assert len(page["Events"]) <= 3
        pages.append([e["EventId"] for e in page["Events"]])
        token = page.get("NextToken")
        if not token:
            break
    assert [i for p in pages for i in p] == ids(newest_first)
    assert all(len(p) == 3 for p in pages[:-1]) and len(pages) == math.ceil(len(newest_first) / 3)
    paged = ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Decrypt"}], PaginationConfig={"PageSize": 2})
    assert [e["EventId"] for p in paged for e in p["Events"]] == ids(expected_decrypts)

    # errors
    def code(*args):
        return aws_cli_error_code(coffer.aws("cloudtrail", "lookup-events", *args, check=False))
    assert code("--lookup-attributes", "AttributeKey=Bogus,AttributeValue=x") == "InvalidLookupAttributesException"
    assert code("--lookup-attributes", "AttributeKey=EventName,AttributeValue=Decrypt",
                "AttributeKey=Username,AttributeValue=alice") == "InvalidLookupAttributesException"
    assert code("--start-time", str(boundary + 10), "--end-time", str(boundary)) == "InvalidTimeRangeException"
    raw = cloudtrail_client(coffer, validate=False)
    for kw, expected in (({"MaxResults": 0}, "InvalidMaxResultsException"), ({"MaxResults": 51}, "InvalidMaxResultsException"),
                         ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
                         ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": ""}]}, "InvalidLookupAttributesException"),
                         ({"EventCategory": "management"}, "InvalidEventCategoryException")):
        with pytest.raises(ClientError) as raised:
            raw.lookup_events(**kw)
        assert raised.value.response["Error"]["Code"] == expected, kw
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    first = ct.lookup_events(MaxResults=2)
    with pytest.raises(ClientError) as raised:  # a token is valid only with the same attributes
        ct.lookup_events(MaxResults=2, NextToken=first["NextToken"],
                         LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Decrypt"}])
    assert raised.value.response["Error"]["Code"] == "InvalidNextTokenException"
    assert ct.lookup_events(EventCategory="insight")["Events"] == []
    # lookups are not recorded themselves (they touch no key)
    assert len(trail(coffer.data_dir)) == len(records)


# ----------------------------------------------------------------------------- 6. reading while serving


def test_server_keeps_working_while_the_trail_is_read(server_factory, tmp_path, coffer_binary):
    coffer = start_server(server_factory, tmp_path)
    s3 = coffer.client()
    s3.create_bucket(Bucket="audit-busy")
    key_id = kms_client(coffer).create_key()["KeyMetadata"]["KeyId"]
    follower = Follower(coffer_binary, coffer.data_dir, "--format", "jsonl", "--event-name", "PutObject")
    stop = threading.Event()
    reader_results: list[subprocess.CompletedProcess] = []

    def read_loop():
        while not stop.is_set():
            reader_results.append(run_audit(coffer_binary, "read", *store_args(coffer.data_dir), check=False))
            reader_results.append(run_audit(coffer_binary, "verify", *store_args(coffer.data_dir), check=False))

    readers = [threading.Thread(target=read_loop, daemon=True) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        n = 25
        put_ids = []
        for i in range(n):
            t0 = time.monotonic()
            r = s3.put_object(Bucket="audit-busy", Key=f"k{i}", Body=os.urandom(2000), ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
            put_ids.append(r["ResponseMetadata"]["RequestId"])
            assert len(s3.get_object(Bucket="audit-busy", Key=f"k{i}")["Body"].read()) == 2000
            # a liveness bound, not a benchmark: a PUT and a GET take milliseconds; a server
            # blocked behind the readers would take as long as they run (the whole loop)
            assert time.monotonic() - t0 < 10
        coffer.aws("s3api", "list-objects-v2", "--bucket", "audit-busy")
        got = follower.read_until(lambda line: json.loads(line)["requestID"] == put_ids[-1], timeout=20)
        assert [json.loads(line)["requestID"] for line in got] == put_ids
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=60)
        follower.stop()
    assert reader_results
    for r in reader_results:
        assert r.returncode == 0, r.stdout + r.stderr
    assert coffer.server.alive()
    assert Counter(r["eventName"] for r in trail(coffer.data_dir))["GenerateDataKey"] == 25
    assert_chain(coffer.data_dir)
    final = verify(coffer_binary, coffer.data_dir)
    assert final.returncode == 0 and "not yet covered by a digest" in final.stdout, final.stdout
