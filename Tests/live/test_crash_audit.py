"""kill -9 during concurrent writes: after every restart, each write that committed (an object
in the listing, whether or not its PUT was acknowledged) has its success record in the audit
trail, every acknowledged write reads back exactly, and the trail verifies (issue 12)."""

import os
import random
import threading
import time

from conftest import Coffer
from test_audit import audit_read, run_audit


def writers(coffer: Coffer, bucket: str, prefix: str, acked: dict, until: float,
            enough: int, busy: threading.Event) -> list[threading.Thread]:
    """Six writers until `until`; `busy` is set once `enough` writes of this cycle were acknowledged."""
    lock = threading.Lock()
    done = [0]

    def run(w: int) -> None:
        s3 = coffer.client(cached=False)  # one attempt: a write cut by the kill is not retried
        rng = random.Random(w)
        i = 0
        while time.monotonic() < until:
            key = f"{prefix}-w{w}-{i}"
            body = os.urandom(rng.choice([0, 100, 5000, 70_000, 300_000]))
            try:
                if i % 7 == 3:
                    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "seed"})
                    body = b"seed body"
                else:
                    s3.put_object(Bucket=bucket, Key=key, Body=body)
            except Exception:
                return  # the server went away
            acked[key] = body
            i += 1
            with lock:
                done[0] += 1
                if done[0] >= enough:
                    busy.set()
    return [threading.Thread(target=run, args=(w,)) for w in range(6)]


def test_every_committed_write_has_its_record_after_kill_9(server_factory, tmp_path, coffer_binary):
    acked: dict[str, bytes] = {}
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
            recorded = {r["requestParameters"].get("key") for r in audit_read(coffer_binary, server.data_dir, "--bucket", bucket)
                        if r["eventName"] in ("PutObject", "CopyObject") and "errorCode" not in r}
            missing = sorted(committed - recorded - {"seed"})
            assert not missing, f"cycle {cycle}: committed without a record: {missing[:10]} ({len(missing)})"
            for key, body in acked.items():
                assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
        # Kill once the writers are in full swing: after a random number of acknowledged
        # writes, so the kill lands at a different point of the load each cycle.
        busy = threading.Event()
        threads = writers(coffer, bucket, f"c{cycle}", acked, time.monotonic() + 120, random.randint(40, 160), busy)
        for t in threads:
            t.start()
        assert busy.wait(timeout=90), "the writers made no progress"
        server.kill()
        for t in threads:
            t.join()
        assert any(k.startswith(f"c{cycle}-") for k in acked), "no write was acknowledged in this cycle"
    server = server_factory().start()
    server.stop()
    run_audit(coffer_binary, "verify", "--data-dir", server.data_dir)
