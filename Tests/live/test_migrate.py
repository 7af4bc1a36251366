"""`coffer migrate`: a stopped server's LevelDB store moved into a RADOS pool, then served by
`coffer serve --storage rados` from the same data dir: every object version in every SSE mode
readable, KMS keys and aliases, bucket policies and the audit trail (continued, verifiable) as
they were; a pool that already holds a store is refused; the data dir's LevelDB store is left
as it was.

Runs only against a cluster (COFFER_TEST_RADOS_CONF, set by scripts/test.sh), on a pool of its
own."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest

from conftest import ROOT, Coffer, unique_bucket_name
from coffer_live import CofferProcess
from scale_out_live import RADOS_CONF, RADOS_USER, Pool, needs_cluster

pytestmark = needs_cluster

SSEC_KEY = bytes(range(32))


def run(binary: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COFFER_", "AWS_"))}
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=300, env={**base, **(env or {})})


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_a_migrated_store_serves_everything_it_held(workdir, coffer_binary, tmp_path):
    data_dir = str(tmp_path / "data")
    pool = Pool("migrate").create()
    try:
        # 1. A LevelDB server with objects in every SSE mode, versions, multipart, a policy, a key and alias.
        source = CofferProcess(coffer_binary, data_dir, str(tmp_path / "leveldb.log"), ROOT).start()
        node = Coffer(source, coffer_binary, str(tmp_path), str(tmp_path / "no-users.json"))
        s3 = node.client()
        bucket = unique_bucket_name("migrate")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        key = node.aws_json("kms", "create-key", "--description", "migrated")["KeyMetadata"]["KeyId"]
        node.aws("kms", "create-alias", "--alias-name", "alias/migrated", "--target-key-id", key)
        bodies = {"sse-s3": os.urandom(200_000), "sse-kms": os.urandom(70_000), "big": os.urandom(6 * 1024 * 1024)}
        first = s3.put_object(Bucket=bucket, Key="sse-s3", Body=b"old version")["VersionId"]
        s3.put_object(Bucket=bucket, Key="sse-s3", Body=bodies["sse-s3"])
        s3.put_object(Bucket=bucket, Key="sse-kms", Body=bodies["sse-kms"], ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/migrated")
        upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
        parts = []
        for number, start in enumerate(range(0, len(bodies["big"]), 5 * 1024 * 1024), 1):
            etag = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=number,
                                  Body=bodies["big"][start:start + 5 * 1024 * 1024])["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts})
        https = node.client("https")
        https.put_object(Bucket=bucket, Key="sse-c", Body=b"customer keyed", SSECustomerAlgorithm="AES256", SSECustomerKey=SSEC_KEY)
        policy = {"Version": "2012-10-17", "Statement": [{"Sid": "NoPlainPuts", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                  "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}]}
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        assert source.stop() == 0
        db_before = {name: os.path.getsize(os.path.join(data_dir, "db", name)) for name in os.listdir(os.path.join(data_dir, "db"))}

        # 2. Migrate into the empty pool, checked on both sides.
        args = ["migrate", "--from", data_dir, "--to", f"rados://{pool.name}", "--rados-conf", RADOS_CONF,
                "--rados-user", RADOS_USER, "--node-name", "migrated"]
        migrated = run(coffer_binary, *args)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert "clean: no findings" in migrated.stdout and "migrated: 1 buckets, 4 objects, 1 noncurrent versions, 1 KMS keys" in migrated.stdout
        # A second migration into the same pool is refused and changes nothing.
        again = run(coffer_binary, *args)
        assert again.returncode == 1 and "already holds a Coffer store" in again.stderr
        # The data dir's LevelDB store is as it was (a fallback).
        assert {name: os.path.getsize(os.path.join(data_dir, "db", name)) for name in os.listdir(os.path.join(data_dir, "db"))} == db_before

        # 3. Served from the cluster with the same data dir (its root key file, credentials, signing key).
        server = CofferProcess(coffer_binary, data_dir, str(tmp_path / "rados.log"), ROOT,
                               extra_args=["--storage", "rados", "--rados-conf", RADOS_CONF, "--rados-user", RADOS_USER,
                                           "--rados-pool", pool.name, "--node-name", "migrated"]).start()
        try:
            node = Coffer(server, coffer_binary, str(tmp_path), str(tmp_path / "no-users.json"))
            s3 = node.client()
            for name in ("sse-s3", "sse-kms", "big"):
                assert digest(s3.get_object(Bucket=bucket, Key=name)["Body"].read()) == digest(bodies[name]), name
            assert s3.get_object(Bucket=bucket, Key="sse-s3", VersionId=first)["Body"].read() == b"old version"
            assert s3.head_object(Bucket=bucket, Key="sse-kms")["SSEKMSKeyId"].endswith(key)
            got = node.client("https").get_object(Bucket=bucket, Key="sse-c", SSECustomerAlgorithm="AES256", SSECustomerKey=SSEC_KEY)
            assert got["Body"].read() == b"customer keyed"
            # The policy still denies a plain PUT; the alias still names the key.
            with pytest.raises(Exception) as denied:
                s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
            assert denied.value.response["Error"]["Code"] == "AccessDenied"
            s3.put_object(Bucket=bucket, Key="new", Body=b"y", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/migrated")
            assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == b"y"
        finally:
            assert server.stop() == 0
        # The trail continued in the cluster and verifies, old records and new.
        trail = run(coffer_binary, "audit", "read", "--storage", "rados", "--rados-conf", RADOS_CONF, "--rados-user", RADOS_USER,
                    "--rados-pool", pool.name, "--data-dir", data_dir, "--format", "jsonl")
        names = [json.loads(line)["eventName"] for line in trail.stdout.splitlines()]
        # Before the migration: the key, the alias, the upload; after it: the reads (6) and the new PUT.
        assert "CreateAlias" in names and "CompleteMultipartUpload" in names, names
        assert names.count("GetObject") >= 6 and names[-1] == "GetObject" and "PutObject" in names[-4:], names
        verified = run(coffer_binary, "audit", "verify", "--storage", "rados", "--rados-conf", RADOS_CONF, "--rados-user", RADOS_USER,
                       "--rados-pool", pool.name, "--data-dir", data_dir)
        assert verified.returncode == 0 and "node migrated: OK" in verified.stdout, verified.stdout + verified.stderr
    finally:
        pool.delete()
