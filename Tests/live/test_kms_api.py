"""The built-in key service's AWS KMS JSON API (`X-Amz-Target: TrentService.*`, SigV4 service
`kms`) driven with the real `aws kms` CLI and boto3: every operation Coffer offers, KMS's
validation ranges and errors, aliases, key states, rotation, ciphertext integrity and
encryption-context binding, and authentication failures sent by hand."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import os
import re
import urllib.parse
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import aws_cli_error_code, kms_client
from coffer_live import REGION, signing_key

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
KEY_ARN_RE = re.compile(rf"^arn:aws:kms:{REGION}:\d{{12}}:key/({UUID_RE})$")


# ----------------------------------------------------------------------------- helpers


def refused(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def alias_name(hint: str = "a") -> str:
    return f"alias/t-{hint}-{uuid.uuid4().hex[:10]}"


def cli_fails(coffer, *args) -> str:
    """Runs `aws kms ...`, expects failure, returns the error code."""
    return aws_cli_error_code(coffer.aws("kms", *args, check=False))


def cli(coffer, *args, **kw) -> dict:
    return coffer.aws_json("kms", *args, **kw)


def create_key(coffer, description: str = "") -> dict:
    return cli(coffer, "create-key", "--description", description or f"test key {uuid.uuid4().hex[:6]}")["KeyMetadata"]


@pytest.fixture
def kms(coffer):
    return kms_client(coffer)


@pytest.fixture
def kms_raw(coffer):
    """A client that sends values botocore would refuse (below a model minimum)."""
    return kms_client(coffer, validate=False)


@pytest.fixture
def key(coffer) -> dict:
    return create_key(coffer)


def write(tmp_path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return f"fileb://{p}"


def cli_encrypt(coffer, tmp_path, key_id: str, plaintext: bytes, context: dict | None = None) -> dict:
    args = ["encrypt", "--key-id", key_id, "--plaintext", write(tmp_path, f"pt-{uuid.uuid4().hex}", plaintext)]
    if context is not None:
        args += ["--encryption-context", json.dumps(context)]
    return cli(coffer, *args)


def cli_decrypt_args(tmp_path, blob: bytes, context: dict | None = None, key_id: str | None = None) -> list[str]:
    args = ["decrypt", "--ciphertext-blob", write(tmp_path, f"ct-{uuid.uuid4().hex}", blob)]
    if context is not None:
        args += ["--encryption-context", json.dumps(context)]
    if key_id is not None:
        args += ["--key-id", key_id]
    return args


# --------------------------------------------------------------------------- raw, hand-signed requests


def kms_request(coffer, target: str, body: bytes, creds: tuple[str, str] | None = None, service: str = "kms",
                when: dt.datetime | None = None, body_sent: bytes | None = None, region: str = REGION,
                content_type: str = "application/x-amz-json-1.1") -> requests.Response:
    """POST / with `X-Amz-Target: TrentService.<target>`, SigV4-signed for `service` when `creds`
    are given (`body_sent`, if given, replaces the body after signing)."""
    url = coffer.http_url.rstrip("/") + "/"
    host = urllib.parse.urlsplit(url).netloc
    headers = {"Host": host, "Content-Type": content_type, "X-Amz-Target": f"TrentService.{target}"}
    if creds is not None:
        when = when or dt.datetime.now(dt.timezone.utc)
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        payload_hash = hashlib.sha256(body).hexdigest()
        headers["X-Amz-Date"] = amz_date
        signed = {k.lower(): v.strip() for k, v in headers.items()}
        names = sorted(signed)
        canonical = "\n".join(["POST", "/", "", "".join(f"{n}:{signed[n]}\n" for n in names), ";".join(names), payload_hash])
        scope = f"{date}/{region}/{service}/aws4_request"
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        sig = hmac.new(signing_key(creds[1], date, region, service), sts.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds[0]}/{scope}, "
                                    f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return requests.post(url, data=body if body_sent is None else body_sent, headers=headers, timeout=30)


def server_date(response: dict) -> dt.datetime:
    """The server's clock when it answered: the Date header of a boto3 response."""
    return email.utils.parsedate_to_datetime(response["ResponseMetadata"]["HTTPHeaders"]["date"])


def json_error(resp: requests.Response) -> str:
    doc = resp.json()
    return doc.get("__type", "").split("#")[-1]


# ----------------------------------------------------------------------------- keys


def test_create_key_and_describe_it_by_every_identifier(coffer, tmp_path):
    meta = create_key(coffer, "orders key")
    m = KEY_ARN_RE.match(meta["Arn"])
    assert m and m.group(1) == meta["KeyId"], meta
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["Description"] == "orders key"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["AWSAccountId"] == meta["Arn"].split(":")[4]
    described = kms_client(coffer).describe_key(KeyId=meta["KeyId"])
    created = described["KeyMetadata"]["CreationDate"]
    # against the server's clock (the Date of the same answer), not the test's. The Date header
    # has whole seconds and comes from a cache the HTTP server refreshes once a second, so on a
    # loaded machine it can trail the key's creation by a little over a second.
    assert -3 < (server_date(described) - created).total_seconds() < 600
    alias = alias_name("describe")
    coffer.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"])
    alias_arn = meta["Arn"].split(":key/")[0] + ":" + alias
    for ident in (meta["KeyId"], meta["Arn"], alias, alias_arn):
        got = cli(coffer, "describe-key", "--key-id", ident)["KeyMetadata"]
        assert got["KeyId"] == meta["KeyId"] and got["Arn"] == meta["Arn"], ident
        assert got["KeyState"] == "Enabled"


def test_list_keys_paginates(coffer, kms):
    made = {create_key(coffer)["KeyId"] for _ in range(3)}
    listed = cli(coffer, "list-keys")["Keys"]  # the CLI follows every marker
    ids = [k["KeyId"] for k in listed]
    assert made <= set(ids)
    assert len(ids) == len(set(ids))
    for entry in listed:
        assert KEY_ARN_RE.match(entry["KeyArn"]).group(1) == entry["KeyId"]
    seen, marker, pages = [], None, 0
    while True:
        page = kms.list_keys(Limit=1, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 1
        seen += [k["KeyId"] for k in page["Keys"]]
        pages += 1
        if not page["Truncated"]:
            assert "NextMarker" not in page or not page["NextMarker"]
            break
        marker = page["NextMarker"]
        assert pages < 10000
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert pages >= 3


def test_list_keys_limit_and_marker_errors(coffer, kms, kms_raw):
    assert refused(lambda: kms.list_keys(Limit=1001)) == (400, "ValidationException")
    assert refused(lambda: kms_raw.list_keys(Limit=0)) == (400, "ValidationException")
    assert refused(lambda: kms.list_keys(Marker="not-a-marker-from-kms"))[1] == "InvalidMarkerException"
    assert refused(lambda: kms.list_aliases(Limit=1001)) == (400, "ValidationException")


def test_unknown_and_malformed_key_ids(coffer, kms):
    missing = str(uuid.uuid4())
    assert cli_fails(coffer, "describe-key", "--key-id", missing) == "NotFoundException"
    assert cli_fails(coffer, "describe-key", "--key-id", "not-a-key-id") == "NotFoundException"
    assert cli_fails(coffer, "describe-key", "--key-id", alias_name("nope")) == "NotFoundException"
    meta = create_key(coffer)
    account = meta["AWSAccountId"]
    assert cli_fails(coffer, "describe-key", "--key-id", f"arn:aws:kms:{REGION}:{account}:key/{missing}") == "NotFoundException"
    assert cli_fails(coffer, "describe-key", "--key-id", f"arn:aws:kms:{REGION}:{account}:{alias_name('nope')}") == "NotFoundException"
    assert cli_fails(coffer, "describe-key", "--key-id", f"arn:aws:kms:eu-west-3:{account}:key/{meta['KeyId']}") == "NotFoundException"
    for op in (["enable-key"], ["disable-key"], ["get-key-rotation-status"], ["enable-key-rotation"],
               ["rotate-key-on-demand"], ["list-key-rotations"], ["schedule-key-deletion"], ["cancel-key-deletion"],
               ["get-key-policy", "--policy-name", "default"], ["update-key-description", "--description", "x"]):
        assert cli_fails(coffer, *op, "--key-id", missing) == "NotFoundException", op
    assert refused(lambda: kms.encrypt(KeyId=missing, Plaintext=b"x")) == (400, "NotFoundException")
    assert refused(lambda: kms.generate_data_key(KeyId=missing, KeySpec="AES_256")) == (400, "NotFoundException")


def test_update_key_description(coffer, key):
    coffer.aws("kms", "update-key-description", "--key-id", key["KeyId"], "--description", "renamed: payroll")
    assert cli(coffer, "describe-key", "--key-id", key["Arn"])["KeyMetadata"]["Description"] == "renamed: payroll"
    coffer.aws("kms", "update-key-description", "--key-id", key["Arn"], "--description", "")
    assert cli(coffer, "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["Description"] == ""
    assert cli_fails(coffer, "update-key-description", "--key-id", key["KeyId"], "--description", "d" * 8193) == "ValidationException"
    assert cli_fails(coffer, "create-key", "--description", "d" * 8193) == "ValidationException"


# ----------------------------------------------------------------------------- aliases


def test_alias_lifecycle(coffer, tmp_path):
    k1, k2 = create_key(coffer), create_key(coffer)
    name = alias_name("life")
    coffer.aws("kms", "create-alias", "--alias-name", name, "--target-key-id", k1["KeyId"])
    aliases = cli(coffer, "list-aliases")["Aliases"]
    mine = [a for a in aliases if a["AliasName"] == name]
    assert len(mine) == 1
    assert mine[0]["TargetKeyId"] == k1["KeyId"]
    assert mine[0]["AliasArn"] == k1["Arn"].split(":key/")[0] + ":" + name
    by_key = cli(coffer, "list-aliases", "--key-id", k1["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in by_key] == [name]
    assert cli(coffer, "list-aliases", "--key-id", k2["Arn"])["Aliases"] == []
    # the alias works wherever a key id does
    enc = cli_encrypt(coffer, tmp_path, name, b"via alias")
    assert enc["KeyId"] == k1["Arn"]
    # a second alias on the same key is fine
    other = alias_name("second")
    coffer.aws("kms", "create-alias", "--alias-name", other, "--target-key-id", k1["Arn"])
    assert sorted(a["AliasName"] for a in cli(coffer, "list-aliases", "--key-id", k1["KeyId"])["Aliases"]) == sorted([name, other])
    # update-alias moves it
    coffer.aws("kms", "update-alias", "--alias-name", name, "--target-key-id", k2["KeyId"])
    assert cli(coffer, "describe-key", "--key-id", name)["KeyMetadata"]["KeyId"] == k2["KeyId"]
    assert [a["AliasName"] for a in cli(coffer, "list-aliases", "--key-id", k2["KeyId"])["Aliases"]] == [name]
    assert cli_encrypt(coffer, tmp_path, name, b"moved")["KeyId"] == k2["Arn"]
    # the ciphertext made through the alias before the move still decrypts (it names k1)
    blob = base64.b64decode(enc["CiphertextBlob"])
    assert cli(coffer, *cli_decrypt_args(tmp_path, blob))["KeyId"] == k1["Arn"]
    # delete-alias
    coffer.aws("kms", "delete-alias", "--alias-name", name)
    assert cli_fails(coffer, "describe-key", "--key-id", name) == "NotFoundException"
    assert name not in [a["AliasName"] for a in cli(coffer, "list-aliases")["Aliases"]]
    assert cli(coffer, "describe-key", "--key-id", k2["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"  # the key stays


def test_alias_rules(coffer, key):
    other_key = create_key(coffer)
    name = alias_name("rules")
    coffer.aws("kms", "create-alias", "--alias-name", name, "--target-key-id", key["KeyId"])
    assert cli_fails(coffer, "create-alias", "--alias-name", name, "--target-key-id", other_key["KeyId"]) == "AlreadyExistsException"
    assert cli(coffer, "describe-key", "--key-id", name)["KeyMetadata"]["KeyId"] == key["KeyId"]  # unchanged
    # an alias must name a key, not another alias
    assert cli_fails(coffer, "create-alias", "--alias-name", alias_name("chain"), "--target-key-id", name) == "ValidationException"
    assert cli_fails(coffer, "update-alias", "--alias-name", name, "--target-key-id", name) == "ValidationException"
    # malformed names
    assert cli_fails(coffer, "create-alias", "--alias-name", "no-prefix-" + uuid.uuid4().hex[:6], "--target-key-id", key["KeyId"]) == "ValidationException"
    assert cli_fails(coffer, "create-alias", "--alias-name", "alias/bad name!", "--target-key-id", key["KeyId"]) == "ValidationException"
    assert cli_fails(coffer, "create-alias", "--alias-name", "alias/" + "x" * 251, "--target-key-id", key["KeyId"]) == "ValidationException"
    # unknown targets and aliases
    assert cli_fails(coffer, "create-alias", "--alias-name", alias_name("ghost"), "--target-key-id", str(uuid.uuid4())) == "NotFoundException"
    assert cli_fails(coffer, "update-alias", "--alias-name", alias_name("ghost"), "--target-key-id", key["KeyId"]) == "NotFoundException"
    assert cli_fails(coffer, "update-alias", "--alias-name", name, "--target-key-id", str(uuid.uuid4())) == "NotFoundException"
    assert cli_fails(coffer, "delete-alias", "--alias-name", alias_name("ghost")) == "NotFoundException"


def test_reserved_aws_aliases_cannot_be_made_or_changed(coffer, key):
    reserved = "alias/aws/t-" + uuid.uuid4().hex[:8]
    r = coffer.aws("kms", "create-alias", "--alias-name", reserved, "--target-key-id", key["KeyId"], check=False)
    code = aws_cli_error_code(r)
    # KMS refuses the reserved prefix (moto models it as NotAuthorizedException; the exact name is
    # not documented), never with success or a server error
    assert code in ("NotAuthorizedException", "InvalidAliasNameException", "AccessDeniedException", "ValidationException"), code
    assert reserved not in [a["AliasName"] for a in cli(coffer, "list-aliases")["Aliases"]]
    # alias/aws/s3 (made on first use, e.g. by describe-key) cannot be re-pointed or deleted
    managed = cli(coffer, "describe-key", "--key-id", "alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    aws_cli_error_code(coffer.aws("kms", "update-alias", "--alias-name", "alias/aws/s3", "--target-key-id", key["KeyId"], check=False))
    aws_cli_error_code(coffer.aws("kms", "delete-alias", "--alias-name", "alias/aws/s3", check=False))
    assert cli(coffer, "describe-key", "--key-id", "alias/aws/s3")["KeyMetadata"]["KeyId"] == managed["KeyId"]
    # and a user alias cannot point at the AWS managed key
    aws_cli_error_code(coffer.aws("kms", "create-alias", "--alias-name", alias_name("managed"), "--target-key-id", managed["KeyId"], check=False))


def test_aws_managed_s3_key_refuses_management(coffer):
    managed = cli(coffer, "describe-key", "--key-id", "alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert managed["KeyState"] == "Enabled"
    assert KEY_ARN_RE.match(managed["Arn"])
    aliases = [a for a in cli(coffer, "list-aliases")["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert len(aliases) == 1 and aliases[0]["TargetKeyId"] == managed["KeyId"]
    assert cli_fails(coffer, "disable-key", "--key-id", managed["KeyId"]) == "AccessDeniedException"
    assert cli_fails(coffer, "disable-key", "--key-id", "alias/aws/s3") == "AccessDeniedException"
    assert cli_fails(coffer, "schedule-key-deletion", "--key-id", managed["KeyId"], "--pending-window-in-days", "7") == "AccessDeniedException"
    assert cli(coffer, "describe-key", "--key-id", managed["Arn"])["KeyMetadata"]["KeyState"] == "Enabled"
    # AWS managed keys always rotate (yearly)
    assert cli(coffer, "get-key-rotation-status", "--key-id", managed["KeyId"])["KeyRotationEnabled"] is True
    # it still encrypts and decrypts for its caller
    enc = kms_client(coffer).encrypt(KeyId="alias/aws/s3", Plaintext=b"managed")
    assert enc["KeyId"] == managed["Arn"]


# ----------------------------------------------------------------------------- encrypt / decrypt


def test_encrypt_decrypt_round_trip_with_context(coffer, key, tmp_path):
    plaintext = os.urandom(1000)
    context = {"purpose": "test", "tenant": "t-42"}
    enc = cli_encrypt(coffer, tmp_path, key["KeyId"], plaintext, context)
    assert enc["KeyId"] == key["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = base64.b64decode(enc["CiphertextBlob"])
    assert plaintext not in blob and len(blob) > len(plaintext)
    dec = cli(coffer, *cli_decrypt_args(tmp_path, blob, {"tenant": "t-42", "purpose": "test"}))  # order is irrelevant
    assert base64.b64decode(dec["Plaintext"]) == plaintext
    assert dec["KeyId"] == key["Arn"]
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    # the same with every form of the key id
    name = alias_name("rt")
    coffer.aws("kms", "create-alias", "--alias-name", name, "--target-key-id", key["KeyId"])
    for ident in (key["Arn"], name, key["Arn"].split(":key/")[0] + ":" + name):
        e = cli_encrypt(coffer, tmp_path, ident, b"form " + ident.encode())
        d = cli(coffer, *cli_decrypt_args(tmp_path, base64.b64decode(e["CiphertextBlob"]), key_id=ident))
        assert base64.b64decode(d["Plaintext"]) == b"form " + ident.encode()
    # two encryptions of the same plaintext differ
    again = cli_encrypt(coffer, tmp_path, key["KeyId"], plaintext, context)
    assert again["CiphertextBlob"] != enc["CiphertextBlob"]
    # boto3 agrees
    kms = kms_client(coffer)
    b = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"\x00binary\xff", EncryptionContext={"k": ""})
    assert kms.decrypt(CiphertextBlob=b["CiphertextBlob"], EncryptionContext={"k": ""})["Plaintext"] == b"\x00binary\xff"


CONTEXT_MISMATCHES = [
    ({"ab": "c"}, {"a": "bc"}),
    ({"a": "bc"}, {"ab": "c"}),
    ({"a": "1"}, {}),
    ({}, {"a": "1"}),
    ({"a": "1"}, {"a": "2"}),
    ({"a": "1"}, {"A": "1"}),
    ({"a": "1"}, {"a": "1", "b": "2"}),
    ({"a": "1", "b": "2"}, {"a": "1"}),
    ({"a": "1", "b": "2"}, {"a": "2", "b": "1"}),
    ({"a": ""}, {}),
    ({"a=b": "c"}, {"a": "b=c"}),
]


@pytest.mark.parametrize("encrypt_ctx,decrypt_ctx", CONTEXT_MISMATCHES)
def test_encryption_context_must_match_exactly(coffer, kms, encrypt_ctx, decrypt_ctx):
    key_id = kms.create_key(Description="context")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"bound to its context", EncryptionContext=encrypt_ctx)["CiphertextBlob"]
    assert refused(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=decrypt_ctx)) == (400, "InvalidCiphertextException")
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=encrypt_ctx)["Plaintext"] == b"bound to its context"


def test_context_keys_are_compared_as_exact_strings(coffer, kms, key):
    """KMS binds the exact set of pairs, byte for byte. "\u00e9" (precomposed) and "e\u0301"
    (decomposed) are different keys: a context holding both would be two pairs to KMS; Coffer
    refuses it (ValidationException) instead of merging them (a documented deviation), and
    each alone binds exactly its own bytes."""
    nfc, nfd = "\u00e9", "e\u0301"
    assert refused(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"unicode", EncryptionContext={nfc: "1", nfd: "2"})) == (400, "ValidationException")
    assert refused(lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={nfc: "1", nfd: "2"})) == (400, "ValidationException")
    single = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"nfc", EncryptionContext={nfc: "v"})["CiphertextBlob"]
    assert refused(lambda: kms.decrypt(CiphertextBlob=single, EncryptionContext={nfd: "v"})) == (400, "InvalidCiphertextException")
    # non-ASCII keys and values round-trip, whatever order the JSON object lists them in
    ctx = {"ключ": "значение", "键": "值", "a": "🙂", "Z": ""}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"utf8", EncryptionContext=ctx)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))))["Plaintext"] == b"utf8"


def test_context_mismatch_with_the_cli(coffer, key, tmp_path):
    enc = cli_encrypt(coffer, tmp_path, key["KeyId"], b"cli context", {"ab": "c"})
    blob = base64.b64decode(enc["CiphertextBlob"])
    assert aws_cli_error_code(coffer.aws("kms", *cli_decrypt_args(tmp_path, blob, {"a": "bc"}), check=False)) == "InvalidCiphertextException"
    assert aws_cli_error_code(coffer.aws("kms", *cli_decrypt_args(tmp_path, blob), check=False)) == "InvalidCiphertextException"
    assert base64.b64decode(cli(coffer, *cli_decrypt_args(tmp_path, blob, {"ab": "c"}))["Plaintext"]) == b"cli context"


def test_tampered_truncated_and_foreign_ciphertext(coffer, kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"integrity matters", EncryptionContext={"c": "1"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "1"})["Plaintext"] == b"integrity matters"
    for i in sorted({0, 1, 8, 16, 17, 20, 21, 30, 37, 45, 49, len(blob) // 2, len(blob) - 17, len(blob) - 1}):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        code = refused(lambda: kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext={"c": "1"}))
        assert code == (400, "InvalidCiphertextException"), (i, code)
    for cut in (1, 16, len(blob) // 2, len(blob) - 1):
        assert refused(lambda: kms.decrypt(CiphertextBlob=blob[:cut], EncryptionContext={"c": "1"})) == (400, "InvalidCiphertextException"), cut
    assert refused(lambda: kms.decrypt(CiphertextBlob=blob + b"\x00", EncryptionContext={"c": "1"})) == (400, "InvalidCiphertextException")
    assert refused(lambda: kms.decrypt(CiphertextBlob=os.urandom(120))) == (400, "InvalidCiphertextException")
    # the body of one blob under the header of another (splicing) is refused
    other = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"integrity matters", EncryptionContext={"c": "1"})["CiphertextBlob"]
    spliced = blob[:40] + other[40:]
    assert refused(lambda: kms.decrypt(CiphertextBlob=spliced, EncryptionContext={"c": "1"})) == (400, "InvalidCiphertextException")


def test_tampered_ciphertext_with_the_cli(coffer, key, tmp_path):
    blob = bytearray(base64.b64decode(cli_encrypt(coffer, tmp_path, key["KeyId"], b"cli tamper")["CiphertextBlob"]))
    blob[-5] ^= 0x80
    assert aws_cli_error_code(coffer.aws("kms", *cli_decrypt_args(tmp_path, bytes(blob)), check=False)) == "InvalidCiphertextException"


def test_decrypt_with_a_key_id_that_does_not_match(coffer, kms, tmp_path):
    k1, k2 = create_key(coffer), create_key(coffer)
    enc = cli_encrypt(coffer, tmp_path, k1["KeyId"], b"whose key?")
    blob = base64.b64decode(enc["CiphertextBlob"])
    assert aws_cli_error_code(coffer.aws("kms", *cli_decrypt_args(tmp_path, blob, key_id=k2["KeyId"]), check=False)) == "IncorrectKeyException"
    assert refused(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=k2["Arn"])) == (400, "IncorrectKeyException")
    name = alias_name("mismatch")
    kms.create_alias(AliasName=name, TargetKeyId=k2["KeyId"])
    assert refused(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=name)) == (400, "IncorrectKeyException")
    assert kms.decrypt(CiphertextBlob=blob, KeyId=k1["Arn"])["Plaintext"] == b"whose key?"


def test_encrypt_size_limits(coffer, kms, kms_raw, key, tmp_path):
    full = os.urandom(4096)
    enc = cli_encrypt(coffer, tmp_path, key["KeyId"], full)
    assert base64.b64decode(cli(coffer, *cli_decrypt_args(tmp_path, base64.b64decode(enc["CiphertextBlob"])))["Plaintext"]) == full
    r = coffer.aws("kms", "encrypt", "--key-id", key["KeyId"], "--plaintext", write(tmp_path, "big", os.urandom(4097)), check=False)
    assert aws_cli_error_code(r) == "ValidationException"
    assert refused(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=os.urandom(4097))) == (400, "ValidationException")
    assert refused(lambda: kms_raw.encrypt(KeyId=key["KeyId"], Plaintext=b"")) == (400, "ValidationException")
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"1")["KeyId"] == key["Arn"]


def test_encrypt_with_an_asymmetric_algorithm_is_invalid_key_usage(coffer, kms, key):
    assert refused(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")) == (400, "InvalidKeyUsageException")


# ----------------------------------------------------------------------------- data keys, re-encrypt


def test_generate_data_key_variants(coffer, kms, key):
    ctx = {"bucket": "b1"}
    for spec, size in (("AES_256", 32), ("AES_128", 16)):
        out = cli(coffer, "generate-data-key", "--key-id", key["KeyId"], "--key-spec", spec, "--encryption-context", json.dumps(ctx))
        assert out["KeyId"] == key["Arn"]
        plain = base64.b64decode(out["Plaintext"])
        assert len(plain) == size
        blob = base64.b64decode(out["CiphertextBlob"])
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == plain
        assert refused(lambda: kms.decrypt(CiphertextBlob=blob))[1] == "InvalidCiphertextException"
    for n in (1, 64, 1024):
        out = cli(coffer, "generate-data-key", "--key-id", key["Arn"], "--number-of-bytes", str(n))
        assert len(base64.b64decode(out["Plaintext"])) == n
    without = cli(coffer, "generate-data-key-without-plaintext", "--key-id", key["KeyId"], "--key-spec", "AES_256",
                  "--encryption-context", json.dumps(ctx))
    assert "Plaintext" not in without
    assert without["KeyId"] == key["Arn"]
    assert len(kms.decrypt(CiphertextBlob=base64.b64decode(without["CiphertextBlob"]), EncryptionContext=ctx)["Plaintext"]) == 32
    w2 = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=48)
    assert "Plaintext" not in w2 and len(kms.decrypt(CiphertextBlob=w2["CiphertextBlob"])["Plaintext"]) == 48
    # two data keys differ
    a = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    b = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    assert a != b


def test_generate_data_key_errors(coffer, kms, kms_raw, key):
    assert cli_fails(coffer, "generate-data-key", "--key-id", key["KeyId"]) == "ValidationException"
    assert cli_fails(coffer, "generate-data-key", "--key-id", key["KeyId"], "--key-spec", "AES_256", "--number-of-bytes", "32") == "ValidationException"
    assert cli_fails(coffer, "generate-data-key", "--key-id", key["KeyId"], "--number-of-bytes", "1025") == "ValidationException"
    assert cli_fails(coffer, "generate-data-key", "--key-id", key["KeyId"], "--key-spec", "AES_512") == "ValidationException"
    assert cli_fails(coffer, "generate-data-key-without-plaintext", "--key-id", key["KeyId"]) == "ValidationException"
    assert refused(lambda: kms_raw.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=0)) == (400, "ValidationException")
    assert cli_fails(coffer, "generate-data-key", "--key-id", str(uuid.uuid4()), "--key-spec", "AES_256") == "NotFoundException"


def test_re_encrypt(coffer, kms, tmp_path):
    src, dst = create_key(coffer), create_key(coffer)
    plaintext = os.urandom(200)
    blob = base64.b64decode(cli_encrypt(coffer, tmp_path, src["KeyId"], plaintext, {"stage": "one"})["CiphertextBlob"])
    out = cli(coffer, "re-encrypt", "--ciphertext-blob", write(tmp_path, "src.bin", blob),
              "--source-encryption-context", json.dumps({"stage": "one"}),
              "--destination-key-id", dst["KeyId"], "--destination-encryption-context", json.dumps({"stage": "two"}))
    assert out["SourceKeyId"] == src["Arn"]
    assert out["KeyId"] == dst["Arn"]
    new_blob = base64.b64decode(out["CiphertextBlob"])
    d = kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"stage": "two"})
    assert d["Plaintext"] == plaintext and d["KeyId"] == dst["Arn"]
    assert refused(lambda: kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"stage": "one"}))[1] == "InvalidCiphertextException"
    assert refused(lambda: kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"stage": "two"}, KeyId=src["KeyId"]))[1] == "IncorrectKeyException"
    # source context wrong, source key id wrong, destination unknown
    assert refused(lambda: kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"stage": "1"}, DestinationKeyId=dst["KeyId"]))[1] == "InvalidCiphertextException"
    assert refused(lambda: kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"stage": "one"}, SourceKeyId=dst["KeyId"],
                                          DestinationKeyId=dst["KeyId"]))[1] == "IncorrectKeyException"
    assert refused(lambda: kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"stage": "one"},
                                          DestinationKeyId=str(uuid.uuid4())))[1] == "NotFoundException"
    # re-encrypting under the same key (a new context) works
    same = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"stage": "one"}, SourceKeyId=src["Arn"], DestinationKeyId=src["KeyId"])
    assert kms.decrypt(CiphertextBlob=same["CiphertextBlob"])["Plaintext"] == plaintext
    # a disabled destination
    kms.disable_key(KeyId=dst["KeyId"])
    assert refused(lambda: kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"stage": "one"}, DestinationKeyId=dst["KeyId"]))[1] == "DisabledException"


# ----------------------------------------------------------------------------- rotation


def test_rotation_status_and_period_ranges(coffer, kms_raw, key):
    kid = key["KeyId"]
    st = cli(coffer, "get-key-rotation-status", "--key-id", kid)
    assert st["KeyRotationEnabled"] is False
    coffer.aws("kms", "enable-key-rotation", "--key-id", kid)
    st = cli(coffer, "get-key-rotation-status", "--key-id", key["Arn"])
    assert st["KeyRotationEnabled"] is True
    assert st["RotationPeriodInDays"] == 365
    assert st["KeyId"] == key["Arn"]
    assert "NextRotationDate" in st
    for days in (90, 2560, 180):
        coffer.aws("kms", "enable-key-rotation", "--key-id", kid, "--rotation-period-in-days", str(days))
        assert cli(coffer, "get-key-rotation-status", "--key-id", kid)["RotationPeriodInDays"] == days
    assert cli_fails(coffer, "enable-key-rotation", "--key-id", kid, "--rotation-period-in-days", "2561") == "ValidationException"
    assert refused(lambda: kms_raw.enable_key_rotation(KeyId=kid, RotationPeriodInDays=89)) == (400, "ValidationException")
    assert refused(lambda: kms_raw.enable_key_rotation(KeyId=kid, RotationPeriodInDays=0)) == (400, "ValidationException")
    assert cli(coffer, "get-key-rotation-status", "--key-id", kid)["RotationPeriodInDays"] == 180  # refusals changed nothing
    coffer.aws("kms", "disable-key-rotation", "--key-id", kid)
    st = cli(coffer, "get-key-rotation-status", "--key-id", kid)
    assert st["KeyRotationEnabled"] is False
    assert "RotationPeriodInDays" not in st or st["RotationPeriodInDays"] is None


def test_rotation_status_follows_the_key_state(coffer, kms, key):
    """GetKeyRotationStatus (AWS): disabling a key does not change its rotation status; while a
    key is pending deletion its status is false, and cancelling the deletion restores it."""
    kid = key["KeyId"]
    kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=120)
    kms.disable_key(KeyId=kid)
    assert kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is True
    kms.enable_key(KeyId=kid)
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert cli(coffer, "get-key-rotation-status", "--key-id", kid)["KeyRotationEnabled"] is False
    kms.cancel_key_deletion(KeyId=kid)
    st = kms.get_key_rotation_status(KeyId=kid)
    assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 120


def test_on_demand_rotation_limit(coffer, kms, key):
    kid = key["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"v1")["CiphertextBlob"]
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=kid)
    assert cli_fails(coffer, "rotate-key-on-demand", "--key-id", kid) == "LimitExceededException"
    rotations = kms.list_key_rotations(KeyId=kid)["Rotations"]
    assert len(rotations) == 10 and {r["RotationType"] for r in rotations} == {"ON_DEMAND"}
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"v1"


def test_rotate_on_demand_keeps_old_ciphertext_readable(coffer, kms, key, tmp_path):
    kid = key["KeyId"]
    assert cli(coffer, "list-key-rotations", "--key-id", kid)["Rotations"] == []
    before = kms.encrypt(KeyId=kid, Plaintext=b"before rotation", EncryptionContext={"v": "0"})["CiphertextBlob"]
    data_key = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")
    out = cli(coffer, "rotate-key-on-demand", "--key-id", kid)
    assert out["KeyId"] in (kid, key["Arn"])
    rotations = cli(coffer, "list-key-rotations", "--key-id", kid)["Rotations"]
    assert len(rotations) == 1
    assert rotations[0]["RotationType"] == "ON_DEMAND"
    assert rotations[0]["KeyId"] == key["Arn"]
    after = kms.encrypt(KeyId=kid, Plaintext=b"after rotation", EncryptionContext={"v": "1"})["CiphertextBlob"]
    coffer.aws("kms", "rotate-key-on-demand", "--key-id", key["Arn"])
    assert len(cli(coffer, "list-key-rotations", "--key-id", kid)["Rotations"]) == 2
    assert kms.decrypt(CiphertextBlob=before, EncryptionContext={"v": "0"})["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=after, EncryptionContext={"v": "1"})["Plaintext"] == b"after rotation"
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    # and with the CLI
    dec = cli(coffer, *cli_decrypt_args(tmp_path, before, {"v": "0"}, key_id=kid))
    assert base64.b64decode(dec["Plaintext"]) == b"before rotation"
    # the old ciphertext re-encrypts onto the newest material
    re = kms.re_encrypt(CiphertextBlob=before, SourceEncryptionContext={"v": "0"}, DestinationKeyId=kid, DestinationEncryptionContext={"v": "0"})
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"v": "0"})["Plaintext"] == b"before rotation"
    # list-key-rotations pages
    page = kms.list_key_rotations(KeyId=kid, Limit=1)
    assert len(page["Rotations"]) == 1 and page["Truncated"] is True
    rest = kms.list_key_rotations(KeyId=kid, Limit=1, Marker=page["NextMarker"])
    assert len(rest["Rotations"]) == 1 and rest["Truncated"] is False


# ----------------------------------------------------------------------------- key states


def test_disable_and_enable_key(coffer, kms, key, tmp_path):
    kid = key["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"state test")["CiphertextBlob"]
    coffer.aws("kms", "disable-key", "--key-id", kid)
    meta = cli(coffer, "describe-key", "--key-id", kid)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    assert aws_cli_error_code(coffer.aws("kms", "encrypt", "--key-id", kid, "--plaintext", write(tmp_path, "p", b"x"), check=False)) == "DisabledException"
    assert aws_cli_error_code(coffer.aws("kms", *cli_decrypt_args(tmp_path, blob), check=False)) == "DisabledException"
    assert cli_fails(coffer, "generate-data-key", "--key-id", kid, "--key-spec", "AES_256") == "DisabledException"
    assert cli_fails(coffer, "generate-data-key-without-plaintext", "--key-id", kid, "--key-spec", "AES_256") == "DisabledException"
    assert refused(lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=create_key(coffer)["KeyId"]))[1] == "DisabledException"
    # management still works on a disabled key
    coffer.aws("kms", "disable-key", "--key-id", kid)  # idempotent
    coffer.aws("kms", "update-key-description", "--key-id", kid, "--description", "while disabled")
    assert cli(coffer, "get-key-policy", "--key-id", kid, "--policy-name", "default")["Policy"]
    coffer.aws("kms", "enable-key", "--key-id", key["Arn"])
    meta = cli(coffer, "describe-key", "--key-id", kid)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"state test"
    coffer.aws("kms", "enable-key", "--key-id", kid)  # idempotent


def test_schedule_and_cancel_key_deletion(coffer, kms, key, tmp_path):
    kid = key["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"doomed?")["CiphertextBlob"]
    name = alias_name("doomed")
    kms.create_alias(AliasName=name, TargetKeyId=kid)
    out = cli(coffer, "schedule-key-deletion", "--key-id", kid, "--pending-window-in-days", "7")
    assert out["KeyId"] == key["Arn"]
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 7
    described = kms.describe_key(KeyId=kid)
    deletion = described["KeyMetadata"]["DeletionDate"]
    assert abs((deletion - server_date(described)).total_seconds() - 7 * 86400) < 3600
    meta = cli(coffer, "describe-key", "--key-id", kid)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and meta["Enabled"] is False
    assert meta["PendingDeletionWindowInDays"] == 7
    assert "DeletionDate" in meta
    # no cryptographic use while pending deletion
    assert aws_cli_error_code(coffer.aws("kms", "encrypt", "--key-id", kid, "--plaintext", write(tmp_path, "p", b"x"), check=False)) == "KMSInvalidStateException"
    assert aws_cli_error_code(coffer.aws("kms", *cli_decrypt_args(tmp_path, blob), check=False)) == "KMSInvalidStateException"
    assert cli_fails(coffer, "generate-data-key", "--key-id", name, "--key-spec", "AES_256") == "KMSInvalidStateException"
    assert cli_fails(coffer, "enable-key", "--key-id", kid) == "KMSInvalidStateException"
    assert cli_fails(coffer, "disable-key", "--key-id", kid) == "KMSInvalidStateException"
    assert cli_fails(coffer, "schedule-key-deletion", "--key-id", kid, "--pending-window-in-days", "10") == "KMSInvalidStateException"
    assert cli_fails(coffer, "rotate-key-on-demand", "--key-id", kid) == "KMSInvalidStateException"
    # cancel: the key comes back Disabled
    out = cli(coffer, "cancel-key-deletion", "--key-id", kid)
    assert out["KeyId"] == key["Arn"]
    meta = cli(coffer, "describe-key", "--key-id", kid)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    assert "DeletionDate" not in meta or meta["DeletionDate"] is None
    assert refused(lambda: kms.decrypt(CiphertextBlob=blob))[1] == "DisabledException"
    assert cli_fails(coffer, "cancel-key-deletion", "--key-id", kid) == "KMSInvalidStateException"
    coffer.aws("kms", "enable-key", "--key-id", kid)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"doomed?"
    assert cli(coffer, "describe-key", "--key-id", name)["KeyMetadata"]["KeyId"] == kid  # the alias survived


def test_deletion_window_range_and_default(coffer, kms_raw):
    k = create_key(coffer)["KeyId"]
    assert cli_fails(coffer, "schedule-key-deletion", "--key-id", k, "--pending-window-in-days", "31") == "ValidationException"
    assert refused(lambda: kms_raw.schedule_key_deletion(KeyId=k, PendingWindowInDays=6)) == (400, "ValidationException")
    assert cli(coffer, "describe-key", "--key-id", k)["KeyMetadata"]["KeyState"] == "Enabled"
    out = kms_raw.schedule_key_deletion(KeyId=k)
    assert out["PendingWindowInDays"] == 30 and out["KeyState"] == "PendingDeletion"
    k30 = create_key(coffer)["KeyId"]
    assert cli(coffer, "schedule-key-deletion", "--key-id", k30, "--pending-window-in-days", "30")["PendingWindowInDays"] == 30


# ----------------------------------------------------------------------------- key policy


def test_key_policy(coffer, kms, key):
    kid = key["KeyId"]
    got = cli(coffer, "get-key-policy", "--key-id", kid, "--policy-name", "default")
    doc = json.loads(got["Policy"])
    assert "Statement" in doc and doc["Statement"]
    policy = json.dumps({"Version": "2012-10-17", "Id": "custom", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{key['AWSAccountId']}:root"},
         "Action": "kms:*", "Resource": "*"}]})
    coffer.aws("kms", "put-key-policy", "--key-id", kid, "--policy-name", "default", "--policy", policy)
    assert json.loads(cli(coffer, "get-key-policy", "--key-id", key["Arn"], "--policy-name", "default")["Policy"]) == json.loads(policy)
    assert cli_fails(coffer, "put-key-policy", "--key-id", kid, "--policy-name", "default", "--policy", "this is not json") == "MalformedPolicyDocumentException"
    assert cli_fails(coffer, "get-key-policy", "--key-id", kid, "--policy-name", "other") == "NotFoundException"
    assert cli_fails(coffer, "put-key-policy", "--key-id", kid, "--policy-name", "other", "--policy", policy) == "NotFoundException"
    assert json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]) == json.loads(policy)  # unchanged
    # a policy given to create-key is the key's policy; a malformed one makes no key
    made = cli(coffer, "create-key", "--description", "with policy", "--policy", policy)["KeyMetadata"]
    assert json.loads(cli(coffer, "get-key-policy", "--key-id", made["KeyId"], "--policy-name", "default")["Policy"]) == json.loads(policy)
    before = {k["KeyId"] for k in cli(coffer, "list-keys")["Keys"]}
    assert cli_fails(coffer, "create-key", "--description", "bad policy", "--policy", "{not json") == "MalformedPolicyDocumentException"
    assert {k["KeyId"] for k in cli(coffer, "list-keys")["Keys"]} == before


# ----------------------------------------------------------------------------- authentication and wire errors


LIST_KEYS = b"{}"


def test_signed_raw_request_works(coffer):
    r = kms_request(coffer, "ListKeys", LIST_KEYS, creds=coffer.root)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-amz-json-1.1")
    assert r.headers.get("x-amzn-RequestId")
    assert "Keys" in r.json()


def test_aws_kms_cli_over_https(coffer, tmp_path):
    meta = cli(coffer, "create-key", "--description", "over tls", transport="https")["KeyMetadata"]
    out = coffer.aws_json("kms", "encrypt", "--key-id", meta["KeyId"], "--plaintext", write(tmp_path, "p", b"tls"), transport="https")
    back = coffer.aws_json("kms", *cli_decrypt_args(tmp_path, base64.b64decode(out["CiphertextBlob"])), transport="https")
    assert base64.b64decode(back["Plaintext"]) == b"tls"


def test_unsigned_request_is_refused(coffer):
    r = kms_request(coffer, "ListKeys", LIST_KEYS)
    assert r.status_code == 400, r.text
    assert json_error(r) == "MissingAuthenticationTokenException"
    r = kms_request(coffer, "CreateKey", b'{"Description": "anonymous"}')
    assert r.status_code == 400
    assert json_error(r) == "MissingAuthenticationTokenException"


def test_unknown_access_key_is_unrecognized_client(coffer):
    bad = kms_client(coffer, creds=("AKIANOSUCHKEY0000000", "whatever-secret"))
    assert refused(lambda: bad.list_keys()) == (400, "UnrecognizedClientException")
    r = coffer.aws("kms", "list-keys", creds=("AKIANOSUCHKEY0000000", "whatever-secret"), check=False)
    assert aws_cli_error_code(r) == "UnrecognizedClientException"
    r = kms_request(coffer, "ListKeys", LIST_KEYS, creds=("AKIANOSUCHKEY0000000", "x"))
    assert r.status_code == 400 and json_error(r) == "UnrecognizedClientException"


def test_wrong_secret_is_invalid_signature(coffer):
    bad = kms_client(coffer, creds=(coffer.root[0], "not-the-secret"))
    assert refused(lambda: bad.list_keys()) == (400, "InvalidSignatureException")
    assert refused(lambda: bad.create_key(Description="never")) == (400, "InvalidSignatureException")
    r = coffer.aws("kms", "list-keys", creds=(coffer.root[0], "not-the-secret"), check=False)
    assert aws_cli_error_code(r) == "InvalidSignatureException"


def test_body_changed_after_signing_is_invalid_signature(coffer, key):
    body = json.dumps({"KeyId": key["KeyId"]}).encode()
    r = kms_request(coffer, "DisableKey", body, creds=coffer.root, body_sent=json.dumps({"KeyId": key["KeyId"] + " "}).encode())
    assert r.status_code == 400, r.text
    assert json_error(r) == "InvalidSignatureException"
    assert cli(coffer, "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_expired_signature_is_refused(coffer):
    # 20 minutes before the server's own clock: five minutes past the 15 allowed
    r = kms_request(coffer, "ListKeys", LIST_KEYS, creds=coffer.root, when=coffer.endpoint().server_time() - dt.timedelta(minutes=20))
    assert r.status_code == 400, r.text
    assert json_error(r) == "InvalidSignatureException"
    assert "expired" in r.json().get("message", r.json().get("Message", "")).lower()


def test_alice_can_use_the_key_service(coffer):
    alice = kms_client(coffer, creds=coffer.alice)
    kid = alice.create_key(Description="alice's")["KeyMetadata"]["KeyId"]
    blob = alice.encrypt(KeyId=kid, Plaintext=b"hi")["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hi"


def test_malformed_json_and_missing_members(coffer):
    r = kms_request(coffer, "DescribeKey", b"{not json", creds=coffer.root)
    assert r.status_code == 400, r.text
    assert json_error(r) == "SerializationException"
    r = kms_request(coffer, "DescribeKey", b'{"KeyId": 42}', creds=coffer.root)
    assert r.status_code == 400, r.text
    assert json_error(r) == "SerializationException"
    r = kms_request(coffer, "Encrypt", b'{"KeyId": "alias/aws/s3", "Plaintext": "%%%not base64%%%"}', creds=coffer.root)
    assert r.status_code == 400, r.text
    assert json_error(r) == "SerializationException"
    r = kms_request(coffer, "DescribeKey", b"{}", creds=coffer.root)
    assert r.status_code == 400, r.text
    assert json_error(r) == "ValidationException"
    r = kms_request(coffer, "Encrypt", b'{"KeyId": "alias/aws/s3"}', creds=coffer.root)
    assert r.status_code == 400, r.text
    assert json_error(r) == "ValidationException"


def test_unknown_operation(coffer):
    r = kms_request(coffer, "FrobnicateKey", b"{}", creds=coffer.root)
    assert r.status_code == 400, r.text
    assert json_error(r) == "UnknownOperationException"
