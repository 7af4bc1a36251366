"""The dry run answers as the server does (DESIGN.md invariant 6).

Every policy of the library in bucket-policies/ is attached to a real bucket, and a matrix of
real requests (three callers: the bucket's owner, a second user, anonymous; HTTP and HTTPS;
GET, list, DELETE, and PUT with each server-side-encryption header) is sent with boto3 and, for
anonymous callers, with curl. Each request's exact headers go to `coffer policy simulate --http`
and the two answers must agree:

  simulate explicit-deny  ->  the server answers 403 AccessDenied
  simulate allow          ->  the server carries the request out
  simulate implicit-deny  ->  the server carries it out only for the bucket's owner (whose
                              implicit identity permissions allow it), else 403 AccessDenied

(docs/bucket-policies.md, "How the server decides"). A second test does the same with the real
`aws s3api` CLI for every SSE header over HTTP and HTTPS.
"""

from __future__ import annotations

import base64
import datetime as dt
import glob
import hashlib
import json
import os
import re
import subprocess
import urllib.parse

import pytest

from coffer_live import CofferProcess
from conftest import ALICE, BOB, ROOT, Coffer, kms_client, unique_bucket_name, write_users

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIBRARY = os.path.join(REPO, "bucket-policies")
POLICIES = sorted(os.path.basename(p)[:-len(".json")] for p in glob.glob(os.path.join(LIBRARY, "*.json"))
                  if not p.endswith(".cases.json"))
EXAMPLE_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SSE_C_KEY = bytes(range(32))
# Signing headers say nothing the policy context uses and would only add noise to the command line.
NOT_FORWARDED = {"authorization", "content-length", "expect", "user-agent", "accept-encoding"}


class Rig(Coffer):
    """conftest's `Coffer` for a server with alice (who owns the buckets) and bob, plus the
    account id, two KMS keys, and a record of the requests its boto3 clients put on the wire."""

    def __init__(self, server: CofferProcess, binary: str, workdir: str, users_file: str):
        super().__init__(server, binary, workdir, users_file)
        self.sent: list = []
        kms = kms_client(self)
        required = kms.create_key(Description="the key the policy requires")["KeyMetadata"]
        other = kms.create_key(Description="another key")["KeyMetadata"]
        self.account = required["AWSAccountId"]
        self.required_key_id, self.required_key_arn = required["KeyId"], required["Arn"]
        self.other_key_arn = other["Arn"]

    def client(self, transport: str = "http", user: str = "root", **kw):
        c = super().client(transport, user, **kw)
        if not getattr(c, "_agreement_recorded", False):
            c.meta.events.register("before-send.s3", self._record)
            c._agreement_recorded = True
        return c

    def _record(self, request, **_):
        self.sent.append(request)

    def policy_text(self, name: str, bucket: str) -> str:
        """A library policy for `bucket` in this account; `NAME+loopback` also admits 127.0.0.0/8,
        where the rig's requests come from."""
        name, _, variant = name.partition("+")
        with open(os.path.join(LIBRARY, name + ".json")) as f:
            text = f.read()
        if variant == "loopback":
            assert '"192.0.2.0/24"' in text
            text = text.replace('"192.0.2.0/24"', '"192.0.2.0/24", "127.0.0.0/8"')
        text = text.replace(EXAMPLE_KEY, self.required_key_arn).replace("example-bucket", bucket)
        return text.replace("123456789012", self.account)

    def simulate(self, policy_file: str, principal: str, line: str, headers: list[tuple[str, str]], secure: bool) -> str:
        args = [self.binary, "policy", "simulate", policy_file, "--principal", principal, "--http", line,
                "--source-ip", "127.0.0.1", "--account", self.account, "--format", "json"]
        for name, value in headers:
            args += ["--header", f"{name}: {value}"]
        if secure:
            args.append("--secure")
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"simulate failed: {' '.join(args)}\n{r.stderr}"
        return json.loads(r.stdout)["decision"]


@pytest.fixture(scope="module")
def rig(workdir, coffer_binary):
    directory = os.path.join(workdir, "agreement")
    os.makedirs(directory, exist_ok=True)
    users = os.path.join(directory, "users.json")
    write_users(users, [("alice", ALICE), ("bob", BOB)])
    server = CofferProcess(coffer_binary, os.path.join(directory, "data"), os.path.join(directory, "server.log"),
                           ROOT, users_file=users)
    server.start()
    yield Rig(server, coffer_binary, directory, users)
    assert server.stop() == 0


def sse_variants(rig: Rig, transport: str) -> list[tuple[str, dict]]:
    """Each server-side-encryption header set a PutObject can carry (boto3 parameters)."""
    variants = [
        ("no SSE header", {}),
        ("AES256", {"ServerSideEncryption": "AES256"}),
        ("aws:kms", {"ServerSideEncryption": "aws:kms"}),
        ("aws:kms, the required key by id", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": rig.required_key_id}),
        ("aws:kms, another key by ARN", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": rig.other_key_arn}),
    ]
    if transport == "https":  # SSE-C needs TLS
        variants.append(("SSE-C", {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}))
    return variants


def boto3_requests(rig: Rig, bucket: str, user: str, transport: str, report_version: str):
    """(description, call) pairs for a signed caller, in the rig's bucket (created with Object
    Lock, so versioned): `report_version` is docs/report.txt's version id."""
    s3 = rig.client(transport, user=user)
    calls = [(f"GET {k}", lambda k=k: s3.get_object(Bucket=bucket, Key=k)["Body"].read())
             for k in ("public/readme.txt", "home/alice/notes.txt", "home/bob/notes.txt", "docs/report.txt")]
    calls += [(f"LIST prefix={p!r}", lambda p=p: s3.list_objects_v2(Bucket=bucket, Prefix=p, Delimiter="/"))
              for p in ("", "home/bob/", "docs/")]
    calls += [(f"PUT home/{user}/new.txt, {label}", lambda extra=extra: s3.put_object(
        Bucket=bucket, Key=f"home/{user}/new.txt", Body=b"new", **extra)) for label, extra in sse_variants(rig, transport)]
    made: dict[str, str] = {}
    calls.append((f"PUT home/{user}/old.txt", lambda: made.update(
        old=s3.put_object(Bucket=bucket, Key=f"home/{user}/old.txt", Body=b"old")["VersionId"])))
    calls.append((f"DELETE home/{user}/new.txt", lambda: s3.delete_object(Bucket=bucket, Key=f"home/{user}/new.txt")))
    # Naming a version takes the version actions.
    calls.append(("GET docs/report.txt?versionId=...",
                  lambda: s3.get_object(Bucket=bucket, Key="docs/report.txt", VersionId=report_version)["Body"].read()))
    calls.append((f"DELETE home/{user}/old.txt?versionId=...",
                  lambda: s3.delete_object(Bucket=bucket, Key=f"home/{user}/old.txt", VersionId=made.get("old", "null"))))
    # Locking what is written: the s3:object-lock-* keys come from the headers.
    for mode, days in (("GOVERNANCE", 5), ("GOVERNANCE", 60), ("COMPLIANCE", 1)):
        until = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days)
        calls.append((f"PUT home/{user}/locked.txt, {mode} for {days} days", lambda mode=mode, until=until: s3.put_object(
            Bucket=bucket, Key=f"home/{user}/locked.txt", Body=b"locked", ObjectLockMode=mode, ObjectLockRetainUntilDate=until)))
    return calls


def anonymous_requests(rig: Rig, bucket: str, transport: str) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(description, method, path+query, headers) for curl."""
    gets = [(f"GET {k}", "GET", f"/{bucket}/{k}", []) for k in ("public/readme.txt", "home/bob/notes.txt", "docs/report.txt")]
    lists = [(f"LIST prefix={p!r}", "GET", f"/{bucket}?list-type=2&prefix={urllib.parse.quote(p, safe='')}&delimiter=%2F", [])
             for p in ("", "public/")]
    puts = []
    for label, extra in sse_variants(rig, transport):
        headers = []
        if "ServerSideEncryption" in extra:
            headers.append(("x-amz-server-side-encryption", extra["ServerSideEncryption"]))
        if "SSEKMSKeyId" in extra:
            headers.append(("x-amz-server-side-encryption-aws-kms-key-id", extra["SSEKMSKeyId"]))
        if "SSECustomerKey" in extra:
            headers += [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                        ("x-amz-server-side-encryption-customer-key", base64.b64encode(SSE_C_KEY).decode()),
                        ("x-amz-server-side-encryption-customer-key-md5", base64.b64encode(hashlib.md5(SSE_C_KEY).digest()).decode())]
        puts.append((f"PUT public/anon.txt, {label}", "PUT", f"/{bucket}/public/anon.txt", headers))
    return gets + lists + puts + [("DELETE public/readme.txt", "DELETE", f"/{bucket}/public/readme.txt", [])]


def curl(rig: Rig, transport: str, method: str, target: str, headers: list[tuple[str, str]]) -> tuple[int, str]:
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, rig.url(transport) + target]
    if transport == "https":
        args += ["--cacert", rig.ca]
    for name, value in headers:
        args += ["-H", f"{name}: {value}"]
    if method == "PUT":
        args += ["--data-binary", "anonymous"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, _, status = r.stdout.rpartition("\n")
    code = re.search(r"<Code>([^<]+)</Code>", body)
    return int(status), code.group(1) if code else ""


def expected_outcome(decision: str, caller: str) -> str:
    if decision == "explicit-deny":
        return "denied"
    if decision == "allow":
        return "done"
    return "done" if caller == "alice" else "denied"


def sent_request(prepared) -> tuple[str, list[tuple[str, str]]]:
    """The request line and the headers boto3 put on the wire."""
    url = urllib.parse.urlsplit(prepared.url)
    line = f"{prepared.method} {url.path}" + (f"?{url.query}" if url.query else "")
    headers = []
    for name, value in prepared.headers.items():
        name = name.decode() if isinstance(name, bytes) else name
        value = value.decode() if isinstance(value, bytes) else value
        if name.lower() not in NOT_FORWARDED:
            headers.append((name, value))
    return line, headers


@pytest.mark.parametrize("policy", POLICIES + ["ip-allow-list+loopback"])
def test_simulate_and_server_agree(rig, policy):
    bucket = unique_bucket_name("agree-" + policy)
    rig.client("https", user="alice").create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    root = rig.client("https", user="root")
    versions = {key: root.put_object(Bucket=bucket, Key=key, Body=b"content of " + key.encode())["VersionId"]
                for key in ("public/readme.txt", "home/alice/notes.txt", "home/bob/notes.txt", "docs/report.txt")}
    text = rig.policy_text(policy, bucket)
    policy_file = os.path.join(rig.workdir, f"{bucket}.json")
    with open(policy_file, "w") as f:
        f.write(text)
    root.put_bucket_policy(Bucket=bucket, Policy=text)

    results, disagreements = [], []
    for transport in ("http", "https"):
        for user in ("alice", "bob"):
            principal = f"arn:aws:iam::{rig.account}:user/{user}"
            for description, call in boto3_requests(rig, bucket, user, transport, versions["docs/report.txt"]):
                rig.sent.clear()
                try:
                    call()
                    outcome = "done"
                except Exception as error:  # ClientError; its code says why
                    response = getattr(error, "response", {})
                    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                    code = response.get("Error", {}).get("Code")
                    outcome = "denied" if (status, code) == (403, "AccessDenied") else f"failed {status} {code}"
                assert rig.sent, f"boto3 sent nothing for {description}"
                line, headers = sent_request(rig.sent[-1])
                decision = rig.simulate(policy_file, principal, line, headers, transport == "https")
                results.append((decision, user, outcome))
                if outcome != expected_outcome(decision, user):
                    disagreements.append(f"{transport} {user} {description}: simulate {decision}, server {outcome}")
        for description, method, target, headers in anonymous_requests(rig, bucket, transport):
            status, code = curl(rig, transport, method, target, headers)
            outcome = "done" if status < 300 else "denied" if (status, code) == (403, "AccessDenied") else f"failed {status} {code}"
            decision = rig.simulate(policy_file, "anonymous", f"{method} {target}", headers, transport == "https")
            results.append((decision, "anonymous", outcome))
            if outcome != expected_outcome(decision, "anonymous"):
                disagreements.append(f"{transport} anonymous {description}: simulate {decision}, server {outcome}")
    root.delete_bucket_policy(Bucket=bucket)
    assert not disagreements, f"{policy}: the dry run and the server disagree:\n" + "\n".join(disagreements)
    # The matrix must exercise the policy: both outcomes seen, and something decided by it.
    # The allow-list admits none of the rig's loopback requests (all denied explicitly); with
    # loopback admitted it denies none (the owner's permissions decide).
    decisions, outcomes = {d for d, _, _ in results}, {o for _, _, o in results}
    if policy == "ip-allow-list":
        assert decisions == {"explicit-deny"}, results
    elif policy == "ip-allow-list+loopback":
        assert decisions == {"implicit-deny"} and outcomes == {"done", "denied"}, results
    else:
        assert outcomes == {"done", "denied"}, results
        assert decisions != {"implicit-deny"}, f"{policy} decided nothing in the matrix"


# The aws CLI's flags for each SSE header set, and the headers they put on the request.
CLI_SSE = [
    ("none", [], []),
    ("AES256", ["--server-side-encryption", "AES256"], [("x-amz-server-side-encryption", "AES256")]),
    ("aws:kms", ["--server-side-encryption", "aws:kms"], [("x-amz-server-side-encryption", "aws:kms")]),
    ("aws:kms+key", ["--server-side-encryption", "aws:kms", "--ssekms-key-id", "{key}"],
     [("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-aws-kms-key-id", "{key}")]),
    ("SSE-C", ["--sse-customer-algorithm", "AES256", "--sse-customer-key", "{ssec}"],
     [("x-amz-server-side-encryption-customer-algorithm", "AES256")]),
]


@pytest.mark.parametrize("policy", ["require-sse-kms", "require-kms-key", "deny-unencrypted-uploads-null", "deny-sse-c"])
def test_aws_cli_put_object_for_each_sse_header(rig, policy, tmp_path):
    bucket = unique_bucket_name("cli-" + policy)
    rig.client("https", user="alice").create_bucket(Bucket=bucket)
    # bob may write only where a policy grants it: give him PutObject, keep the policy's denies.
    doc = json.loads(rig.policy_text(policy, bucket))
    doc["Statement"].append({"Sid": "BobWrites", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{rig.account}:user/bob"},
                             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    text = json.dumps(doc)
    policy_file = str(tmp_path / "policy.json")
    with open(policy_file, "w") as f:
        f.write(text)
    rig.client("https", user="root").put_bucket_policy(Bucket=bucket, Policy=text)
    body = tmp_path / "body.txt"
    body.write_bytes(b"from the aws CLI")
    env = rig.aws_env("bob")
    ssec = base64.b64encode(SSE_C_KEY).decode()
    seen = set()
    for transport in ("http", "https"):
        for label, flags, headers in CLI_SSE:
            if label == "SSE-C" and transport == "http":
                continue
            fill = lambda s: s.replace("{key}", rig.required_key_id).replace("{ssec}", ssec)  # noqa: E731
            cmd = ["aws", "s3api", "put-object", "--bucket", bucket, "--key", f"{label}.txt", "--body", str(body),
                   *[fill(f) for f in flags], "--endpoint-url", rig.url(transport)]
            if transport == "https":
                cmd += ["--ca-bundle", rig.ca]
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            outcome = "done" if r.returncode == 0 else "denied" if "(AccessDenied)" in r.stderr else f"failed: {r.stderr}"
            decision = rig.simulate(policy_file, f"arn:aws:iam::{rig.account}:user/bob", f"PUT /{bucket}/{label}.txt",
                                    [(n, fill(v)) for n, v in headers], transport == "https")
            assert outcome == expected_outcome(decision, "bob"), f"{transport} {label}: simulate {decision}, aws CLI {outcome}"
            seen.add(outcome)
    assert seen == {"done", "denied"}
