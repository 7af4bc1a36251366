"""`coffer policy simulate | lint | test`: golden outputs, exit codes, the policy library.

Golden files live in Tests/live/golden/policy/ and are compared exactly (every simulation pins
--now). After an intended change of output, regenerate them with
COFFER_UPDATE_GOLDEN=1 python3 -m pytest -q Tests/live/test_policy_cli.py and review the diff.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN = os.path.join("Tests", "live", "golden", "policy")  # relative to REPO, as the CLI prints it
LIBRARY = "bucket-policies"
NOW = "2026-01-01T00:00:00Z"
ALICE = "arn:aws:iam::123456789012:user/alice"
UPDATE = os.environ.get("COFFER_UPDATE_GOLDEN") == "1"


def run(binary: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "policy", *args], cwd=REPO, input=stdin, capture_output=True, text=True, timeout=60)


def golden(name: str, actual: str) -> None:
    path = os.path.join(REPO, GOLDEN, name)
    if UPDATE:
        with open(path, "w") as f:
            f.write(actual)
    with open(path) as f:
        expected = f.read()
    assert actual == expected, f"output differs from {GOLDEN}/{name}:\n{actual}"


def g(name: str) -> str:
    return os.path.join(GOLDEN, name)


def lib(name: str) -> str:
    return os.path.join(LIBRARY, name)


KMS_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
HTTP_KMS_BARE_KEY = ["simulate", lib("require-kms-key.json"), "--principal", ALICE, "--http", "PUT /example-bucket/reports/q1.csv",
                     "--header", "x-amz-server-side-encryption: aws:kms",
                     "--header", f"x-amz-server-side-encryption-aws-kms-key-id: {KMS_KEY_ID}",
                     "--secure", "--source-ip", "192.0.2.10", "--now", NOW]
HTTP_KMS_OTHER_KEY = ["simulate", lib("require-kms-key.json"), "--principal", ALICE, "--http", "PUT /example-bucket/reports/q1.csv",
                      "--header", "x-amz-server-side-encryption: aws:kms",
                      "--header", "x-amz-server-side-encryption-aws-kms-key-id: 0987dcba-09fe-87dc-65ba-ab0987654321",
                      "--secure", "--now", NOW]
OUTWEIGHED = ["simulate", g("allow-alice-require-kms.policy.json"), "--principal", ALICE, "--action", "s3:PutObject",
              "--resource", "arn:aws:s3:::example-bucket/reports/q1.csv", "--context", "aws:SecureTransport=true",
              "--context", "s3:x-amz-server-side-encryption=AES256", "--now", NOW]
MISSING_KEYS = ["simulate", g("allow-alice-require-kms.policy.json"), "--principal", ALICE, "--action", "s3:GetObject",
                "--resource", "arn:aws:s3:::example-bucket/reports/q1.csv", "--now", NOW]
HOME_LIST_OTHER = ["simulate", lib("home-folders.json"), "--principal", ALICE, "--http",
                   "GET /example-bucket?list-type=2&prefix=home/bob/&delimiter=/", "--secure", "--now", NOW]
PUBLIC_VHOST = ["simulate", lib("public-read-prefix.json"), "--http", "GET /public/logo.png",
                "--header", "Host: example-bucket.localhost", "--source-ip", "2001:db8::7", "--now", NOW]
REQUEST_FILE = ["simulate", g("allow-alice-require-kms.policy.json"), "--request", g("request-alice-put.request.json"), "--now", NOW]

SIMULATIONS = [
    ("simulate-http-kms-bare-key.txt", HTTP_KMS_BARE_KEY),
    ("simulate-http-kms-bare-key.json", HTTP_KMS_BARE_KEY + ["--format", "json"]),
    ("simulate-http-kms-other-key.txt", HTTP_KMS_OTHER_KEY),
    ("simulate-http-kms-other-key.json", HTTP_KMS_OTHER_KEY + ["--format", "json"]),
    ("simulate-outweighed-allow.txt", OUTWEIGHED),
    ("simulate-outweighed-allow.json", OUTWEIGHED + ["--format", "json"]),
    ("simulate-missing-keys.txt", MISSING_KEYS),
    ("simulate-missing-keys.json", MISSING_KEYS + ["--format", "json"]),
    ("simulate-home-list-other.txt", HOME_LIST_OTHER),
    ("simulate-home-list-other.json", HOME_LIST_OTHER + ["--format", "json"]),
    ("simulate-public-vhost.txt", PUBLIC_VHOST),
    ("simulate-request-file.txt", REQUEST_FILE),
]


@pytest.mark.parametrize("name,args", SIMULATIONS, ids=[s[0] for s in SIMULATIONS])
def test_simulate_golden(coffer_binary, name, args):
    r = run(coffer_binary, *args)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    golden(name, r.stdout)


def test_simulate_json_is_the_decision_object(coffer_binary):
    r = run(coffer_binary, *HTTP_KMS_OTHER_KEY, "--format", "json")
    d = json.loads(r.stdout)
    assert sorted(d) == ["decision", "matchedStatements", "missingContextKeys", "statements"]
    assert d["decision"] == "explicit-deny"
    # An explicit deny lists the matching Deny statements only.
    assert d["matchedStatements"] == [{"effect": "Deny", "index": 1, "sid": "DenyOtherKMSKeys"}]
    assert [s["matched"] for s in d["statements"]] == [False, True]
    reason = d["statements"][0]["reason"]
    assert reason["element"] == "Condition" and reason["operator"] == "StringNotEquals"
    assert reason["requestValues"] == ["aws:kms"]
    # Keys are sorted, as JSONEncoder's .sortedKeys writes them.
    assert list(d) == sorted(d)


def test_simulate_explicit_deny_lists_only_denies(coffer_binary):
    d = json.loads(run(coffer_binary, *OUTWEIGHED, "--format", "json").stdout)
    assert d["decision"] == "explicit-deny"
    assert d["matchedStatements"] == [{"effect": "Deny", "index": 1, "sid": "DenyUploadsNotSSEKMS"}]
    assert [s["matched"] for s in d["statements"]] == [True, True, False]


def test_simulate_policy_from_stdin(coffer_binary):
    with open(os.path.join(REPO, g("allow-alice-require-kms.policy.json"))) as f:
        policy = f.read()
    args = [a if a != g("allow-alice-require-kms.policy.json") else "-" for a in OUTWEIGHED]
    r = run(coffer_binary, *args, stdin=policy)
    assert r.returncode == 0, r.stderr
    golden("simulate-outweighed-allow.txt", r.stdout)


@pytest.mark.parametrize("expect,code", [("deny", 0), ("explicit-deny", 0), ("allow", 1), ("implicit-deny", 1)])
def test_simulate_expect_explicit_deny(coffer_binary, expect, code):
    r = run(coffer_binary, *HTTP_KMS_OTHER_KEY, "--expect", expect)
    assert r.returncode == code, r.stderr
    assert "decision: explicit-deny" in r.stdout
    if code:
        assert r.stderr == f"expected {expect}, got explicit-deny\n"


@pytest.mark.parametrize("expect,code", [("allow", 0), ("deny", 1), ("explicit-deny", 1), ("implicit-deny", 1)])
def test_simulate_expect_allow(coffer_binary, expect, code):
    r = run(coffer_binary, *PUBLIC_VHOST, "--format", "json", "--expect", expect)
    assert r.returncode == code, r.stderr
    assert json.loads(r.stdout)["decision"] == "allow"


@pytest.mark.parametrize("expect,code", [("implicit-deny", 0), ("deny", 0), ("allow", 1), ("explicit-deny", 1)])
def test_simulate_expect_implicit_deny(coffer_binary, expect, code):
    r = run(coffer_binary, *HOME_LIST_OTHER, "--expect", expect)
    assert r.returncode == code, r.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_simulate_malformed_policy(coffer_binary, fmt):
    r = run(coffer_binary, "simulate", g("malformed.policy.json"), "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::example-bucket/a", "--format", fmt, "--expect", "deny")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == "error: MalformedPolicy: Invalid effect: Permit (statement 1)\n"


def test_simulate_not_json(coffer_binary):
    r = run(coffer_binary, "simulate", "-", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/a", stdin="[1]")
    assert r.returncode == 2
    assert "MalformedPolicy: Policies must be valid JSON and the first byte must be '{'" in r.stderr


def test_simulate_bucket_inferred_from_resource(coffer_binary):
    base = ["simulate", lib("deny-deletes.json"), "--principal", ALICE, "--action", "s3:DeleteObject", "--now", NOW]
    # The policy names example-bucket: validating it for another bucket is PutBucketPolicy's refusal.
    r = run(coffer_binary, *base, "--resource", "arn:aws:s3:::other-bucket/a")
    assert r.returncode == 2
    assert "MalformedPolicy: Policy has invalid resource" in r.stderr
    assert "validated for bucket other-bucket" in r.stderr and "--bucket" in r.stderr
    # Naming the policy's bucket evaluates it: the request is for another bucket, so nothing matches.
    r = run(coffer_binary, *base, "--resource", "arn:aws:s3:::other-bucket/a", "--bucket", "example-bucket", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["decision"] == "implicit-deny"
    r = run(coffer_binary, *base, "--resource", "arn:aws:s3:::example-bucket/a", "--expect", "explicit-deny")
    assert r.returncode == 0, r.stderr


def test_simulate_context_multivalued_and_now(coffer_binary, tmp_path):
    policy = tmp_path / "tags.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TaggedBefore2027", "Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::example-bucket/*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]},
                      "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}}]}))
    base = ["simulate", str(policy), "--principal", ALICE, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::example-bucket/k"]
    two = ["--context", "aws:TagKeys=team", "--context", "aws:tagkeys=project"]
    r = run(coffer_binary, *base, *two, "--now", NOW, "--expect", "allow")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "aws:TagKeys = [team, project]" in r.stdout
    r = run(coffer_binary, *base, *two, "--context", "aws:TagKeys=cost-center", "--now", NOW, "--expect", "implicit-deny")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(coffer_binary, *base, *two, "--now", "2027-06-01T12:00:00Z", "--format", "json")
    d = json.loads(r.stdout)
    assert d["decision"] == "implicit-deny"
    assert d["statements"][0]["reason"]["key"] == "aws:CurrentTime"


def test_simulate_http_derives_like_the_server(coffer_binary):
    # UploadPart and CreateMultipartUpload are s3:PutObject; an empty prefix= is the empty string.
    r = run(coffer_binary, "simulate", lib("deny-sse-c.json"), "--principal", "123456789012", "--http",
            "POST /example-bucket/big.bin?uploads", "--header", "x-amz-server-side-encryption-customer-algorithm: AES256",
            "--now", NOW)
    assert r.returncode == 0, r.stderr
    assert "  operation: CreateMultipartUpload\n  action:    s3:PutObject\n" in r.stdout
    assert "principal: arn:aws:iam::123456789012:root" in r.stdout
    assert "aws:userid = 123456789012" in r.stdout
    assert "decision: explicit-deny" in r.stdout
    r = run(coffer_binary, "simulate", lib("home-folders.json"), "--principal", ALICE, "--http",
            "GET /example-bucket?list-type=2&prefix=", "--now", NOW, "--expect", "allow")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "    s3:prefix = \n" in r.stdout


def test_simulate_http_context_override_and_account(coffer_binary):
    # A bare key id becomes a key ARN in the principal's account, else --account.
    base = ["simulate", lib("require-kms-key.json"), "--http", "PUT /example-bucket/k", "--header",
            "x-amz-server-side-encryption: aws:kms", "--header", f"x-amz-server-side-encryption-aws-kms-key-id: {KMS_KEY_ID}",
            "--now", NOW]
    r = run(coffer_binary, *base, "--principal", "arn:aws:iam::111122223333:user/carol")
    assert f"arn:aws:kms:us-east-1:111122223333:key/{KMS_KEY_ID}" in r.stdout
    assert "decision: explicit-deny" in r.stdout
    r = run(coffer_binary, *base, "--account", "444455556666", "--region", "eu-west-1")
    assert f"arn:aws:kms:eu-west-1:444455556666:key/{KMS_KEY_ID}" in r.stdout
    r = run(coffer_binary, *base, "--expect", "implicit-deny")
    assert r.returncode == 0, r.stdout
    r = run(coffer_binary, *base, "--context", "s3:x-amz-server-side-encryption=AES256", "--format", "json")
    d = json.loads(r.stdout)
    assert [m["sid"] for m in d["matchedStatements"]] == ["DenyNotSSEKMS"]


@pytest.mark.parametrize("args", [
    ["--action", "s3:GetObject"],
    ["--action", "s3:GetObject", "--resource", "arn:aws:s3:::example-bucket/a", "--http", "GET /example-bucket/a"],
    ["--action", "s3:GetObject", "--resource", "arn:aws:s3:::example-bucket/a", "--secure"],
    ["--action", "s3:GetObject", "--resource", "arn:aws:s3:::example-bucket/a", "--now", "yesterday"],
    ["--action", "s3:GetObject", "--resource", "arn:aws:s3:::example-bucket/a", "--expect", "maybe"],
    ["--action", "s3:GetObject", "--resource", "arn:aws:s3:::example-bucket/a", "--existing-tag", "a=b"],
    ["--action", "s3:PutObjectTagging", "--resource", "arn:aws:s3:::example-bucket/a", "--body", "tagging.xml"],
    ["--http", "GET /example-bucket/a", "--existing-tag", "no-equals-sign"],
    [],
])
def test_simulate_usage_errors(coffer_binary, args):
    r = run(coffer_binary, "simulate", lib("deny-deletes.json"), *args)
    assert r.returncode == 64, r.stdout + r.stderr


@pytest.mark.parametrize("args,message", [
    (["--principal", "alice"], "principal 'alice' is not anonymous"),
    (["--context", "no-equals-sign"], "--context takes KEY=VALUE"),
])
def test_simulate_bad_values(coffer_binary, args, message):
    r = run(coffer_binary, "simulate", lib("deny-deletes.json"), "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::example-bucket/a", *args)
    assert r.returncode == 64
    assert message in r.stderr


def test_simulate_bad_http_line(coffer_binary):
    r = run(coffer_binary, "simulate", lib("deny-deletes.json"), "--http", "FETCH")
    assert r.returncode == 2
    assert "--http takes" in r.stderr


LOGGING = "logging.s3.amazonaws.com"
SOURCE = ["--context", "aws:SourceArn=arn:aws:s3:::source-bucket", "--context", "aws:SourceAccount=123456789012"]


def logging_policy(path, not_principal: dict) -> str:
    """S3 server access logging's grant to its service principal, and a Deny for everyone but
    the principals `not_principal` lists."""
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow", "Principal": {"Service": LOGGING},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::example-bucket/logs/*",
         "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::source-bucket"},
                       "StringEquals": {"aws:SourceAccount": "123456789012"}}},
        {"Sid": "DenyAllButListed", "Effect": "Deny", "NotPrincipal": not_principal, "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::example-bucket/*"}]}))
    return str(path)


def test_simulate_service_principal(coffer_binary, tmp_path):
    policy = logging_policy(tmp_path / "logging.json", {"Service": LOGGING, "AWS": [ALICE, "arn:aws:iam::123456789012:root"]})
    base = ["simulate", policy, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::example-bucket/logs/a.log", "--now", NOW]
    r = run(coffer_binary, *base, "--principal", f"service:{LOGGING}", *SOURCE, "--expect", "allow")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"  principal: service {LOGGING}\n" in r.stdout
    for line in ["aws:PrincipalIsAWSService = true", f"aws:PrincipalServiceName = {LOGGING}", "aws:PrincipalType = Service",
                 "aws:SourceArn = arn:aws:s3:::source-bucket", "aws:SourceAccount = 123456789012"]:
        assert f"    {line}\n" in r.stdout, line
    assert "aws:PrincipalArn" not in r.stdout and "aws:PrincipalAccount" not in r.stdout
    # Without the keys the service gives, the grant does not apply, and simulate says which were missing.
    d = json.loads(run(coffer_binary, *base, "--principal", f"service:{LOGGING}", "--format", "json").stdout)
    assert d["decision"] == "implicit-deny"
    assert d["missingContextKeys"] == ["aws:SourceAccount", "aws:SourceArn"]
    # Another service is neither granted nor exempt from the Deny.
    r = run(coffer_binary, *base, "--principal", "service:cloudtrail.amazonaws.com", *SOURCE, "--format", "json")
    d = json.loads(r.stdout)
    assert d["decision"] == "explicit-deny" and d["matchedStatements"][0]["sid"] == "DenyAllButListed"
    # The same through --http, as the server would derive it.
    r = run(coffer_binary, "simulate", policy, "--principal", f"service:{LOGGING}", "--http", "PUT /example-bucket/logs/a.log",
            *SOURCE, "--now", NOW, "--expect", "allow")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "  operation: PutObject\n" in r.stdout
    r = run(coffer_binary, *base, "--principal", "service:*")
    assert r.returncode == 64 and "is not a service name" in r.stderr


def test_simulate_not_principal_weighs_every_principal(coffer_binary, tmp_path):
    # AWS's example: the user's ARN and its account's ARN are both listed, so alice is exempt;
    # bob of the same account is not, nor is Alice (ARNs are case-sensitive).
    policy = logging_policy(tmp_path / "exempt-alice.json", {"AWS": [ALICE, "arn:aws:iam::123456789012:root"]})
    base = ["simulate", policy, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::example-bucket/data/k", "--now", NOW]
    for principal, expect in [(ALICE, "implicit-deny"), ("arn:aws:iam::123456789012:user/bob", "explicit-deny"),
                              ("arn:aws:iam::123456789012:user/Alice", "explicit-deny"), ("123456789012", "implicit-deny"),
                              (f"service:{LOGGING}", "explicit-deny"), ("anonymous", "explicit-deny")]:
        r = run(coffer_binary, *base, "--principal", principal, "--expect", expect)
        assert r.returncode == 0, f"{principal}: {r.stdout}{r.stderr}"
    # Alice's ARN alone exempts nobody: her requests carry her account too. Lint says so.
    alone = logging_policy(tmp_path / "alice-alone.json", {"AWS": ALICE})
    r = run(coffer_binary, "simulate", alone, *base[2:], "--principal", ALICE, "--expect", "explicit-deny")
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads(run(coffer_binary, "lint", alone, "--format", "json").stdout)
    assert [w["code"] for w in d["warnings"]] == ["not-principal-still-denies"]
    assert d["warnings"][0]["suggestion"] == "add arn:aws:iam::123456789012:root to NotPrincipal"
    d = json.loads(run(coffer_binary, "lint", policy, "--format", "json").stdout)
    assert d["warnings"] == []


# lint

LINTS = [
    ("lint-warnings.txt", [g("lint-warnings.policy.json"), "--bucket", "example-bucket"], 0),
    ("lint-warnings-strict.txt", [g("lint-warnings.policy.json"), "--bucket", "example-bucket", "--strict"], 1),
    ("lint-warnings.json", [g("lint-warnings.policy.json"), "--bucket", "example-bucket", "--format", "json"], 0),
    ("lint-never-matches.txt", [g("lint-never-matches.policy.json")], 1),
    ("lint-malformed.txt", [g("malformed.policy.json")], 1),
    ("lint-malformed.json", [g("malformed.policy.json"), "--format", "json"], 1),
    ("lint-public-read.txt", [lib("public-read-prefix.json"), "--bucket", "example-bucket", "--strict"], 0),
]


@pytest.mark.parametrize("name,args,code", LINTS, ids=[lint[0] for lint in LINTS])
def test_lint_golden(coffer_binary, name, args, code):
    r = run(coffer_binary, "lint", *args)
    assert r.returncode == code, r.stdout + r.stderr
    golden(name, r.stdout)


def test_lint_json_shape(coffer_binary):
    d = json.loads(run(coffer_binary, "lint", g("lint-warnings.policy.json"), "--bucket", "example-bucket", "--format", "json").stdout)
    assert d["valid"] and d["passed"] and d["isPublic"] and d["error"] is None
    assert [(w["severity"], w["code"]) for w in d["warnings"]] == [
        ("info", "missing-version"), ("warning", "missing-key-escapes-deny"), ("warning", "public-write")]
    d = json.loads(run(coffer_binary, "lint", g("lint-warnings.policy.json"), "--strict", "--format", "json").stdout)
    assert d["valid"] and not d["passed"]
    d = json.loads(run(coffer_binary, "lint", g("malformed.policy.json"), "--format", "json").stdout)
    assert not d["valid"] and d["error"] == {"code": "invalidEffect", "reason": "Invalid effect: Permit", "statementIndex": 1}


def test_lint_bucket_validation(coffer_binary):
    # PutBucketPolicy refuses a policy whose resources are not in the bucket it is attached to.
    r = run(coffer_binary, "lint", lib("deny-deletes.json"), "--bucket", "another-bucket")
    assert r.returncode == 1
    assert r.stdout == f"{lib('deny-deletes.json')}: MalformedPolicy: Policy has invalid resource (statement 0)\n"


@pytest.mark.parametrize("policy", sorted(p for p in glob.glob(os.path.join(REPO, LIBRARY, "*.json")) if not p.endswith(".cases.json")))
def test_library_policies_lint_clean(coffer_binary, policy):
    r = run(coffer_binary, "lint", policy, "--bucket", "example-bucket", "--strict")
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == "0 errors, 0 warnings, 0 info"


def test_lint_stdin(coffer_binary):
    with open(os.path.join(REPO, g("malformed.policy.json"))) as f:
        r = run(coffer_binary, "lint", "-", stdin=f.read())
    assert r.returncode == 1
    assert r.stdout == "(stdin): MalformedPolicy: Invalid effect: Permit (statement 1)\n"


# test

def test_library_passes(coffer_binary):
    r = run(coffer_binary, "test", LIBRARY + "/")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert "FAIL" not in r.stdout
    passed = sum(1 for line in lines if line.startswith("  PASS "))
    assert lines[-1] == f"{passed} passed, 0 failed"
    tables = sorted(glob.glob(os.path.join(REPO, LIBRARY, "*.cases.json")))
    for t in tables:
        assert any(line.startswith(os.path.join(LIBRARY, os.path.basename(t))) for line in lines), t


EXPECTED_LIBRARY = [
    "deny-deletes", "deny-sse-c", "deny-unencrypted-uploads-ifexists", "deny-unencrypted-uploads-null",
    "deny-unencrypted-uploads-stringnotequals", "home-folders", "https-only", "ip-allow-list", "public-read-prefix",
    "require-kms-key", "require-sse-c", "require-sse-kms", "require-object-tags",
]


@pytest.mark.parametrize("name", EXPECTED_LIBRARY)
def test_library_tables_are_substantial(name):
    with open(os.path.join(REPO, LIBRARY, name + ".cases.json")) as f:
        table = json.load(f)
    assert table["policy"] == name + ".json" and table["bucket"] == "example-bucket"
    cases = table["cases"]
    assert len(cases) >= 6
    expects = {c["expect"] for c in cases}
    with open(os.path.join(REPO, LIBRARY, name + ".json")) as f:
        grants = any(s["Effect"] == "Allow" for s in json.load(f)["Statement"])
    if grants:  # both allowed and refused requests
        assert "allow" in expects and expects & {"deny", "explicit-deny", "implicit-deny"}
    else:  # a Deny policy: requests it denies and requests it leaves to identity permissions
        assert expects & {"deny", "explicit-deny"} and "implicit-deny" in expects
    # Both kinds of request: http ones where the point is the header derivation, plain ones elsewhere.
    assert any("http" in c["request"] for c in cases)
    with open(os.path.join(REPO, LIBRARY, "README.md")) as f:
        assert f"[{name}]({name}.json)" in f.read()


def test_unencrypted_variants_differ_as_documented(coffer_binary):
    # Without the header, with AES256, with aws:kms: the three forms of "deny unencrypted uploads".
    headers = {"none": [], "AES256": ["--header", "x-amz-server-side-encryption: AES256"],
               "aws:kms": ["--header", "x-amz-server-side-encryption: aws:kms"]}
    answers = {}
    for variant in ("stringnotequals", "null", "ifexists"):
        for label, h in headers.items():
            r = run(coffer_binary, "simulate", lib(f"deny-unencrypted-uploads-{variant}.json"), "--principal", ALICE,
                    "--http", "PUT /example-bucket/k", *h, "--now", NOW, "--format", "json")
            answers[(variant, label)] = json.loads(r.stdout)["decision"]
    assert answers == {
        ("stringnotequals", "none"): "explicit-deny", ("stringnotequals", "AES256"): "implicit-deny",
        ("stringnotequals", "aws:kms"): "explicit-deny",
        ("null", "none"): "explicit-deny", ("null", "AES256"): "implicit-deny", ("null", "aws:kms"): "implicit-deny",
        ("ifexists", "none"): "explicit-deny", ("ifexists", "AES256"): "implicit-deny", ("ifexists", "aws:kms"): "explicit-deny",
    }


def test_wrong_table_fails(coffer_binary):
    r = run(coffer_binary, "test", g("wrong.cases.json"))
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "1 passed, 2 failed"
    assert "  PASS DeleteObject is denied (right)\n" in r.stdout
    assert "  FAIL GetObject is allowed (wrong: the policy alone allows nothing): expected allow, got implicit-deny\n" in r.stdout
    assert ("expected matched statements [DenyEverything], got [DenyDeletes]") in r.stdout
    golden("test-wrong.txt", r.stdout)


def test_table_errors_fail(coffer_binary, tmp_path):
    table = tmp_path / "typo.cases.json"
    table.write_text(json.dumps({
        "policy": os.path.join(REPO, LIBRARY, "deny-deletes.json"), "bucket": "example-bucket",
        "cases": [{"name": "typo", "request": {"principal": ALICE, "action": "s3:DeleteObject",
                                               "resource": "arn:aws:s3:::example-bucket/a"}, "expected": "deny"}]}))
    (tmp_path / "malformed.cases.json").write_text(json.dumps({
        "policy": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
        "cases": [{"name": "m", "request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}, "expect": "deny"}]}))
    # Two "expect"s: the first would pass, the second would fail; neither is silently chosen.
    duplicate = tmp_path / "duplicate.cases.json"
    duplicate.write_text('{"policy": "%s", "cases": [{"request": {"action": "s3:DeleteObject", '
                         '"resource": "arn:aws:s3:::example-bucket/a"}, "expect": "deny", "expect": "allow"}]}'
                         % os.path.join(REPO, LIBRARY, "deny-deletes.json"))
    (tmp_path / "notes.json").write_text("not a table, not read")
    r = run(coffer_binary, "test", str(tmp_path))
    assert r.returncode == 1
    assert f'{table}: cases[0] has unknown field "expected" (known: expect, matchedSids, name, request)' in r.stdout
    assert f'{duplicate}\n  FAIL (table): {duplicate}: duplicate key "expect"' in r.stdout
    assert "  FAIL m: MalformedPolicy: Missing required field Principal" in r.stdout
    assert r.stdout.splitlines()[-1] == "0 passed, 3 failed"


def test_test_missing_path(coffer_binary):
    r = run(coffer_binary, "test", "no/such/dir")
    assert r.returncode == 2
    assert "no such file or directory" in r.stderr
