"""`coffer backup` and `coffer restore` (docs/backup.md) with the real binary: a server holding
objects in all three SSE modes, a multipart object and a KMS key is backed up while a writer
keeps writing (through the admin socket) and once stopped; each backup is restored into a new
data dir, a server started on it serves every object acknowledged before the backup began,
byte for byte, and the restored trail verifies. Secrets stay out of a backup unless asked
for, a restore without the root keys is refused, and so is a backup with a byte changed or a
file removed (issue 12, item 4)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import stat
import subprocess
import threading

import pytest

from conftest import Coffer, kms_client
from test_audit import audit_read, run_audit

pytestmark = pytest.mark.leveldb_only("coffer backup and restore copy a LevelDB data dir and drive the admin socket, which --storage rados has not")

SSE_C_KEY = bytes(range(32))
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}
SECRETS = {"keys/sse-s3-root-keys.json", "keys/audit-digest-ed25519.key", "root-credentials.json"}
MIB = 1024 * 1024


def coffer_cli(binary: str, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    r = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check:
        assert r.returncode == 0, f"coffer {' '.join(args)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def start(server_factory, tmp_path, data_dir: str | None = None) -> Coffer:
    p = server_factory(data_dir=data_dir).start()
    return Coffer(p, p.binary, str(tmp_path), p.users_file)


def load(coffer: Coffer, bucket: str) -> dict[str, tuple[bytes, dict]]:
    """Objects in every SSE mode, a multipart object and a KMS key: {key: (body, GET extras)}."""
    s3, s3_tls = coffer.client(), coffer.client("https")
    s3.create_bucket(Bucket=bucket)
    key_id = kms_client(coffer).create_key(Description="backup test")["KeyMetadata"]["KeyId"]
    objects: dict[str, tuple[bytes, dict]] = {}

    def put(key: str, body: bytes, client=s3, get_extra: dict | None = None, **extra) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=body, **extra)
        objects[key] = (body, get_extra or {})

    put("sse-s3.bin", os.urandom(200_000), ServerSideEncryption="AES256")
    put("sse-kms.bin", os.urandom(150_000), ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    put("sse-c.bin", os.urandom(100_000), client=s3_tls, get_extra=SSE_C, **SSE_C)
    put("empty", b"")
    parts = [os.urandom(5 * MIB), os.urandom(MIB + 17)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multipart.bin", ServerSideEncryption="AES256")
    etags = [s3.upload_part(Bucket=bucket, Key="multipart.bin", UploadId=upload["UploadId"], PartNumber=n + 1, Body=part)["ETag"]
             for n, part in enumerate(parts)]
    s3.complete_multipart_upload(Bucket=bucket, Key="multipart.bin", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": [{"ETag": e, "PartNumber": n + 1} for n, e in enumerate(etags)]})
    objects["multipart.bin"] = (b"".join(parts), {})
    objects["@kms-key"] = (key_id.encode(), {})
    return objects


def check_objects(coffer: Coffer, bucket: str, objects: dict[str, tuple[bytes, dict]]) -> None:
    """Every object reads back byte for byte (SSE-C over HTTPS with its key); the KMS key is there."""
    s3, s3_tls = coffer.client(), coffer.client("https")
    for key, (body, extra) in objects.items():
        if key == "@kms-key":
            meta = kms_client(coffer).describe_key(KeyId=body.decode())["KeyMetadata"]
            assert meta["KeyState"] == "Enabled", meta
            continue
        client = s3_tls if extra else s3
        got = client.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        assert got == body, f"{key}: {len(got)} bytes read back, {len(body)} written"


def every_listed_object_has_its_record(coffer: Coffer, bucket: str) -> None:
    listed = {o["Key"] for page in coffer.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
              for o in page.get("Contents", [])}
    recorded = {r["requestParameters"].get("key") for r in audit_read(coffer.binary, coffer.data_dir, "--bucket", bucket)
                if r["eventName"] in ("PutObject", "CompleteMultipartUpload") and "errorCode" not in r}
    missing = sorted(listed - recorded)
    assert not missing, f"objects of the restored store without a record: {missing[:10]} ({len(missing)})"


def manifest(backup: str) -> dict:
    with open(os.path.join(backup, "manifest.json")) as f:
        return json.load(f)


def files_in(directory: str) -> set[str]:
    return {os.path.relpath(os.path.join(d, n), directory) for d, _, names in os.walk(directory) for n in names}


class Writer:
    """A thread doing PUTs until stopped; `acked` holds every acknowledged write."""

    def __init__(self, coffer: Coffer, bucket: str):
        self.s3 = coffer.client(cached=False)
        self.bucket = bucket
        self.acked: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.progress = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            key, body = f"w-{i:05d}", os.urandom(i % 5 * 20_000)
            try:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
            except Exception as e:  # noqa: BLE001 - reported by wait_for
                self.error = e
                with self.lock:
                    self.progress.notify_all()
                return
            with self.lock:
                self.acked[key] = body
                self.progress.notify_all()
            i += 1

    def wait_for(self, count: int, timeout: float = 120) -> None:
        with self.lock:
            assert self.progress.wait_for(lambda: len(self.acked) >= count or self.error, timeout=timeout), "the writer made no progress"
        assert self.error is None, f"the writer failed: {self.error}"

    def snapshot(self) -> dict[str, bytes]:
        with self.lock:
            return dict(self.acked)


def test_backup_of_a_running_server_while_a_writer_writes(server_factory, tmp_path, coffer_binary):
    coffer = start(server_factory, tmp_path)
    objects = load(coffer, "held")
    socket_path = os.path.join(coffer.data_dir, "admin.sock")
    assert stat.S_ISSOCK(os.stat(socket_path).st_mode)
    assert stat.S_IMODE(os.stat(socket_path).st_mode) == 0o600

    coffer.client().create_bucket(Bucket="written")
    writer = Writer(coffer, "written")
    writer.thread.start()
    writer.wait_for(5)
    before = writer.snapshot()
    backup = str(tmp_path / "backup-online")
    r = coffer_cli(coffer_binary, "backup", "--data-dir", coffer.data_dir, "--to", backup, "--include-root-keys", "--format", "json")
    writer.wait_for(len(before) + 3)  # the writer kept writing while the backup ran
    writer.stop.set()
    writer.thread.join()
    coffer.server.stop()

    summary = json.loads(r.stdout)
    assert summary["takenFrom"] == "runningServer" and summary["destination"] == backup
    assert summary["database"]["records"]["objects"] >= len(objects) - 1 + len(before)
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o700
    assert not os.path.exists(socket_path), "the admin socket outlived the server"
    assert all(m["state"] in ("included", "absent") for m in manifest(backup)["secrets"])

    restored = str(tmp_path / "restored-online")
    coffer_cli(coffer_binary, "restore", "--from", backup, "--data-dir", restored)
    assert stat.S_IMODE(os.stat(restored).st_mode) == 0o700
    assert "clean: no findings" in coffer_cli(coffer_binary, "fsck", "--data-dir", restored).stdout
    back = start(server_factory, tmp_path, data_dir=restored)
    check_objects(back, "held", objects)
    s3 = back.client()
    for key, body in before.items():
        assert s3.get_object(Bucket="written", Key=key)["Body"].read() == body, key
    # What the restored store holds beyond them was acknowledged too (the snapshot took whole
    # writes only), and reads back exactly.
    acked = writer.snapshot()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="written"):
        for o in page.get("Contents", []):
            assert o["Key"] in acked, o["Key"]
            assert s3.get_object(Bucket="written", Key=o["Key"])["Body"].read() == acked[o["Key"]], o["Key"]
    every_listed_object_has_its_record(back, "written")
    back.server.stop()
    run_audit(coffer_binary, "verify", "--data-dir", restored)
    coffer_cli(coffer_binary, "fsck", "--data-dir", restored)


def test_backup_of_a_stopped_server_with_the_root_keys_kept_apart(server_factory, tmp_path, coffer_binary):
    coffer = start(server_factory, tmp_path)
    objects = load(coffer, "held")
    coffer.server.stop()
    source = coffer.data_dir
    backup = str(tmp_path / "backup-offline")
    r = coffer_cli(coffer_binary, "backup", "--data-dir", source, "--to", backup)
    assert "stopped data dir" in r.stdout and "--root-keys" in r.stdout, r.stdout

    # Without --include-root-keys no secret is in the backup; the manifest says how to restore.
    held = files_in(backup)
    assert not (held & SECRETS) and not any(p.startswith("tls/") for p in held), sorted(held)
    assert "keys/audit-digest-ed25519.pub" in held
    states = {s["path"]: s["state"] for s in manifest(backup)["secrets"]}
    assert all(states[p] == "leftOut" for p in SECRETS), states
    assert {f["path"] for f in manifest(backup)["files"]} == held - {"manifest.json"}

    # A restore without the root keys is refused and leaves nothing behind.
    refused = str(tmp_path / "refused")
    r = coffer_cli(coffer_binary, "restore", "--from", backup, "--data-dir", refused, "--new-audit-signing-key", check=False)
    assert r.returncode != 0 and "--root-keys FILE" in r.stderr and "root keys" in r.stderr, r.stderr
    assert not os.path.exists(refused)

    restored = str(tmp_path / "restored-offline")
    coffer_cli(coffer_binary, "restore", "--from", backup, "--data-dir", restored,
               "--root-keys", os.path.join(source, "keys", "sse-s3-root-keys.json"),
               "--audit-signing-key", os.path.join(source, "keys", "audit-digest-ed25519.key"))
    for secret in ("keys/sse-s3-root-keys.json", "keys/audit-digest-ed25519.key", "root-credentials.json"):
        assert stat.S_IMODE(os.stat(os.path.join(restored, secret)).st_mode) == 0o600, secret
    assert "clean: no findings" in coffer_cli(coffer_binary, "fsck", "--data-dir", restored).stdout
    back = start(server_factory, tmp_path, data_dir=restored)
    check_objects(back, "held", objects)
    back.server.stop()
    run_audit(coffer_binary, "verify", "--data-dir", restored)
    coffer_cli(coffer_binary, "fsck", "--data-dir", restored)


def test_a_damaged_backup_is_refused_naming_the_file(server_factory, tmp_path, coffer_binary):
    coffer = start(server_factory, tmp_path)
    coffer.client().create_bucket(Bucket="damaged")
    coffer.client().put_object(Bucket="damaged", Key="k", Body=os.urandom(300_000))
    coffer.server.stop()
    backup = str(tmp_path / "backup")
    coffer_cli(coffer_binary, "backup", "--data-dir", coffer.data_dir, "--to", backup, "--include-root-keys")
    coffer_cli(coffer_binary, "restore", "--from", backup, "--check")
    files = sorted(manifest(backup)["files"], key=lambda f: -f["bytes"])

    changed = str(tmp_path / "changed")
    shutil.copytree(backup, changed)
    victim = files[0]["path"]  # the largest: a table or log of the database
    with open(os.path.join(changed, victim), "r+b") as f:
        f.seek(files[0]["bytes"] // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))

    removed = str(tmp_path / "removed")
    shutil.copytree(backup, removed)
    gone = next(f["path"] for f in files if f["path"].startswith("audit/"))
    os.remove(os.path.join(removed, gone))

    for damaged, name in ((changed, victim), (removed, gone)):
        target = str(tmp_path / ("restored-" + os.path.basename(damaged)))
        r = coffer_cli(coffer_binary, "restore", "--from", damaged, "--data-dir", target, check=False)
        assert r.returncode != 0 and name in r.stderr and "nothing was restored" in r.stderr, r.stderr
        assert not os.path.exists(target)
        r = coffer_cli(coffer_binary, "restore", "--from", damaged, "--check", check=False)
        assert r.returncode != 0 and name in r.stderr, r.stderr


def admin_request(socket_path: str, method: str, path: str, body: bytes) -> tuple[int, dict]:
    """One HTTP request over the admin socket."""
    conn = http.client.HTTPConnection("localhost", timeout=120)
    conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.sock.connect(socket_path)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else {}
    finally:
        conn.close()


def test_the_admin_socket_answers_json(server_factory, tmp_path, coffer_binary):
    coffer = start(server_factory, tmp_path)
    socket_path = os.path.join(coffer.data_dir, "admin.sock")
    status, answer = admin_request(socket_path, "POST", "/v1/backup", b"not json")
    assert status == 400 and answer["error"]["code"] == "invalidRequest", answer
    status, answer = admin_request(socket_path, "POST", "/v1/backup", json.dumps({"to": "relative/path"}).encode())
    assert status == 400 and "absolute" in answer["error"]["message"], answer
    status, answer = admin_request(socket_path, "POST", "/v1/backup", json.dumps({"to": coffer.data_dir + "/inside"}).encode())
    assert status == 400 and answer["error"]["code"] == "invalidDestination", answer
    backup = str(tmp_path / "raw")
    status, answer = admin_request(socket_path, "POST", "/v1/backup", json.dumps({"to": backup, "includeRootKeys": False}).encode())
    assert status == 200 and answer["destination"] == backup and answer["takenFrom"] == "runningServer", answer

    # The CLI reports the server's refusal.
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")
    r = coffer_cli(coffer_binary, "backup", "--data-dir", coffer.data_dir, "--to", str(full), check=False)
    assert r.returncode != 0 and "not an empty directory" in r.stderr, r.stderr
    coffer.server.stop()
