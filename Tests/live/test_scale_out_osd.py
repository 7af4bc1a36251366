"""Scale-out under an OSD restart: two `coffer serve --storage rados` nodes under a load of
writers and readers while the cluster's only OSD is stopped, kept down and started again
(`scripts/ceph-dev.sh restart-osd`). The load sees errors or waits, never wrong bytes; every
acknowledged write reads back on both nodes; the load goes on after the OSD is back; neither
node dies.

It restarts the OSD of the cluster every RADOS test shares, so conftest.py runs this module
after every other one. Runs only against a cluster made by scripts/ceph-dev.sh (scripts/test.sh
makes one), on a pool of its own."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

from coffer_live import client_error
from conftest import unique_bucket_name
from scale_out_live import RADOS_CONF, REPO, needs_cluster, two_nodes, wait_until

CEPH_DIR = os.path.dirname(RADOS_CONF) if RADOS_CONF else ""
DOWN_SECONDS = 6

pytestmark = [
    needs_cluster,
    pytest.mark.skipif(bool(RADOS_CONF) and not os.path.exists(os.path.join(CEPH_DIR, "created")),
                       reason=f"{RADOS_CONF} is not a cluster made by scripts/ceph-dev.sh: its OSD cannot be restarted by the script"),
]

PKG = 65536


@pytest.fixture(scope="module")
def cluster(workdir, coffer_binary):
    with two_nodes(workdir, coffer_binary, "scale-out-osd") as c:
        yield c


class Load:
    """Per node one writer (distinct keys, bodies of 1-3 packages) and one reader (GETs of
    writes acknowledged so far, bytes compared) until stopped. Every request's outcome is kept
    with its start and end on the monotonic clock."""

    def __init__(self, cluster, bucket: str):
        self.bucket = bucket
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: dict[str, bytes] = {}
        self.attempted: dict[str, bytes] = {}
        self.wrong: list[str] = []
        self.outcomes: list[tuple[str, str, float, float, str]] = []  # (node, op, start, end, result)
        self.nodes = {"a": cluster.a, "b": cluster.b}
        self.clients = {(n, op): node.client(cached=False) for n, node in self.nodes.items() for op in ("put", "get")}
        self.threads = [threading.Thread(target=f, args=(n,), daemon=True)
                        for n in self.nodes for f in (self.writer, self.reader)]

    def record(self, node: str, op: str, start: float, result: str) -> None:
        with self.lock:
            self.outcomes.append((node, op, start, time.monotonic(), result))

    def ok_since(self, node: str, op: str, since: float) -> int:
        with self.lock:
            return sum(1 for n, o, s, _, r in self.outcomes if n == node and o == op and s >= since and r == "ok")

    def writer(self, node: str) -> None:
        s3 = self.clients[(node, "put")]
        i = 0
        while not self.stop.is_set():
            key = f"osd/{node}/{i:05d}"
            body = os.urandom(PKG * (1 + i % 3) + i)
            with self.lock:
                self.attempted[key] = body
            start = time.monotonic()
            try:
                s3.put_object(Bucket=self.bucket, Key=key, Body=body)
            except ClientError as e:
                self.record(node, "put", start, "%d %s" % client_error(e))
            except Exception as e:  # a timeout or a reset connection: recorded, the load goes on
                self.record(node, "put", start, type(e).__name__)
            else:
                with self.lock:
                    self.acked[key] = body
                self.record(node, "put", start, "ok")
            i += 1

    def reader(self, node: str) -> None:
        s3 = self.clients[(node, "get")]
        i = 0
        while not self.stop.is_set():
            with self.lock:
                keys = sorted(self.acked)
            if not keys:
                time.sleep(0.01)
                continue
            key = keys[(i * 7919) % len(keys)]
            i += 1
            start = time.monotonic()
            try:
                got = s3.get_object(Bucket=self.bucket, Key=key)
                body = got["Body"].read()
            except ClientError as e:
                self.record(node, "get", start, "%d %s" % client_error(e))
                continue
            except Exception as e:
                self.record(node, "get", start, type(e).__name__)
                continue
            with self.lock:
                expected = self.acked[key]
            if body != expected or got["ETag"] != f'"{hashlib.md5(expected).hexdigest()}"':
                with self.lock:
                    self.wrong.append(f"{node} GET {key}: {len(body)} bytes, ETag {got['ETag']}")
                self.record(node, "get", start, "wrong bytes")
            else:
                self.record(node, "get", start, "ok")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=180)


def test_load_outlives_an_osd_restart(cluster):
    bucket = unique_bucket_name("osd-restart")
    cluster.a.client().create_bucket(Bucket=bucket)
    with Load(cluster, bucket) as load:
        t0 = time.monotonic()
        wait_until(lambda: all(load.ok_since(n, op, t0) >= 10 for n in "ab" for op in ("put", "get")), 120,
                   "10 good PUTs and GETs on each node before the restart")
        stopped_at = time.monotonic()
        r = subprocess.run([os.path.join(REPO, "scripts", "ceph-dev.sh"), "restart-osd", CEPH_DIR, str(DOWN_SECONDS)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"restart-osd failed\n{r.stdout}\n{r.stderr}"
        back_at = time.monotonic()
        # The load goes on once the OSD is back: fresh successes on both nodes, both ways.
        wait_until(lambda: all(load.ok_since(n, op, back_at) >= 10 for n in "ab" for op in ("put", "get")), 180,
                   "10 good PUTs and GETs on each node after the OSD came back")
    assert not any(t.is_alive() for t in load.threads), "a load thread is stuck"
    assert load.wrong == [], load.wrong[:5]
    assert cluster.a.server.alive() and cluster.b.server.alive()

    # The outage was seen: a request failed, or one begun while the OSD was down waited for it.
    during = [(n, op, s, e, res) for n, op, s, e, res in load.outcomes if s < back_at and e > stopped_at]
    affected = [o for o in during if o[4] != "ok" or o[3] - o[2] >= DOWN_SECONDS / 2]
    assert affected, f"no request noticed the OSD restart: {during[:10]}"
    errors = sorted({res for *_, res in load.outcomes if res != "ok"})
    print(f"\nrequests during the restart: {len(during)}, affected {len(affected)}; "
          f"longest {max(e - s for _, _, s, e, _ in during):.1f} s; errors seen: {errors or 'none'}")
    # Errors are server answers (5xx) or the client giving up; never a 4xx that blames the client.
    assert all(not res[:1] == "4" for res in errors), errors

    # Every acknowledged write reads back with its bytes on both nodes; an unacknowledged one
    # left nothing or the whole object.
    for node in (cluster.a, cluster.b):
        s3 = node.client()
        for key, body in sorted(load.acked.items()):
            assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, f"{key} on {node.name}"
    s3 = cluster.b.client()
    for key in sorted(set(load.attempted) - set(load.acked)):
        try:
            got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as e:
            assert client_error(e) == (404, "NoSuchKey"), key
        else:
            assert got == load.attempted[key], f"{key}: an unacknowledged PUT left other bytes"
