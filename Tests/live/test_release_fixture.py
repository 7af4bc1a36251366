"""A data dir written by a released `coffer` opens with the server under test and reads back
exactly: every object (bytes, ETag, metadata, SSE headers), the listings, the in-progress
uploads, the bucket policies and default-encryption configurations (and that they still
apply), the root keyring, and the audit trail.

The fixture is Tests/live/fixtures/release-<commit>/: `data/` is the data dir as the release
left it after a clean stop, `manifest.json` what was written (see make_release_fixture.py).
Every test works on its own copy, so the checked-in bytes are never changed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ALICE, ROOT
from coffer_live import REGION

pytestmark = pytest.mark.leveldb_only("a LevelDB data dir written by a released coffer")

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "release-e489255")
MiB = 1024 * 1024
PKG = 65536


def manifest() -> dict:
    with open(os.path.join(FIXTURE, "manifest.json")) as f:
        return json.load(f)


def plaintext(bucket: str, key: str, size: int) -> bytes:
    """The bytes make_release_fixture.py wrote for `key` (derived from the name)."""
    return random.Random(f"{bucket}/{key}/{size}").randbytes(size)


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def copy_fixture(tmp_path) -> str:
    """A private copy of the release's data dir, with the modes the release gave it (git keeps
    only the executable bit)."""
    data_dir = str(tmp_path / "release-data")
    shutil.copytree(os.path.join(FIXTURE, "data"), data_dir)
    for root, dirs, files in os.walk(data_dir):
        for d in dirs:
            if d in ("keys", "audit", "tls"):
                os.chmod(os.path.join(root, d), 0o700)
        for name in files:
            secret = name.endswith((".key", "-key.pem")) or name in ("sse-s3-root-keys.json", "root-credentials.json")
            os.chmod(os.path.join(root, name), 0o600 if secret else 0o644)
    return data_dir


def tool(binary: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)


def clients(server, creds=ROOT):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"})
    common = dict(region_name=REGION, aws_access_key_id=creds[0], aws_secret_access_key=creds[1], config=cfg)
    return (boto3.session.Session().client("s3", endpoint_url=server.http_url, **common),
            boto3.session.Session().client("s3", endpoint_url=server.https_url, verify=server.ca, **common))


def ssec_args(obj: dict, prefix: str = "") -> dict:
    key = obj["sse"].get("customerKey")
    if key is None:
        return {}
    return {f"{prefix}SSECustomerAlgorithm": "AES256", f"{prefix}SSECustomerKey": base64.b64decode(key)}


@pytest.fixture
def release(server_factory, tmp_path):
    """The server under test on a copy of the release's data dir."""
    data_dir = copy_fixture(tmp_path)
    server = server_factory(data_dir=data_dir, users=[("alice", ALICE)]).start()
    s3, s3s = clients(server)
    return server, s3, s3s


def assert_sse(resp: dict, obj: dict) -> None:
    sse = obj["sse"]
    if sse["mode"] == "SSE-C":
        assert resp.get("SSECustomerAlgorithm") == "AES256", resp
        assert resp.get("SSECustomerKeyMD5") == sse["customerKeyMD5"], resp
        assert "ServerSideEncryption" not in resp, resp
    elif sse["mode"] == "aws:kms":
        assert resp.get("ServerSideEncryption") == "aws:kms", resp
        assert resp.get("SSEKMSKeyId") == sse["kmsKeyArn"], resp
        assert bool(resp.get("BucketKeyEnabled")) == sse["bucketKey"], resp
    else:
        assert sse["mode"] == "AES256"
        assert resp.get("ServerSideEncryption") == "AES256", resp
        assert "SSEKMSKeyId" not in resp and "SSECustomerAlgorithm" not in resp, resp


def assert_object_reads_back(s3, s3s, obj: dict) -> None:
    client = s3s if obj["sse"]["mode"] == "SSE-C" else s3
    where = f"{obj['bucket']}/{obj['key']}"
    extra = ssec_args(obj)
    if "checksum" in obj:
        extra["ChecksumMode"] = "ENABLED"
    got = client.get_object(Bucket=obj["bucket"], Key=obj["key"], **extra)
    body = got["Body"].read()
    assert len(body) == obj["size"] and hashlib.sha256(body).hexdigest() == obj["sha256"], where
    assert body == plaintext(obj["bucket"], obj["key"], obj["size"]), where
    assert got["ETag"] == obj["etag"], where
    assert got["ContentLength"] == obj["size"], where
    assert got["ContentType"] == obj["contentType"], where
    assert got["Metadata"] == obj["metadata"], where
    assert_sse(got, obj)
    if "checksum" in obj:
        assert got[f"Checksum{obj['checksum']['algorithm']}"] == obj["checksum"]["value"], where
    head = client.head_object(Bucket=obj["bucket"], Key=obj["key"], **ssec_args(obj))
    assert (head["ETag"], head["ContentLength"], head["ContentType"], head["Metadata"]) == \
        (obj["etag"], obj["size"], obj["contentType"], obj["metadata"]), where
    assert_sse(head, obj)
    if "parts" in obj:
        assert head["ETag"].strip('"').endswith(f"-{len(obj['parts'])}"), where
    if obj["size"] > PKG:
        # A range across the first package boundary opens two packages of the old blob.
        ranged = client.get_object(Bucket=obj["bucket"], Key=obj["key"], Range=f"bytes={PKG - 10}-{PKG + 0}", **ssec_args(obj))
        assert ranged["Body"].read() == body[PKG - 10:PKG + 1], where


def test_keyring_status_and_audit_trail_of_the_release(server_factory, coffer_binary, tmp_path):
    data_dir = copy_fixture(tmp_path)
    m = manifest()
    status = tool(coffer_binary, "keys", "status", "--data-dir", data_dir, "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == m["keysStatus"]
    assert m["keysStatus"]["versions"] == [1, 2]
    verified = tool(coffer_binary, "audit", "verify", "--data-dir", data_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The server under test continues the release's hash chain: the trail still verifies.
    server = server_factory(data_dir=data_dir).start()
    s3, _ = clients(server)
    s3.put_object(Bucket="fx-s3", Key="after-upgrade", Body=b"new")
    assert server.stop() == 0, server.log_tail()
    verified = tool(coffer_binary, "audit", "verify", "--data-dir", data_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_every_object_reads_back_exactly(release):
    _, s3, s3s = release
    objects = manifest()["objects"]
    assert {o["sse"]["mode"] for o in objects} == {"AES256", "aws:kms", "SSE-C"}
    assert {o["size"] for o in objects} >= {0, 1, PKG, PKG + 1, 200_000}
    for obj in objects:
        assert_object_reads_back(s3, s3s, obj)


def test_buckets_and_objects_list_as_written(release):
    _, s3, _ = release
    m = manifest()
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == sorted(m["buckets"])
    for bucket in m["buckets"]:
        expected = sorted((o["key"], o["size"], o["etag"]) for o in m["objects"] if o["bucket"] == bucket)
        listed = s3.list_objects_v2(Bucket=bucket)
        assert not listed["IsTruncated"]
        assert [(o["Key"], o["Size"], o["ETag"]) for o in listed.get("Contents", [])] == expected, bucket
        # Paging over the old records (one key a page) gives the same keys in the same order.
        keys, token = [], None
        while True:
            page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1, **({"ContinuationToken": token} if token else {}))
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        assert keys == [e[0] for e in expected], bucket


def test_bucket_policy_and_encryption_read_back_and_still_apply(release):
    server, s3, s3s = release
    m = manifest()
    for name, bucket in m["buckets"].items():
        if bucket["policy"] is None:
            assert refused(lambda: s3.get_bucket_policy(Bucket=name)) == (404, "NoSuchBucketPolicy")
        else:
            assert s3.get_bucket_policy(Bucket=name)["Policy"] == bucket["policy"]  # the text exactly as sent
        if bucket["encryption"] is None:
            # no configuration: S3's default since 2023
            default = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
            assert default["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
            continue
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        want = bucket["encryption"]
        by_default = {"SSEAlgorithm": want["SSEAlgorithm"]}
        if "KMSMasterKeyID" in want:
            by_default["KMSMasterKeyID"] = want["KMSMasterKeyID"]
        assert rule["ApplyServerSideEncryptionByDefault"] == by_default, name
        assert rule["BucketKeyEnabled"] is want["BucketKeyEnabled"], name
        assert rule["BlockedEncryptionTypes"] == {"EncryptionType": want["BlockedEncryptionTypes"]}, name

    # The policy is enforced: alice reads public/*, nothing else; nobody deletes protected/*.
    alice, _ = clients(server, ALICE)
    public = next(o for o in m["objects"] if o["bucket"] == "fx-s3" and o["key"].startswith("public/"))
    assert hashlib.sha256(alice.get_object(Bucket="fx-s3", Key=public["key"])["Body"].read()).hexdigest() == public["sha256"]
    assert refused(lambda: alice.get_object(Bucket="fx-s3", Key="protected/one-byte")) == (403, "AccessDenied")
    assert refused(lambda: s3.delete_object(Bucket="fx-s3", Key="protected/one-byte")) == (403, "AccessDenied")
    # The default encryptions apply: fx-s3 blocks SSE-C, fx-kms encrypts with alias/fixture and a bucket key.
    assert refused(lambda: s3s.put_object(Bucket="fx-s3", Key="c", Body=b"x", SSECustomerAlgorithm="AES256",
                                          SSECustomerKey=os.urandom(32))) == (403, "AccessDenied")
    put = s3.put_object(Bucket="fx-kms", Key="new-default", Body=b"default")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == \
        ("aws:kms", m["kms"]["customerKey"]["arn"], True)
    assert s3.get_object(Bucket="fx-kms", Key="new-default")["Body"].read() == b"default"


def test_in_progress_uploads_list_and_complete(release):
    _, s3, s3s = release
    m = manifest()
    for bucket in m["buckets"]:
        expected = sorted((u["key"], u["uploadId"]) for u in m["uploads"] if u["bucket"] == bucket)
        listed = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        assert [(u["Key"], u["UploadId"]) for u in listed] == expected, bucket
    for upload in m["uploads"]:
        client = s3s if upload["sse"]["mode"] == "SSE-C" else s3
        extra = ssec_args(upload)
        ids = dict(Bucket=upload["bucket"], Key=upload["key"], UploadId=upload["uploadId"])
        parts = client.list_parts(**ids)["Parts"]
        assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in parts] == \
            [(p["number"], p["size"], p["etag"]) for p in upload["parts"]], upload["key"]
        old = [plaintext(upload["bucket"], p["seed"], p["size"]) for p in upload["parts"]]
        if len(upload["parts"]) > 1:
            # Replace part 1 by a 5 MiB part sealed now, under the data key of the old upload
            # record; keep the release's last part: a two-part object mixing both.
            fresh = os.urandom(5 * MiB)
            etag1 = client.upload_part(PartNumber=1, Body=fresh, **ids, **extra)["ETag"]
            chosen = [{"PartNumber": 1, "ETag": etag1}] + [{"PartNumber": p["number"], "ETag": p["etag"]} for p in upload["parts"][1:]]
            expected_body = fresh + b"".join(old[1:])
        else:
            chosen = [{"PartNumber": 1, "ETag": upload["parts"][0]["etag"]}]
            expected_body = old[0]
        done = client.complete_multipart_upload(MultipartUpload={"Parts": chosen}, **ids, **extra)
        got = client.get_object(Bucket=upload["bucket"], Key=upload["key"], **extra)
        assert got["Body"].read() == expected_body, upload["key"]
        assert got["ETag"] == done["ETag"] and got["ETag"].strip('"').endswith(f"-{len(chosen)}")
        assert got["Metadata"] == upload["metadata"]
        if upload.get("contentType"):
            assert got["ContentType"] == upload["contentType"]
        sse = upload["sse"]
        if sse["mode"] == "aws:kms":
            assert (got["ServerSideEncryption"], got["SSEKMSKeyId"], bool(got.get("BucketKeyEnabled"))) == \
                ("aws:kms", sse["kmsKeyArn"], sse["bucketKey"])
        elif sse["mode"] == "SSE-C":
            assert got["SSECustomerAlgorithm"] == "AES256"
        else:
            assert got["ServerSideEncryption"] == "AES256"
    assert all(not s3.list_multipart_uploads(Bucket=b).get("Uploads") for b in m["buckets"])


def test_old_and_new_records_survive_restart_and_root_key_rotation(release, coffer_binary):
    server, s3, s3s = release
    m = manifest()
    ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": bytes(range(32))}
    s3.put_object(Bucket="fx-s3", Key="new/sse-s3", Body=b"s3" * 40_000)
    s3.put_object(Bucket="fx-kms", Key="new/kms", Body=b"kms" * 30_000, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId="alias/fixture", BucketKeyEnabled=False)
    s3s.put_object(Bucket="fx-c", Key="new/sse-c", Body=b"c" * 70_000, **ssec)
    assert server.stop() == 0, server.log_tail()
    # The server under test's rotation re-seals the release's SSE-S3 records as well as its own.
    rotated = tool(coffer_binary, "keys", "rotate", "--data-dir", server.data_dir, "--format", "json")
    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    sse_s3_objects = sum(1 for o in m["objects"] if o["sse"]["mode"] == "AES256") + 1
    sse_s3_uploads = sum(1 for u in m["uploads"] if u["sse"]["mode"] == "AES256")
    assert (report["previousVersion"], report["currentVersion"]) == (2, 3)
    assert (report["objectsResealed"], report["uploadsResealed"]) == (sse_s3_objects, sse_s3_uploads)
    status = json.loads(tool(coffer_binary, "keys", "status", "--data-dir", server.data_dir, "--format", "json").stdout)
    assert status["versions"] == [1, 2, 3] and "2" not in status["recordsByVersion"]
    assert status["recordsByVersion"]["3"] == sse_s3_objects + sse_s3_uploads
    server.start()
    s3, s3s = clients(server)
    for obj in m["objects"]:
        assert_object_reads_back(s3, s3s, obj)
    assert s3.get_object(Bucket="fx-s3", Key="new/sse-s3")["Body"].read() == b"s3" * 40_000
    assert s3.get_object(Bucket="fx-kms", Key="new/kms")["Body"].read() == b"kms" * 30_000
    assert s3s.get_object(Bucket="fx-c", Key="new/sse-c", **ssec)["Body"].read() == b"c" * 70_000
