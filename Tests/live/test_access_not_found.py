"""404 or 403 for a key that does not exist, decided as S3 decides it: a caller allowed
`s3:GetObject` on the object learns that the key is missing (HEAD 404, GET 404 NoSuchKey) only
if it is also allowed `s3:ListBucket` on the bucket, granted on the bucket's ARN
(`arn:aws:s3:::BUCKET`, the form AWS documents); without that, 403 AccessDenied. Driven with the
real aws CLI as a second user of the users file (alice), the grants coming either from a bucket
policy or from alice's identity policy in the users file. The bucket belongs to root."""

from __future__ import annotations

import json
import os

import pytest

from conftest import ALICE, Coffer, aws_cli_error_code, kms_client, unique_bucket_name

PRESENT = b"an object alice may read\n"
GRANTS = ["bucket-policy", "identity-policy"]


def statements(bucket: str, list_bucket: bool) -> list[dict]:
    granted = [{"Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*"}]
    if list_bucket:
        granted.append({"Sid": "ListTheBucket", "Effect": "Allow", "Action": "s3:ListBucket",
                        "Resource": f"arn:aws:s3:::{bucket}"})
    return granted


def granted_to_alice(grant: str, list_bucket: bool, coffer: Coffer, server_factory, tmp_path) -> tuple[Coffer, str]:
    """A root-owned bucket holding `present`, and alice allowed GetObject on its objects (and,
    with `list_bucket`, ListBucket on the bucket) by `grant`; returns (server, bucket)."""
    bucket = unique_bucket_name(f"nf-{grant}-{'list' if list_bucket else 'nolist'}")
    if grant == "bucket-policy":
        server = coffer
        account = kms_client(server).describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["AWSAccountId"]
        policy = [dict(s, Principal={"AWS": f"arn:aws:iam::{account}:user/alice"}) for s in statements(bucket, list_bucket)]
        root = server.client()
        root.create_bucket(Bucket=bucket)
        root.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": policy}))
    else:
        process = server_factory(users=[("alice", ALICE)])
        with open(process.users_file) as f:
            doc = json.load(f)
        doc["users"][0]["policy"] = {"Version": "2012-10-17", "Statement": statements(bucket, list_bucket)}
        with open(process.users_file, "w") as f:
            json.dump(doc, f)
        process.start()
        server = Coffer(process, process.binary, str(tmp_path), process.users_file)
        server.client().create_bucket(Bucket=bucket)
    server.client().put_object(Bucket=bucket, Key="present", Body=PRESENT)
    return server, bucket


def assert_present_object_readable(server: Coffer, bucket: str, tmp_path) -> None:
    head = server.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "present", user="alice")
    assert head["ContentLength"] == len(PRESENT), head
    out = tmp_path / "present.out"
    server.aws_json("s3api", "get-object", "--bucket", bucket, "--key", "present", str(out), user="alice")
    assert out.read_bytes() == PRESENT


def missing_key_codes(server: Coffer, bucket: str, tmp_path) -> tuple[str, str]:
    """The error codes the aws CLI reports, as alice, for HEAD and GET of a key that does not
    exist (HEAD has no body: the CLI shows its status code)."""
    head = server.aws("s3api", "head-object", "--bucket", bucket, "--key", "no/such-key", user="alice", check=False)
    out = tmp_path / "missing.out"
    get = server.aws("s3api", "get-object", "--bucket", bucket, "--key", "no/such-key", str(out), user="alice", check=False)
    assert not os.path.exists(out) or out.read_bytes() == b""
    return aws_cli_error_code(head), aws_cli_error_code(get)


@pytest.mark.parametrize("grant", GRANTS)
def test_missing_key_is_404_with_list_bucket_on_the_bucket_arn(coffer, server_factory, tmp_path, grant):
    server, bucket = granted_to_alice(grant, True, coffer, server_factory, tmp_path)
    assert_present_object_readable(server, bucket, tmp_path)
    listed = server.aws_json("s3api", "list-objects-v2", "--bucket", bucket, user="alice")
    assert [o["Key"] for o in listed["Contents"]] == ["present"]
    assert missing_key_codes(server, bucket, tmp_path) == ("404", "NoSuchKey")


@pytest.mark.parametrize("grant", GRANTS)
def test_missing_key_is_403_without_list_bucket(coffer, server_factory, tmp_path, grant):
    server, bucket = granted_to_alice(grant, False, coffer, server_factory, tmp_path)
    assert_present_object_readable(server, bucket, tmp_path)
    listed = server.aws("s3api", "list-objects-v2", "--bucket", bucket, user="alice", check=False)
    assert aws_cli_error_code(listed) == "AccessDenied"
    assert missing_key_codes(server, bucket, tmp_path) == ("403", "AccessDenied")
