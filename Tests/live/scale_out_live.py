"""Helpers of the scale-out live tests (test_scale_out*.py): a fresh RADOS pool per module on the
cluster that scripts/test.sh (or scripts/ceph-dev.sh) started, and `coffer serve --storage rados`
nodes over it, each with its own data dir and node name and the deployment's shared root
credentials and SSE-S3 root key."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, Coffer
from coffer_live import CofferProcess

RADOS_CONF = os.environ.get("COFFER_TEST_RADOS_CONF", "")
RADOS_USER = os.environ.get("COFFER_TEST_RADOS_USER") or "admin"
SKIP_REASON = ("COFFER_TEST_RADOS_CONF is unset: no Ceph cluster to run coffer serve --storage rados on "
               "(scripts/test.sh starts one; by hand: scripts/ceph-dev.sh up DIR; "
               'eval "$(scripts/ceph-dev.sh env DIR)")')
needs_cluster = pytest.mark.skipif(not RADOS_CONF, reason=SKIP_REASON)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def ceph(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    """The ceph CLI against the test cluster (as the same cephx user the nodes use)."""
    cmd = ["ceph", "-c", RADOS_CONF, "--id", RADOS_USER, "--connect-timeout", "10", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


class Pool:
    """A RADOS pool made for one test module: 8 PGs, one replica (the dev cluster has one OSD),
    tagged for the application `coffer` as scripts/ceph-dev.sh tags its pool `coffer` (an
    untagged pool turns the cluster's health to HEALTH_WARN). Created in about 1.5 s: the PGs
    become active while the first node starts, librados waits for them. Deleted at the end
    (the dev cluster allows it: `mon allow pool delete = true`); if deletion is refused the
    pool stays, under a name no other run uses."""

    def __init__(self, hint: str):
        hint = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:24]
        self.name = f"coffer-live-{hint}-{uuid.uuid4().hex[:8]}"

    def create(self) -> "Pool":
        ceph("osd", "pool", "create", self.name, "8", "8", "replicated")
        ceph("osd", "pool", "set", self.name, "size", "1", "--yes-i-really-mean-it")
        ceph("osd", "pool", "application", "enable", self.name, "coffer", "--yes-i-really-mean-it")
        return self

    def delete(self) -> str | None:
        """Deletes the pool; returns why not if the cluster refused."""
        r = ceph("osd", "pool", "delete", self.name, self.name, "--yes-i-really-really-mean-it", check=False)
        return None if r.returncode == 0 else (r.stderr.strip() or r.stdout.strip())


def new_root_key() -> str:
    """A fresh SSE-S3 root key as COFFER_SSE_S3_ROOT_KEY takes it: base64 of 32 bytes."""
    return base64.b64encode(os.urandom(32)).decode()


class Node(Coffer):
    """A `coffer serve --storage rados` node, wrapped like the session's server (clients, aws CLI).
    `by_env`: the storage settings come from COFFER_STORAGE, COFFER_RADOS_* and
    COFFER_NODE_NAME instead of flags (both ways are exercised)."""

    def __init__(self, binary: str, workdir: str, name: str, pool: str, root_key: str | None,
                 node_name: str | None = None, by_env: bool = False, root: tuple[str, str] = ROOT,
                 data_dir: str | None = None, extra_env: dict[str, str] | None = None,
                 rados_conf: str = RADOS_CONF, rados_user: str = RADOS_USER):
        self.name = name
        self.node_name = node_name or name
        self.pool = pool
        self.root_key = root_key
        self.by_env = by_env
        node_dir = os.path.join(workdir, name)
        os.makedirs(node_dir, exist_ok=True)
        settings = {"storage": "rados", "rados-conf": rados_conf, "rados-pool": pool, "rados-user": rados_user,
                    "node-name": self.node_name}
        env = {}
        args = []
        if by_env:
            env.update({f"COFFER_{k.upper().replace('-', '_')}": v for k, v in settings.items()})
        else:
            for k, v in settings.items():
                args += [f"--{k}", v]
        if root_key is not None:
            env["COFFER_SSE_S3_ROOT_KEY"] = root_key
        env.update(extra_env or {})
        server = CofferProcess(binary, data_dir or os.path.join(node_dir, "data"), os.path.join(node_dir, "server.log"),
                               root, extra_args=args, extra_env=env)
        super().__init__(server, binary, node_dir, os.path.join(node_dir, "no-users.json"))
        self.root = root

    def creds(self, user: str = "root") -> tuple[str, str]:
        assert user == "root", "the scale-out nodes have no users file"
        return self.root

    def start(self, timeout: float = 90) -> "Node":
        self.server.start(timeout=timeout)
        self._clients.clear()  # new ports
        self.served = True
        return self

    served = False  # started at least once: it has an audit trail in the cluster

    def log_text(self) -> str:
        try:
            with open(self.server.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Polls `predicate` until it returns a true value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Cluster:
    """Two nodes on a fresh pool: A (storage settings as flags) and B (as COFFER_* variables),
    the same root credentials and root key; `a` is replaced by a test that restarts A."""

    def __init__(self, binary: str, workdir: str, pool: Pool, root_key: str):
        self.binary = binary
        self.workdir = workdir
        self.pool = pool
        self.root_key = root_key
        self.a = Node(binary, workdir, "node-a", pool.name, root_key)
        self.b = Node(binary, workdir, "node-b", pool.name, root_key, by_env=True)
        self.extra: list[Node] = []

    def trail_nodes(self) -> list[str]:
        """The node names that have a trail in the cluster: those of every node that served."""
        return sorted({n.node_name for n in [self.a, self.b, *self.extra] if n.served})

    def node(self, name: str, **kw) -> Node:
        """Another node on the same pool (not started), stopped with the others."""
        root_key = kw.pop("root_key", self.root_key)
        n = Node(self.binary, self.workdir, name, self.pool.name, root_key, **kw)
        self.extra.append(n)
        return n


@contextlib.contextmanager
def two_nodes(workdir: str, binary: str, hint: str):
    """A fresh pool and nodes A and B on it, started (A first: it records the account id and
    the root key's check value, B adopts them); at the end every node gets SIGTERM (A and B
    must exit 0) and the pool is deleted."""
    pool = Pool(hint).create()
    c = Cluster(binary, os.path.join(workdir, pool.name), pool, new_root_key())
    codes = {}
    try:
        c.a.start()
        c.b.start()
        yield c
    finally:
        for n in [c.a, c.b, *c.extra]:
            try:
                codes[n.name] = n.server.stop()
            except Exception as e:  # noqa: BLE001 - reported below
                codes[n.name] = f"{type(e).__name__}: {e}"
        refusal = pool.delete()
        if refusal:
            print(f"pool {pool.name} left in the cluster: {refusal}")
    bad = {name: code for name, code in codes.items() if name in ("node-a", "node-b") and code != 0}
    assert not bad, f"nodes did not exit 0 after SIGTERM: {bad}\nA:\n{c.a.server.log_tail()}\nB:\n{c.b.server.log_tail()}"
