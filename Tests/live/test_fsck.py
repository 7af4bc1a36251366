"""`coffer fsck` (issue 12, item 3) against data directories the real server wrote: boto3
writes in all three SSE modes, a multipart upload and an empty object; with the server stopped
fsck checks clean (exit 0); a copy of the directory with bytes flipped inside a table file, or
a table file deleted, makes it report what is wrong (exit 1) instead of crashing; a running
server's directory makes it refuse (exit 2). Its output never holds object plaintext."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import Coffer, kms_client

pytestmark = pytest.mark.leveldb_only("coffer fsck of a data dir's LevelDB store, with table files damaged in copies of DIR/db")

BUCKET = "fsck-live"
MARKER = b"fsck-live-plaintext-marker "
SSEC_KEY = bytes(range(32))
MiB = 1024 * 1024


def body(size: int) -> bytes:
    return (MARKER * (size // len(MARKER) + 1))[:size]


def fsck(binary: str, data_dir: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COFFER_", "AWS_"))}
    done = subprocess.run([binary, "fsck", "--data-dir", data_dir, *args], capture_output=True, timeout=600, env=env)
    for stream in (done.stdout, done.stderr):
        assert MARKER.strip() not in stream, "fsck printed object plaintext"
    done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()
    return done


def populate(coffer: Coffer) -> None:
    """Every encryption mode, a completed and an unfinished multipart upload, an empty object."""
    s3 = coffer.client(cached=False)
    s3s = coffer.client("https", cached=False)  # SSE-C keys travel over HTTPS only
    s3.create_bucket(Bucket=BUCKET)
    key_id = kms_client(coffer).create_key(Description="fsck")["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=BUCKET, Key="sse-s3", Body=body(300_000))
    s3.put_object(Bucket=BUCKET, Key="empty", Body=b"")
    s3.put_object(Bucket=BUCKET, Key="sse-kms", Body=body(70_000), ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=BUCKET, Key="sse-kms-bucket-key", Body=body(100_000), ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key_id, BucketKeyEnabled=True)
    s3s.put_object(Bucket=BUCKET, Key="sse-c", Body=body(140_000), SSECustomerAlgorithm="AES256", SSECustomerKey=SSEC_KEY)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="multipart", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    parts = []
    for number, data in ((1, body(5 * MiB)), (2, body(1_000))):
        etag = s3.upload_part(Bucket=BUCKET, Key="multipart", UploadId=upload["UploadId"], PartNumber=number, Body=data)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=BUCKET, Key="multipart", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    unfinished = s3.create_multipart_upload(Bucket=BUCKET, Key="unfinished")
    s3.upload_part(Bucket=BUCKET, Key="unfinished", UploadId=unfinished["UploadId"], PartNumber=1, Body=body(10_000))


def copy_data_dir(source: str, target: str) -> str:
    shutil.copytree(source, target)
    return target


def test_fsck_clean_then_damaged(server_factory, tmp_path, coffer_binary):
    server = server_factory().start()
    populate(Coffer(server, server.binary, str(tmp_path), server.users_file))

    running = fsck(coffer_binary, server.data_dir)
    assert running.returncode == 2, running
    assert "a server is running" in running.stderr and "--online" in running.stderr, running.stderr
    # ... which checks the running server's own snapshot, over its admin socket.
    online = fsck(coffer_binary, server.data_dir, "--online")
    assert online.returncode == 0 and "clean: no findings" in online.stdout, online.stdout + online.stderr
    live = json.loads(fsck(coffer_binary, server.data_dir, "--online", "--json").stdout)
    assert live["mode"] == "online" and live["counts"]["objects"] == 6 and live["counts"]["packagesOpened"] > 0

    assert server.stop() == 0
    clean = fsck(coffer_binary, server.data_dir)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "clean: no findings" in clean.stdout
    report = json.loads(fsck(coffer_binary, server.data_dir, "--json").stdout)
    assert report["findingCounts"] == {}
    assert report["counts"]["objects"] == 6 and report["counts"]["uploads"] == 1 and report["counts"]["parts"] == 1
    assert report["notOpened"]["sseC"] == 1
    assert report["counts"]["auditNotes"] == 0, "a clean stop leaves no audit note behind"
    assert report["counts"]["packagesOpened"] > 0 and report["counts"]["auditRecords"] > 0
    assert not glob.glob(os.path.join(server.data_dir, ".fsck-*")), "fsck left its view behind"

    # A start and a stop turn LevelDB's log into table files; those are what gets damaged.
    server = server_factory().start()
    assert server.stop() == 0
    tables = sorted(glob.glob(os.path.join(server.data_dir, "db", "*.ldb")), key=os.path.getsize)
    assert tables

    flipped = copy_data_dir(server.data_dir, str(tmp_path / "flipped"))
    largest = os.path.join(flipped, "db", os.path.basename(tables[-1]))
    with open(largest, "r+b") as f:
        f.seek(os.path.getsize(largest) // 2)
        chunk = f.read(64)
        f.seek(-64, os.SEEK_CUR)
        f.write(bytes(b ^ 0xFF for b in chunk))
    damaged = fsck(coffer_binary, flipped)
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert "FINDING storeUnreadable" in damaged.stdout and f"bucket={BUCKET}" in damaged.stdout, damaged.stdout
    assert "checksum" in damaged.stdout

    deleted = copy_data_dir(server.data_dir, str(tmp_path / "deleted"))
    missing = os.path.basename(tables[0])
    os.remove(os.path.join(deleted, "db", missing))
    gone = fsck(coffer_binary, deleted)
    assert gone.returncode == 1, gone.stdout + gone.stderr
    assert "the database could not be opened" in gone.stdout and missing in gone.stdout, gone.stdout
    assert ".fsck-" not in gone.stdout, "the message names fsck's view instead of the database"
    assert "audit:" in gone.stdout and "records" in gone.stdout  # the trail is still checked

    # A MANIFEST cut in half: `coffer serve` would refuse the store, and fsck says so.
    cut = copy_data_dir(server.data_dir, str(tmp_path / "cut"))
    manifest = glob.glob(os.path.join(cut, "db", "MANIFEST-*"))[0]
    os.truncate(manifest, os.path.getsize(manifest) // 2)
    refused = fsck(coffer_binary, cut)
    assert refused.returncode == 1 and "refuses it before opening" in refused.stdout, refused.stdout + refused.stderr

    # A table file the MANIFEST does not list (a crash mid-compaction leaves such): a notice,
    # the file left where it is.
    unlisted = copy_data_dir(server.data_dir, str(tmp_path / "unlisted"))
    shutil.copy(os.path.join(unlisted, "db", os.path.basename(tables[0])), os.path.join(unlisted, "db", "999999.ldb"))
    noticed = fsck(coffer_binary, unlisted)
    assert noticed.returncode == 0 and "999999.ldb" in noticed.stdout, noticed.stdout + noticed.stderr
    assert os.path.exists(os.path.join(unlisted, "db", "999999.ldb"))

    # The original directory checks clean still: fsck changed nothing in it.
    assert fsck(coffer_binary, server.data_dir).returncode == 0
