"""A damaged store (issue 12): bytes zeroed inside LevelDB's table files of a real data dir.
The server must start, answer every undamaged object exactly, answer a damaged small object
or range with 500 InternalError, cut a damaged streamed body short, log which object and
package is damaged, and keep serving. Never an abort, never wrong bytes with a 200."""

import glob
import json
import os
import shutil
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import Coffer
from test_audit import audit_read

pytestmark = pytest.mark.leveldb_only("damages LevelDB's table files, MANIFEST and CURRENT in DIR/db, and serve --recover repairs a LevelDB store")

SMALL, LARGE = 20_000, 300_000


def body(i: int, size: int) -> bytes:
    return (f"object {i} ".encode() * (size // 8 + 1))[:size]


def zero_inside_every_table(db_dir: str) -> int:
    tables = glob.glob(os.path.join(db_dir, "*.ldb"))
    for path in tables:
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.seek(size // 2)
            f.write(b"\0" * 4096)
    return len(tables)


def test_damaged_tables_are_errors_not_crashes(server_factory, tmp_path, coffer_binary):
    server = server_factory().start()
    coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
    s3 = coffer.client(cached=False)
    s3.create_bucket(Bucket="damaged")
    objects = {f"small-{i:02d}": body(i, SMALL) for i in range(30)}
    objects |= {f"large-{i:02d}": body(i, LARGE) for i in range(40)}
    for key, data in objects.items():
        s3.put_object(Bucket="damaged", Key=key, Body=data)
    server.stop()
    # Restarting once turns the log into a table file; then damage every table.
    server = server_factory().start()
    server.stop()
    assert zero_inside_every_table(os.path.join(server.data_dir, "db")) > 0
    fsck_finds(server.binary, server.data_dir, "FINDING", "bucket=damaged")
    log_start = os.path.getsize(server.log_path)

    server = server_factory().start()
    coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
    s3 = coffer.client(cached=False)
    outcomes = {"exact": 0, "500": 0, "cut": 0}
    failed = set()
    for key, data in objects.items():
        for kw, expected in (({}, data), ({"Range": "bytes=0-99"}, data[:100])):
            try:
                got = s3.get_object(Bucket="damaged", Key=key, **kw)["Body"].read()
            except ClientError as e:
                assert (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]) == (500, "InternalError")
                outcomes["500"] += 1
                failed.add(key)
                continue
            except Exception:  # a streamed body cut short after its 200 (large objects only)
                assert key.startswith("large-") and not kw
                outcomes["cut"] += 1
                failed.add(key)
                continue
            assert got == expected, f"{key} {kw}: wrong bytes with a 200"
            outcomes["exact"] += 1
    assert server.alive(), server.log_tail()
    assert outcomes["exact"] > 0 and failed, outcomes
    # Every failure is named in the log: bucket, key, package.
    with open(server.log_path, "rb") as log:
        log.seek(log_start)
        text = log.read().decode(errors="replace")
    assert "Assertion" not in text and "[CofferServer] internal error" not in text
    for key in failed:
        assert f"key={key} " in text and "damaged object" in text, key
    server.stop()
    # ... and in the audit trail: an error record per failed read, naming the package.
    damaged = [r for r in audit_read(coffer_binary, server.data_dir, "--bucket", "damaged")
               if r["eventName"] == "GetObject" and r.get("errorCode") == "InternalError"]
    assert {r["requestParameters"]["key"] for r in damaged} == failed
    assert all(r["errorMessage"].startswith("Damaged object: package ") for r in damaged), damaged[:3]


def test_a_truncated_manifest_is_refused_and_nothing_is_deleted(server_factory, tmp_path, coffer_binary):
    """A MANIFEST cut in half used to open as an empty or older store, after which LevelDB
    deleted every table it no longer knew. Now the server refuses to start, says why, and
    leaves every file as it was."""
    server = server_factory().start()
    coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
    s3 = coffer.client(cached=False)
    s3.create_bucket(Bucket="kept")
    for i in range(40):
        s3.put_object(Bucket="kept", Key=f"k{i}", Body=body(i, LARGE))
    server.stop()
    server = server_factory().start()  # the log becomes a table
    server.stop()
    db = os.path.join(server.data_dir, "db")
    tables = {p: open(p, "rb").read() for p in glob.glob(os.path.join(db, "*.ldb"))}
    assert tables
    manifest = glob.glob(os.path.join(db, "MANIFEST-*"))[0]
    os.truncate(manifest, os.path.getsize(manifest) // 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COFFER_", "AWS_"))}
    done = subprocess.run([coffer_binary, "serve", "--data-dir", server.data_dir, "--http-address", "127.0.0.1:0",
                           "--https-address", "127.0.0.1:0"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode != 0
    assert "is damaged and was not opened" in done.stderr and "Nothing in it was deleted" in done.stderr, done.stderr
    assert {p: open(p, "rb").read() for p in glob.glob(os.path.join(db, "*.ldb"))} == tables
    fsck_finds(coffer_binary, server.data_dir, "refuses it before opening")
    assert {p: open(p, "rb").read() for p in glob.glob(os.path.join(db, "*.ldb"))} == tables


def fsck_finds(coffer_binary: str, data_dir: str, *needles: str) -> None:
    """`coffer fsck` reports the damage (exit 1) and names it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COFFER_", "AWS_"))}
    done = subprocess.run([coffer_binary, "fsck", "--data-dir", data_dir], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    for needle in needles:
        assert needle in done.stdout, done.stdout


def serve_once(coffer_binary: str, data_dir: str) -> subprocess.CompletedProcess:
    """`coffer serve` on `data_dir` expected to refuse: its exit and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COFFER_", "AWS_"))}
    return subprocess.run([coffer_binary, "serve", "--data-dir", data_dir, "--http-address", "127.0.0.1:0",
                           "--https-address", "127.0.0.1:0"], capture_output=True, text=True, timeout=60, env=env)


def test_recover_repairs_a_copy_and_serves_everything_back(server_factory, tmp_path, coffer_binary):
    """After the truncated-MANIFEST refusal, `coffer serve --recover` repairs a copy: every
    object comes back (LevelDB's repair reads every table and log in the directory), the report
    says so, and the damaged original is kept beside it."""
    server = server_factory().start()
    coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
    s3 = coffer.client(cached=False)
    s3.create_bucket(Bucket="kept")
    objects = {f"k{i}": body(i, LARGE) for i in range(30)}
    for key, data in objects.items():
        s3.put_object(Bucket="kept", Key=key, Body=data)
    server.stop()
    server = server_factory().start()  # the log becomes a table
    server.stop()
    db = os.path.join(server.data_dir, "db")
    manifest = glob.glob(os.path.join(db, "MANIFEST-*"))[0]
    os.truncate(manifest, os.path.getsize(manifest) // 2)
    assert serve_once(coffer_binary, server.data_dir).returncode != 0

    log_start = os.path.getsize(server.log_path)
    server = server_factory()
    server.extra_args = ["--recover"]
    server.start()
    coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
    s3 = coffer.client(cached=False)
    for key, data in objects.items():
        assert s3.get_object(Bucket="kept", Key=key)["Body"].read() == data, key
    server.stop()
    with open(server.log_path, "rb") as log:
        log.seek(log_start)
        text = log.read().decode(errors="replace")
    assert "recovery: brought back 1 buckets, 30 objects" in text, text[-3000:]
    assert "every object that came back has all its packages" in text
    assert "every object the audit trail knows of came back" in text
    damaged = glob.glob(os.path.join(server.data_dir, "db.damaged-*"))
    assert len(damaged) == 1 and glob.glob(os.path.join(damaged[0], "*.ldb")), "the damaged original is kept"
    # The repaired store serves again without --recover.
    server = server_factory().start()
    assert Coffer(server, server.binary, str(tmp_path), server.users_file).client(cached=False).head_object(Bucket="kept", Key="k0")
    server.stop()


def test_an_older_database_put_back_is_refused_and_recover_names_what_is_lost(server_factory, tmp_path, coffer_binary):
    """`db/` replaced by an older copy of itself opens cleanly in LevelDB, as a smaller store:
    the store identity record refuses it. `--recover` then serves what the old copy holds and
    names, from the audit trail, the objects it lacks."""
    server = server_factory().start()
    coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
    s3 = coffer.client(cached=False)
    s3.create_bucket(Bucket="older")
    s3.put_object(Bucket="older", Key="early", Body=b"early")
    server.stop()
    db = os.path.join(server.data_dir, "db")
    old_copy = str(tmp_path / "db-old")
    shutil.copytree(db, old_copy)
    server = server_factory().start()
    s3 = Coffer(server, server.binary, str(tmp_path), server.users_file).client(cached=False)
    s3.put_object(Bucket="older", Key="late", Body=b"late")
    server.stop()
    shutil.rmtree(db)
    shutil.copytree(old_copy, db)
    identity_path = os.path.join(server.data_dir, "store-identity.json")
    store_id = json.load(open(identity_path))["storeId"]

    done = serve_once(coffer_binary, server.data_dir)
    assert done.returncode != 0
    assert "holds less than this store had" in done.stderr and "coffer serve --recover" in done.stderr, done.stderr
    assert os.listdir(db) and "late" not in str(os.listdir(db))
    fsck_finds(coffer_binary, server.data_dir, "holds less than this store had")

    log_start = os.path.getsize(server.log_path)
    server = server_factory()
    server.extra_args = ["--recover"]
    server.start()
    s3 = Coffer(server, server.binary, str(tmp_path), server.users_file).client(cached=False)
    assert s3.get_object(Bucket="older", Key="early")["Body"].read() == b"early"
    server.stop()
    with open(server.log_path, "rb") as log:
        log.seek(log_start)
        text = log.read().decode(errors="replace")
    assert "1 objects the audit trail knows of did not come back: older/late" in text, text[-3000:]
    identity = json.load(open(identity_path))
    assert identity["storeId"] == store_id and identity["mark"]["nextFileNumber"] > 0


def test_a_missing_current_file_is_refused(server_factory, tmp_path, coffer_binary):
    """Without CURRENT, LevelDB would make a new, empty database over the old files."""
    server = server_factory().start()
    s3 = Coffer(server, server.binary, str(tmp_path), server.users_file).client(cached=False)
    s3.create_bucket(Bucket="current")
    server.stop()
    os.remove(os.path.join(server.data_dir, "db", "CURRENT"))
    done = serve_once(coffer_binary, server.data_dir)
    assert done.returncode != 0 and "has no CURRENT file" in done.stderr, done.stderr
    assert not os.path.exists(os.path.join(server.data_dir, "db", "CURRENT"))
    fsck_finds(coffer_binary, server.data_dir, "has no CURRENT file")
