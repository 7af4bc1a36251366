"""kill -9 during concurrent writes: after every restart, each write that committed (an object
in the listing, whether or not its PUT was acknowledged; a key gone from the listing; an
upload or a part still listed) has its success record in the audit trail, every acknowledged
write reads back exactly, and the trail verifies (issue 12)."""

import os
import random
import threading
import time

from conftest import Coffer, store_args
from test_audit import audit_read, run_audit


def writers(coffer: Coffer, bucket: str, prefix: str, acked: dict, uncertain: dict, written: set, until: float,
            enough: int, busy: threading.Event) -> list[threading.Thread]:
    """Six writers until `until` (PUT, copy, multipart, an upload left open, DeleteObject,
    DeleteObjects); `busy` is set once `enough` writes of this cycle were acknowledged."""
    lock = threading.Lock()
    done = [0]

    def write(s3, key: str, i: int, rng: random.Random) -> None:
        body = os.urandom(rng.choice([0, 100, 5000, 70_000, 300_000]))
        if i % 7 == 3:
            s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "seed"})
            body = b"seed body"
        elif i % 11 == 5:
            upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=body)["ETag"]
            s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        elif i % 17 == 8:
            upload = s3.create_multipart_upload(Bucket=bucket, Key=f"open-{key}")["UploadId"]
            s3.upload_part(Bucket=bucket, Key=f"open-{key}", UploadId=upload, PartNumber=2, Body=body)
            return
        else:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        acked[key] = body
        written.add(key)

    def delete(s3, keys: list[str], i: int) -> None:
        keys = [k for k in keys if k in acked][:1 if i % 2 else 2]
        if not keys:
            return
        # Until the delete is acknowledged the key may or may not exist: `acked` no longer
        # promises it, `uncertain` says what it holds if it does.
        for k in keys:
            uncertain[k] = acked.pop(k)
        if i % 2:
            s3.delete_object(Bucket=bucket, Key=keys[0])
        else:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
        for k in keys:
            uncertain.pop(k)

    def run(w: int) -> None:
        s3 = coffer.client(cached=False)  # one attempt: a write cut by the kill is not retried
        rng = random.Random(w)
        i = 0
        while time.monotonic() < until:
            key = f"{prefix}-w{w}-{i}"
            try:
                if i % 5 == 4:
                    delete(s3, [f"{prefix}-w{w}-{i - 1}", f"{prefix}-w{w}-{i - 2}"], i)
                else:
                    write(s3, key, i, rng)
            except Exception:
                return  # the server went away
            i += 1
            with lock:
                done[0] += 1
                if done[0] >= enough:
                    busy.set()
    return [threading.Thread(target=run, args=(w,)) for w in range(6)]


def records(coffer_binary: str, data_dir: str, bucket: str, *names: str) -> list[dict]:
    """The success records of `names` about `bucket`."""
    return [r for r in audit_read(coffer_binary, data_dir, "--bucket", bucket)
            if r["eventName"] in names and "errorCode" not in r]


def test_every_committed_write_has_its_record_after_kill_9(server_factory, tmp_path, coffer_binary):
    acked: dict[str, bytes] = {}  # acknowledged writes not deleted since
    uncertain: dict[str, bytes] = {}  # acknowledged writes whose deletion was cut by a kill
    written: set[str] = set()  # every acknowledged write
    bucket = "crash-audit"
    for cycle in range(4):
        server = server_factory().start()
        coffer = Coffer(server, server.binary, str(tmp_path), server.users_file)
        s3 = coffer.client(cached=False)
        if cycle == 0:
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="seed", Body=b"seed body")
        else:
            # every write that committed before the kill has its record
            committed = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                         for o in page.get("Contents", [])}
            recorded = {r["requestParameters"].get("key") for r in records(
                coffer_binary, server.data_dir, bucket, "PutObject", "CopyObject", "CompleteMultipartUpload")}
            missing = sorted(committed - recorded - {"seed"})
            assert not missing, f"cycle {cycle}: committed without a record: {missing[:10]} ({len(missing)})"
            # every committed deletion of an acknowledged write has its record
            deletions = {r["requestParameters"].get("key") for r in records(
                coffer_binary, server.data_dir, bucket, "DeleteObject", "DeleteObjects")}
            missing = sorted(written - committed - deletions)
            assert not missing, f"cycle {cycle}: deleted without a record: {missing[:10]} ({len(missing)})"
            # every upload and part still listed has its record
            uploads = [u for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket)
                       for u in page.get("Uploads", [])]
            created = {r["requestParameters"].get("key") for r in records(
                coffer_binary, server.data_dir, bucket, "CreateMultipartUpload")}
            parts = {(r["requestParameters"].get("uploadId"), r["requestParameters"].get("partNumber")) for r in records(
                coffer_binary, server.data_dir, bucket, "UploadPart")}
            for upload in uploads:
                assert upload["Key"] in created, f"cycle {cycle}: upload without a record: {upload['Key']}"
                for part in s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]).get("Parts", []):
                    assert (upload["UploadId"], str(part["PartNumber"])) in parts, f"cycle {cycle}: part without a record"
            for key, body in acked.items():
                assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
            for key, body in uncertain.items():
                assert key not in committed or s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
        # Kill once the writers are in full swing: after a random number of acknowledged
        # writes, so the kill lands at a different point of the load each cycle.
        busy = threading.Event()
        threads = writers(coffer, bucket, f"c{cycle}", acked, uncertain, written, time.monotonic() + 120, random.randint(40, 160), busy)
        for t in threads:
            t.start()
        assert busy.wait(timeout=90), "the writers made no progress"
        server.kill()
        for t in threads:
            t.join()
        assert any(k.startswith(f"c{cycle}-") for k in written), "no write was acknowledged in this cycle"
    server = server_factory().start()
    server.stop()
    run_audit(coffer_binary, "verify", *store_args(server.data_dir))
