"""`coffer keys rotate`: a new SSE-S3 root key version re-seals every data key (objects and
in-progress uploads) without rewriting object data; everything written before keeps reading,
and an upload begun before the rotation completes after it."""

import json
import os
import subprocess

import boto3
import pytest
from botocore.config import Config

pytestmark = pytest.mark.leveldb_only("coffer keys rotate|status work on the data dir's LevelDB store (and the test measures DIR/db)")

MiB = 1024 * 1024


def _boto(server):
    return boto3.client("s3", endpoint_url=server.http_url, aws_access_key_id=server.root[0],
                        aws_secret_access_key=server.root[1], region_name="us-east-1",
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def db_bytes(server) -> int:
    db = os.path.join(server.data_dir, "db")
    return sum(os.path.getsize(os.path.join(db, name)) for name in os.listdir(db))


def keys(server, *args):
    return subprocess.run([server.binary, "keys", *args, "--data-dir", server.data_dir, "--format", "json"],
                          capture_output=True, text=True, timeout=120)


def test_rotation_reseals_data_keys_and_everything_keeps_reading(server_factory):
    server = server_factory().start()
    s3 = _boto(server)
    s3.create_bucket(Bucket="rotating")
    small = os.urandom(70_000)
    s3.put_object(Bucket="rotating", Key="small", Body=small)
    part1 = os.urandom(5 * MiB)
    upload = s3.create_multipart_upload(Bucket="rotating", Key="in-progress")["UploadId"]
    etag1 = s3.upload_part(Bucket="rotating", Key="in-progress", UploadId=upload, PartNumber=1, Body=part1)["ETag"]
    # Built-in KMS key material is sealed under the root key too: a key with two versions.
    kms = boto3.client("kms", endpoint_url=server.http_url, aws_access_key_id=server.root[0],
                       aws_secret_access_key=server.root[1], region_name="us-east-1")
    kms_key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.rotate_key_on_demand(KeyId=kms_key)
    blob = kms.encrypt(KeyId=kms_key, Plaintext=b"under kms", EncryptionContext={"c": "1"})["CiphertextBlob"]
    s3.put_object(Bucket="rotating", Key="kms", Body=b"kms object", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key)

    refused = keys(server, "rotate")  # the server still holds the store
    assert refused.returncode != 0 and "stop it first" in refused.stderr

    assert server.stop() == 0, server.log_tail()
    db_bytes_before = db_bytes(server)
    before = json.loads(keys(server, "status").stdout)
    assert before["currentVersion"] == 1 and before["recordsByVersion"] == {"1": 2, "sse-kms": 1}

    rotated = keys(server, "rotate")
    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    assert report == {"previousVersion": 1, "currentVersion": 2, "objectsResealed": 1, "uploadsResealed": 1, "kmsKeyVersionsResealed": 2}
    after = json.loads(keys(server, "status").stdout)
    assert after["versions"] == [1, 2] and after["recordsByVersion"] == {"2": 2, "sse-kms": 1}
    key_file = os.path.join(server.data_dir, "keys", "sse-s3-root-keys.json")
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    assert len(json.load(open(key_file))["keys"]) == 2
    # Object data was not rewritten: the store grew by a few records, not by another copy of
    # the 5 MiB of packages.
    assert db_bytes(server) < db_bytes_before + 1 * MiB

    server.start()
    s3 = _boto(server)
    assert s3.get_object(Bucket="rotating", Key="small")["Body"].read() == small
    assert s3.get_object(Bucket="rotating", Key="kms")["Body"].read() == b"kms object"
    kms = boto3.client("kms", endpoint_url=server.http_url, aws_access_key_id=server.root[0],
                       aws_secret_access_key=server.root[1], region_name="us-east-1")
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "1"})["Plaintext"] == b"under kms"
    part2 = os.urandom(1000)
    etag2 = s3.upload_part(Bucket="rotating", Key="in-progress", UploadId=upload, PartNumber=2, Body=part2)["ETag"]
    s3.complete_multipart_upload(Bucket="rotating", Key="in-progress", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag1}, {"PartNumber": 2, "ETag": etag2}]})
    assert s3.get_object(Bucket="rotating", Key="in-progress")["Body"].read() == part1 + part2
    s3.put_object(Bucket="rotating", Key="new", Body=b"sealed under v2")
    assert server.stop() == 0

    again = json.loads(keys(server, "rotate").stdout)
    assert again["currentVersion"] == 3 and again["objectsResealed"] == 3
    server.start()
    s3 = _boto(server)
    for key, body in (("small", small), ("in-progress", part1 + part2), ("new", b"sealed under v2")):
        assert s3.get_object(Bucket="rotating", Key=key)["Body"].read() == body
