"""Key policies of the built-in KMS, evaluated with the bucket-policy engine: the caller of
`aws kms` and, for SSE-KMS, the S3 caller (`kms:ViaService`) are authorised against the key's
policy; a refusal is AccessDeniedException through KMS and 403 AccessDenied through S3, and it
is on the audit trail like every other call."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from conftest import kms_client


def code_of(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]


def policy(account: str, *statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        *statements]})


@pytest.fixture
def keyed(coffer):
    kms = kms_client(coffer)
    meta = kms.create_key(Description="policy test")["KeyMetadata"]
    return kms, meta["KeyId"], meta["AWSAccountId"], meta["Arn"]


def test_default_policy_lets_every_user_of_the_account_use_the_key(coffer, keyed):
    kms, key, _, _ = keyed
    alice = kms_client(coffer, creds=coffer.creds("alice"))
    blob = alice.encrypt(KeyId=key, Plaintext=b"shared")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    assert "kms:*" in kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]


def test_a_deny_for_one_user_refuses_kms_and_s3_calls(coffer, keyed):
    kms, key, account, arn = keyed
    alice_arn = f"arn:aws:iam::{account}:user/alice"
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(account, {
        "Sid": "NoAlice", "Effect": "Deny", "Principal": {"AWS": alice_arn},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}))
    alice = kms_client(coffer, creds=coffer.creds("alice"))
    assert code_of(lambda: alice.encrypt(KeyId=key, Plaintext=b"x")) == (400, "AccessDeniedException")
    assert alice.describe_key(KeyId=key)["KeyMetadata"]["Arn"] == arn  # not denied
    blob = kms.encrypt(KeyId=key, Plaintext=b"root's")["CiphertextBlob"]
    assert code_of(lambda: alice.decrypt(CiphertextBlob=blob)) == (400, "AccessDeniedException")

    s3_alice = coffer.client(user="alice")
    bucket = f"kp-{key[:8]}"
    s3_alice.create_bucket(Bucket=bucket)
    assert code_of(lambda: s3_alice.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                                               SSEKMSKeyId=key)) == (403, "AccessDenied")
    assert code_of(lambda: s3_alice.head_object(Bucket=bucket, Key="k"))[0] == 404  # nothing written
    s3_alice.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")  # another key: fine

    # Lifting the deny lets her in at once.
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(account))
    s3_alice.put_object(Bucket=bucket, Key="k2", Body=b"y", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    assert s3_alice.get_object(Bucket=bucket, Key="k2")["Body"].read() == b"y"


def test_via_service_condition_allows_s3_but_not_direct_use(coffer, s3, bucket, keyed):
    kms, key, account, _ = keyed
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(account, {
        "Sid": "OnlyThroughS3", "Effect": "Deny", "Principal": "*", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*", "Condition": {"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}))
    s3.put_object(Bucket=bucket, Key="via-s3", Body=b"through s3", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    assert s3.get_object(Bucket=bucket, Key="via-s3")["Body"].read() == b"through s3"
    assert code_of(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256")) == (400, "AccessDeniedException")


def test_encryption_context_condition(coffer, keyed):
    kms, key, account, _ = keyed
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(account, {
        "Sid": "TenantOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:EncryptionContext:tenant": "blue"}}}))
    kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"tenant": "blue"})
    assert code_of(lambda: kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"tenant": "red"})) == (400, "AccessDeniedException")
    assert code_of(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == (400, "AccessDeniedException")


def test_put_key_policy_validation_and_lockout_check(coffer, keyed):
    kms, key, account, _ = keyed
    assert code_of(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy="{not json")) == (400, "MalformedPolicyDocumentException")
    assert code_of(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allowed", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}))) \
        == (400, "MalformedPolicyDocumentException")
    lockout = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/nobody"}, "Action": "kms:*", "Resource": "*"}]})
    assert code_of(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=lockout)) == (400, "MalformedPolicyDocumentException")
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=lockout, BypassPolicyLockoutSafetyCheck=True)
    assert code_of(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == (400, "AccessDeniedException")
    assert code_of(lambda: kms.get_key_policy(KeyId=key, PolicyName="default")) == (400, "AccessDeniedException")


def test_an_identity_policy_deny_refuses_kms_use(server_factory):
    """Deny wins across policy types: a user's identity policy (users file) that denies a KMS
    action refuses it through `aws kms` and through SSE-KMS, whatever the key policy allows."""
    import boto3
    from botocore.config import Config
    from conftest import ALICE, ROOT

    server = server_factory(users=[("alice", ALICE)])
    with open(server.users_file) as f:
        doc = json.load(f)
    doc["users"][0]["policy"] = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"},
        {"Sid": "NoNewDataKeysUnderTheVault", "Effect": "Deny", "Action": "kms:GenerateDataKey*",
         "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:tier": "vault"}}}]}
    with open(server.users_file, "w") as f:
        json.dump(doc, f)
    server.start()

    def clients(creds):
        kms = boto3.client("kms", endpoint_url=server.http_url, region_name="us-east-1", aws_access_key_id=creds[0],
                           aws_secret_access_key=creds[1], config=Config(retries={"max_attempts": 1}))
        s3 = boto3.client("s3", endpoint_url=server.http_url, region_name="us-east-1", aws_access_key_id=creds[0],
                          aws_secret_access_key=creds[1], config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                                                       retries={"max_attempts": 1}))
        return kms, s3

    root_kms, root_s3 = clients(ROOT)
    alice_kms, alice_s3 = clients(ALICE)
    key = root_kms.create_key(Description="shared")["KeyMetadata"]["KeyId"]
    # Encrypt is not denied; Decrypt is, even of her own ciphertext.
    blob = alice_kms.encrypt(KeyId=key, Plaintext=b"hers")["CiphertextBlob"]
    assert code_of(lambda: alice_kms.decrypt(CiphertextBlob=blob)) == (400, "AccessDeniedException")
    assert root_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hers"
    # Through S3: her bucket, an SSE-KMS object root wrote; reading it needs kms:Decrypt.
    alice_s3.create_bucket(Bucket="alice-kms")
    root_s3.put_object(Bucket="alice-kms", Key="report", Body=b"numbers", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    assert code_of(lambda: alice_s3.get_object(Bucket="alice-kms", Key="report")) == (403, "AccessDenied")
    assert root_s3.get_object(Bucket="alice-kms", Key="report")["Body"].read() == b"numbers"
    # GenerateDataKey is refused only under the vault context; nothing is written when refused.
    vault = base64.b64encode(json.dumps({"tier": "vault"}).encode()).decode()
    assert code_of(lambda: alice_s3.put_object(Bucket="alice-kms", Key="v", Body=b"x", ServerSideEncryption="aws:kms",
                                               SSEKMSKeyId=key, SSEKMSEncryptionContext=vault)) == (403, "AccessDenied")
    assert code_of(lambda: alice_s3.head_object(Bucket="alice-kms", Key="v"))[0] == 404
    alice_s3.put_object(Bucket="alice-kms", Key="plain-context", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    assert server.stop() == 0
