"""Live test fixtures: one `coffer serve` for the session, clients for it.

Run: COFFER_BIN=/path/to/coffer python3 -m pytest -q Tests/live
"""

from __future__ import annotations

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
    server = CofferProcess(coffer_binary, os.path.join(workdir, "data"), os.path.join(workdir, "server.log"),
                           ROOT, users_file=users_file)
    server.start()
    c = Coffer(server, coffer_binary, workdir, users_file)
    yield c
    code = server.stop()
    assert code == 0, f"coffer exited with {code} after SIGTERM\n{server.log_tail()}"


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
def server_factory(workdir, coffer_binary, tmp_path):
    """Starts extra, function-scoped servers (for restarts); stops whatever is left."""
    started: list[CofferProcess] = []

    def make(data_dir: str | None = None, users: list | None = None) -> CofferProcess:
        data_dir = data_dir or str(tmp_path / "data")
        users_file = None
        if users is not None:
            users_file = str(tmp_path / "users.json")
            write_users(users_file, users)
        p = CofferProcess(coffer_binary, data_dir, str(tmp_path / "server.log"), ROOT, users_file=users_file)
        started.append(p)
        return p

    yield make
    for p in started:
        p.kill()


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
