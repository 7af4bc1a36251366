"""Live test fixtures: one `coffer serve` for the session, clients for it.

Run: COFFER_BIN=/path/to/coffer python3 -m pytest -q Tests/live

With COFFER_LIVE_STORAGE=rados (and a cluster in COFFER_TEST_RADOS_CONF: scripts/test.sh starts
one; by hand `scripts/ceph-dev.sh up DIR; eval "$(scripts/ceph-dev.sh env DIR)"`) every server
the fixtures start runs `coffer serve --storage rados` instead: each data dir is a node of its
own deployment, on a fresh pool made for it, with a generated SSE-S3 root key and node name.
Tests that need the LevelDB store itself are marked `leveldb_only` and skipped in that mode.
"""

from __future__ import annotations

import base64
import glob
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import boto3
import botocore
import pytest
from botocore.config import Config

from coffer_live import CofferProcess, REGION

ROOT = ("ROOTTESTACCESSKEY001", "root-secret-key/for+tests/0123456789abcd")
ALICE = ("ALICETESTACCESSKEY01", "alice-secret-key/for+tests/0123456789abc")
BOB = ("BOBTESTACCESSKEY0001", "bob-secret-key/for+tests/0123456789abcdef")

AWS_CONFIG = """[default]
region = us-east-1
max_attempts = 1
retry_mode = standard
s3 =
  signature_version = s3v4
  addressing_style = path
"""


# Modules that disturb what every other test relies on run after all the others, in this order:
# test_scale_out_osd.py restarts the OSD of the Ceph cluster that the RADOS tests share.
RUN_LAST = ("test_scale_out_osd.py",)


def pytest_collection_modifyitems(session, config, items):
    def rank(item) -> int:
        name = os.path.basename(str(item.fspath))
        return RUN_LAST.index(name) + 1 if name in RUN_LAST else 0
    items.sort(key=rank)  # stable: everything else keeps its order


def write_users(path: str, users: list[tuple[str, tuple[str, str]]]) -> None:
    doc = {"users": [{"name": n, "accessKeyId": c[0], "secretAccessKey": c[1]} for n, c in users]}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def _stable_binary(tmp_root: str) -> str:
    """Copy COFFER_BIN aside once it is complete, so a concurrent rebuild cannot swap the
    binary under the suite (waits, bounded, while it is missing or still being written)."""
    src = os.environ.get("COFFER_BIN") or os.path.join(
        os.path.dirname(__file__), "..", "..", ".build", "debug", "coffer")
    src = os.path.abspath(src)
    deadline = time.monotonic() + 600
    last_error = "missing"
    while time.monotonic() < deadline:
        try:
            st1 = os.stat(src)
            time.sleep(2)
            st2 = os.stat(src)
            if (st1.st_size, st1.st_mtime_ns) == (st2.st_size, st2.st_mtime_ns) and st1.st_size > 0:
                dst = os.path.join(tmp_root, "coffer")
                shutil.copy2(src, dst)
                r = subprocess.run([dst, "serve", "--help"], capture_output=True, timeout=60)
                if r.returncode == 0:
                    return dst
                last_error = r.stderr.decode(errors="replace")
        except (OSError, subprocess.SubprocessError) as e:
            last_error = str(e)
        time.sleep(3)
    pytest.exit(f"coffer binary {src} not usable: {last_error}", returncode=3)


# --------------------------------------------------------------------------- storage of the live servers

LIVE_STORAGE = os.environ.get("COFFER_LIVE_STORAGE", "leveldb").strip().lower() or "leveldb"
RADOS = LIVE_STORAGE == "rados"
RADOS_CONF = os.environ.get("COFFER_TEST_RADOS_CONF", "")
RADOS_USER = os.environ.get("COFFER_TEST_RADOS_USER") or "admin"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "leveldb_only(reason): the test needs the LevelDB store itself (reads or damages DIR/db, "
        "DIR/audit, uses the admin socket, backup, restore, fsck, recover); skipped when "
        "COFFER_LIVE_STORAGE=rados, with the reason given")
    if LIVE_STORAGE not in ("leveldb", "rados"):
        raise pytest.UsageError(f"COFFER_LIVE_STORAGE={LIVE_STORAGE!r}: expected leveldb (the default) or rados")
    if RADOS and not RADOS_CONF:
        raise pytest.UsageError(
            "COFFER_LIVE_STORAGE=rados needs a Ceph cluster: COFFER_TEST_RADOS_CONF is unset "
            '(scripts/ceph-dev.sh up DIR; eval "$(scripts/ceph-dev.sh env DIR)")')


def pytest_report_header(config):
    if RADOS:
        return f"coffer storage: rados (cluster {RADOS_CONF}, user {RADOS_USER}, a fresh pool per data dir)"
    return "coffer storage: leveldb"


def pytest_itemcollected(item):
    """With COFFER_LIVE_STORAGE=rados, the tests marked `leveldb_only` are skipped, with their reason."""
    marker = item.get_closest_marker("leveldb_only")
    if RADOS and marker is not None:
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "needs the LevelDB store")
        item.add_marker(pytest.mark.skip(reason=f"LevelDB only: {reason}"))


def ceph(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    """The ceph CLI against the test cluster."""
    cmd = ["ceph", "-c", RADOS_CONF, "--id", RADOS_USER, "--connect-timeout", "10", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def rados_cli(pool: str, *args: str, timeout: float = 60) -> bytes:
    """The rados CLI on `pool`: its stdout."""
    cmd = ["rados", "-c", RADOS_CONF, "--id", RADOS_USER, "-p", pool, *args]
    r = subprocess.run(cmd, capture_output=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}\nstderr: {r.stderr.decode(errors='replace')}"
    return r.stdout


class RadosNode:
    """Where a data dir's store lives with COFFER_LIVE_STORAGE=rados: a pool made for it (8 PGs,
    one replica, tagged `coffer` as scripts/ceph-dev.sh tags its pool), the node name and the
    SSE-S3 root key of the deployment, written as the data dir's `keys/sse-s3-root-keys.json`
    (CofferProcess passes no COFFER_* variable on, and the file is what every node may be given
    instead of COFFER_SSE_S3_ROOT_KEY). The pool is deleted by `delete()` (the dev cluster
    allows it: `mon allow pool delete = true`)."""

    def __init__(self, data_dir: str, hint: str):
        hint = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:24].strip("-") or "live"
        tag = uuid.uuid4().hex[:8]
        self.data_dir = data_dir
        self.pool = f"coffer-live-{hint}-{tag}"
        self.node = f"live-{tag}"
        self.created = False

    def create(self) -> "RadosNode":
        if not self.created:
            ceph("osd", "pool", "create", self.pool, "8", "8", "replicated")
            self.created = True
            ceph("osd", "pool", "set", self.pool, "size", "1", "--yes-i-really-mean-it")
            ceph("osd", "pool", "application", "enable", self.pool, "coffer", "--yes-i-really-mean-it")
        key_file = os.path.join(self.data_dir, "keys", "sse-s3-root-keys.json")
        if not os.path.exists(key_file):
            os.makedirs(os.path.dirname(key_file), mode=0o700, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({"currentVersion": 1, "keys": {"1": base64.b64encode(os.urandom(32)).decode()}}, f)
        return self

    def serve_args(self) -> list[str]:
        return ["--storage", "rados", "--rados-conf", RADOS_CONF, "--rados-pool", self.pool,
                "--rados-user", RADOS_USER, "--node-name", self.node]

    def store_args(self) -> list[str]:
        """The store options of the offline commands (`coffer audit`, `coffer fsck`)."""
        return ["--storage", "rados", "--rados-conf", RADOS_CONF, "--rados-pool", self.pool, "--rados-user", RADOS_USER]

    def audit_logs(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of this node's audit log segments in the pool, oldest first, read with the
        rados CLI (independently of Coffer): the omap of `audit.NODE` lists the names, segment NAME
        is the object `audit.NODE/NAME` (an entry without its object is an empty segment)."""
        index = f"audit.{self.node}"
        names = [n for n in rados_cli(self.pool, "listomapkeys", index).decode().split("\n") if AUDIT_LOG_NAME_RE.match(n)]
        names.sort(key=_log_number)
        objects = set(rados_cli(self.pool, "ls").decode().split("\n"))
        return [(n, rados_cli(self.pool, "get", f"{index}/{n}", "-") if f"{index}/{n}" in objects else b"") for n in names]

    def export(self) -> bytes:
        """Everything stored in the pool (each object's data, extended attributes and omap keys
        and values) as `rados export` writes it: what the at-rest tests scan for plaintext."""
        path = os.path.join(os.path.dirname(self.data_dir), f"{self.pool}.export")
        try:
            rados_cli(self.pool, "export", path, timeout=300)
            with open(path, "rb") as f:
                return f.read()
        finally:
            if os.path.exists(path):
                os.remove(path)

    def delete(self) -> None:
        if self.created:
            r = ceph("osd", "pool", "delete", self.pool, self.pool, "--yes-i-really-really-mean-it", check=False)
            if r.returncode != 0:
                print(f"pool {self.pool} left in the cluster: {r.stderr.strip() or r.stdout.strip()}")
            self.created = False


AUDIT_LOG_NAME_RE = re.compile(r"^coffer-audit-\d{8}T\d{6}Z-(\d{6,})\.jsonl$")


def _log_number(name: str) -> int:
    return int(AUDIT_LOG_NAME_RE.match(name).group(1))


# data dir (absolute) -> its RADOS node, for the data dirs the fixtures started servers on.
_rados_nodes: dict[str, RadosNode] = {}


def rados_node(data_dir: str) -> RadosNode | None:
    """The RADOS node of a data dir a fixture started a server on, None on LevelDB."""
    return _rados_nodes.get(os.path.abspath(data_dir))


def store_args(data_dir: str) -> list[str]:
    """`--data-dir DIR` and, with COFFER_LIVE_STORAGE=rados, the options naming its node's pool:
    what `coffer audit read|verify` needs to find the trail of a server the fixtures started."""
    node = rados_node(data_dir)
    return ["--data-dir", data_dir] + (node.store_args() if node else [])


def audit_log_segments(data_dir: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of every log file of the server's audit trail, oldest first: the files in
    DIR/audit, or with COFFER_LIVE_STORAGE=rados the segments of the data dir's node in its pool."""
    node = rados_node(data_dir)
    if node is not None:
        return node.audit_logs()
    paths = [p for p in glob.glob(os.path.join(data_dir, "audit", "coffer-audit-*.jsonl"))
             if AUDIT_LOG_NAME_RE.match(os.path.basename(p))]
    paths.sort(key=lambda p: _log_number(os.path.basename(p)))
    out = []
    for path in paths:
        with open(path, "rb") as f:
            out.append((os.path.basename(path), f.read()))
    return out


class StoreProcess(CofferProcess):
    """A CofferProcess whose store follows COFFER_LIVE_STORAGE: with rados, every start runs on
    the data dir's node (its pool is created on the first start), the storage options in front
    of whatever `extra_args` a test sets."""

    def __init__(self, *args, node_hint: str = "live", **kw):
        super().__init__(*args, **kw)
        self.node: RadosNode | None = None
        if RADOS:
            key = os.path.abspath(self.data_dir)
            if key not in _rados_nodes:
                _rados_nodes[key] = RadosNode(key, node_hint)
            self.node = _rados_nodes[key]

    def start(self, timeout: float = 60) -> "CofferProcess":
        if self.node is None:
            return super().start(timeout)
        os.makedirs(self.data_dir, exist_ok=True)
        self.node.create()
        own = self.extra_args
        self.extra_args = self.node.serve_args() + own
        try:
            return super().start(timeout)
        finally:
            self.extra_args = own


class Coffer:
    """What a test needs of the running server."""

    def __init__(self, server: CofferProcess, binary: str, workdir: str, users_file: str):
        self.server = server
        self.binary = binary
        self.workdir = workdir
        self.users_file = users_file
        self.root = ROOT
        self.alice = ALICE
        self.bob = BOB
        self.aws_config = os.path.join(workdir, "aws-config")
        with open(self.aws_config, "w") as f:
            f.write(AWS_CONFIG)
        self._clients: dict = {}

    # endpoints
    @property
    def data_dir(self) -> str:
        return self.server.data_dir

    @property
    def ca(self) -> str:
        return self.server.ca

    @property
    def http_url(self) -> str:
        return self.server.http_url

    @property
    def https_url(self) -> str:
        return self.server.https_url

    def endpoint(self, transport: str = "http"):
        return self.server.http if transport == "http" else self.server.https

    def url(self, transport: str = "http") -> str:
        return self.http_url if transport == "http" else self.https_url

    def creds(self, user: str = "root") -> tuple[str, str]:
        return {"root": ROOT, "alice": ALICE, "bob": BOB}[user]

    # boto3
    def client(self, transport: str = "http", user: str = "root", creds: tuple[str, str] | None = None,
               cached: bool = True, **config):
        key = (transport, user, creds, tuple(sorted(config.items())))
        if cached and key in self._clients:
            return self._clients[key]
        ak, sk = creds or self.creds(user)
        cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                     retries={"max_attempts": 1, "mode": "standard"},
                     connect_timeout=10, read_timeout=120, **config)
        c = boto3.session.Session().client(
            "s3", endpoint_url=self.url(transport), region_name=REGION,
            aws_access_key_id=ak, aws_secret_access_key=sk, config=cfg,
            verify=self.ca if transport == "https" else None)
        if cached:
            self._clients[key] = c
        return c

    def unsigned_client(self, transport: str = "http"):
        cfg = Config(signature_version=botocore.UNSIGNED, s3={"addressing_style": "path"},
                     retries={"max_attempts": 1, "mode": "standard"})
        return boto3.session.Session().client(
            "s3", endpoint_url=self.url(transport), region_name=REGION, config=cfg,
            verify=self.ca if transport == "https" else None)

    def resource(self, transport: str = "http", user: str = "root"):
        ak, sk = self.creds(user)
        cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                     retries={"max_attempts": 1, "mode": "standard"})
        return boto3.session.Session().resource(
            "s3", endpoint_url=self.url(transport), region_name=REGION,
            aws_access_key_id=ak, aws_secret_access_key=sk, config=cfg,
            verify=self.ca if transport == "https" else None)

    # aws CLI
    def aws_env(self, user: str = "root", creds: tuple[str, str] | None = None) -> dict[str, str]:
        ak, sk = creds or self.creds(user)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": ak,
            "AWS_SECRET_ACCESS_KEY": sk,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": self.aws_config,
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.workdir, "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": self.workdir,
        })
        return env

    def aws(self, *args: str, transport: str = "http", user: str = "root",
            creds: tuple[str, str] | None = None, check: bool = True, timeout: float = 300,
            cwd: str | None = None) -> subprocess.CompletedProcess:
        cmd = ["aws", *args, "--endpoint-url", self.url(transport)]
        if transport == "https":
            cmd += ["--ca-bundle", self.ca]
        r = subprocess.run(cmd, env=self.aws_env(user, creds), capture_output=True, timeout=timeout,
                           cwd=cwd, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def aws_json(self, *args: str, **kw):
        r = self.aws(*args, "--output", "json", **kw)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def set_users(self, users: list[tuple[str, tuple[str, str]]]) -> None:
        write_users(self.users_file, users)


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="coffer-live-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def coffer_binary(workdir) -> str:
    return _stable_binary(workdir)


@pytest.fixture(scope="session")
def coffer(workdir, coffer_binary):
    users_file = os.path.join(workdir, "users.json")
    write_users(users_file, [("alice", ALICE)])
    server = StoreProcess(coffer_binary, os.path.join(workdir, "data"), os.path.join(workdir, "server.log"),
                          ROOT, users_file=users_file, node_hint="session")
    try:
        server.start()
        c = Coffer(server, coffer_binary, workdir, users_file)
        yield c
        code = server.stop()
        assert code == 0, f"coffer exited with {code} after SIGTERM\n{server.log_tail()}"
    finally:
        server.kill()
        if server.node is not None:
            server.node.delete()


_counter = itertools.count()


def unique_bucket_name(hint: str = "") -> str:
    hint = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:30].strip("-")
    return f"t{next(_counter)}-{hint or 'b'}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def bucket_name(request) -> str:
    """A fresh, unused bucket name."""
    return unique_bucket_name(request.node.name)


@pytest.fixture
def bucket(coffer, bucket_name) -> str:
    """A fresh bucket owned by root."""
    coffer.client().create_bucket(Bucket=bucket_name)
    return bucket_name


@pytest.fixture
def s3(coffer):
    """boto3 client for root over HTTP."""
    return coffer.client()


@pytest.fixture
def server_factory(workdir, coffer_binary, tmp_path, request):
    """Starts extra, function-scoped servers (for restarts); stops whatever is left. With
    COFFER_LIVE_STORAGE=rados each data dir is a node on a pool of its own (a server made again
    on the same data dir is the same node: a restart), deleted at the end of the test."""
    started: list[CofferProcess] = []

    def make(data_dir: str | None = None, users: list | None = None) -> CofferProcess:
        data_dir = data_dir or str(tmp_path / "data")
        users_file = None
        if users is not None:
            users_file = str(tmp_path / "users.json")
            write_users(users_file, users)
        p = StoreProcess(coffer_binary, data_dir, str(tmp_path / "server.log"), ROOT, users_file=users_file,
                         node_hint=request.node.name)
        started.append(p)
        return p

    yield make
    for p in started:
        p.kill()
    for node in {id(p.node): p.node for p in started if p.node is not None}.values():
        node.delete()
        _rados_nodes.pop(node.data_dir, None)


# --------------------------------------------------------------------------- KMS (appended for the SSE-KMS tests)


def kms_client(coffer: Coffer, creds: tuple[str, str] | None = None, transport: str = "http", validate: bool = True):
    """boto3 KMS client on Coffer's endpoint (`validate=False` lets out-of-range values reach the server)."""
    ak, sk = creds or coffer.creds("root")
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate,
                 connect_timeout=10, read_timeout=120)
    return boto3.session.Session().client(
        "kms", endpoint_url=coffer.url(transport), region_name=REGION, aws_access_key_id=ak,
        aws_secret_access_key=sk, config=cfg, verify=coffer.ca if transport == "https" else None)


def aws_cli_error_code(result: subprocess.CompletedProcess) -> str:
    """The error code in the aws CLI's `An error occurred (Code) when calling ...` (asserts it failed)."""
    assert result.returncode != 0, f"expected the aws CLI to fail\nstdout: {result.stdout}\nstderr: {result.stderr}"
    found = re.search(r"An error occurred \(([^)]+)\)", result.stderr)
    assert found, f"no error code in aws CLI output\nstderr: {result.stderr}"
    return found.group(1)
