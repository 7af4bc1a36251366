"""Object Lock as S3 does it, live with boto3 and the aws CLI over HTTP and HTTPS in all three SSE
modes (SSE-C over HTTPS): buckets created with Object Lock (versioning on, never suspended), a
default retention, retention and legal hold set on upload and changed later, a locked version
that nobody (root included) can delete or shorten, GOVERNANCE bypass that takes both the header
and s3:BypassGovernanceRetention, and every lock change and refused deletion in the audit trail.
Expiry is tested in process with an injected clock (Tests/CofferServerTests); retention dates
here lie in the future, and no test waits for one to pass."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from test_audit import account_of, assert_chain, audit_read, start_server
from test_tagging import MODES, library_policy, put_policy, read_args, refused, simulate, write_args

LOCKED = "Access Denied because object protected by object lock."


def future(days: int = 1) -> dt.datetime:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).replace(microsecond=0)


def locked_bucket(s3, name: str) -> str:
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def refusal(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"].get("Message", "")


@pytest.mark.parametrize("transport,mode", MODES)
def test_locked_versions_with_boto3(coffer, bucket_name, transport, mode):
    s3 = coffer.client(transport)
    bucket = locked_bucket(s3, bucket_name)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    # Versioning of a lock bucket cannot be suspended.
    assert refusal(lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}))[:2] == (409, "InvalidBucketState")

    # GOVERNANCE on upload: the version cannot be deleted, by root either, without the bypass.
    until = future()
    put = s3.put_object(Bucket=bucket, Key="gov", Body=b"governed", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until,
                        **write_args(mode))
    head = s3.head_object(Bucket=bucket, Key="gov", **read_args(mode))
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"] == until
    retention = s3.get_object_retention(Bucket=bucket, Key="gov")["Retention"]
    assert retention == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    assert refusal(lambda: s3.delete_object(Bucket=bucket, Key="gov", VersionId=put["VersionId"])) == (403, "AccessDenied", LOCKED)
    # A plain DELETE only adds a marker; the locked version stays and reads.
    assert s3.delete_object(Bucket=bucket, Key="gov")["DeleteMarker"] is True
    assert s3.get_object(Bucket=bucket, Key="gov", VersionId=put["VersionId"], **read_args(mode))["Body"].read() == b"governed"
    # Shortening GOVERNANCE needs the bypass; root has the permission, so the header does it.
    shorter = until - dt.timedelta(hours=1)
    assert refusal(lambda: s3.put_object_retention(Bucket=bucket, Key="gov", VersionId=put["VersionId"],
                                                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": shorter}))[:2] == (403, "AccessDenied")
    s3.put_object_retention(Bucket=bucket, Key="gov", VersionId=put["VersionId"], BypassGovernanceRetention=True,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": shorter})
    assert s3.get_object_retention(Bucket=bucket, Key="gov", VersionId=put["VersionId"])["Retention"]["RetainUntilDate"] == shorter
    s3.delete_object(Bucket=bucket, Key="gov", VersionId=put["VersionId"], BypassGovernanceRetention=True)
    assert refusal(lambda: s3.head_object(Bucket=bucket, Key="gov", VersionId=put["VersionId"], **read_args(mode)))[0] == 404

    # COMPLIANCE: never shortened, never removed, never deleted, bypass or not; extending is allowed.
    put = s3.put_object(Bucket=bucket, Key="comp", Body=b"compliant", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until,
                        **write_args(mode))
    for change in ({"Mode": "COMPLIANCE", "RetainUntilDate": shorter}, {"Mode": "GOVERNANCE", "RetainUntilDate": until}):
        for bypass in (False, True):
            assert refusal(lambda: s3.put_object_retention(Bucket=bucket, Key="comp", Retention=change, BypassGovernanceRetention=bypass)) == (
                403, "AccessDenied", LOCKED)
    assert refusal(lambda: s3.delete_object(Bucket=bucket, Key="comp", VersionId=put["VersionId"], BypassGovernanceRetention=True))[:2] == (403, "AccessDenied")
    later = until + dt.timedelta(days=1)
    s3.put_object_retention(Bucket=bucket, Key="comp", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket=bucket, Key="comp")["Retention"] == {"Mode": "COMPLIANCE", "RetainUntilDate": later}
    assert s3.get_object(Bucket=bucket, Key="comp", **read_args(mode))["Body"].read() == b"compliant"

    # Legal hold: no retention, yet no deletion until it is released.
    put = s3.put_object(Bucket=bucket, Key="held", Body=b"held", ObjectLockLegalHoldStatus="ON", **write_args(mode))
    assert s3.get_object_legal_hold(Bucket=bucket, Key="held")["LegalHold"] == {"Status": "ON"}
    assert refusal(lambda: s3.delete_object(Bucket=bucket, Key="held", VersionId=put["VersionId"], BypassGovernanceRetention=True))[:2] == (403, "AccessDenied")
    s3.put_object_legal_hold(Bucket=bucket, Key="held", VersionId=put["VersionId"], LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=bucket, Key="held", VersionId=put["VersionId"])

    # Default retention: a new version without headers gets the bucket's rule, counted from its write.
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}})
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["Rule"] == {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}
    put = s3.put_object(Bucket=bucket, Key="defaulted", Body=b"d", **write_args(mode))
    got = s3.get_object_retention(Bucket=bucket, Key="defaulted")["Retention"]
    assert got["Mode"] == "GOVERNANCE" and abs((got["RetainUntilDate"] - future(2)).total_seconds()) < 120
    # A copy and a multipart upload are new versions, locked by the default too.
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "defaulted", "VersionId": put["VersionId"]},
                   **({"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": read_args(mode)["SSECustomerKey"]} if mode == "sse-c" else {}),
                   **write_args(mode))
    assert s3.get_object_retention(Bucket=bucket, Key="copied")["Retention"]["Mode"] == "GOVERNANCE"
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until, **write_args(mode))
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"part", **read_args(mode))["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], **read_args(mode),
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object_retention(Bucket=bucket, Key="mp")["Retention"] == {"Mode": "COMPLIANCE", "RetainUntilDate": until}
    assert refusal(lambda: s3.delete_object(Bucket=bucket, Key="mp", VersionId=done["VersionId"]))[:2] == (403, "AccessDenied")
    # DeleteObjects reports the locked entries one by one.
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "mp", "VersionId": done["VersionId"]}, {"Key": "other"}]})
    assert [(e["Key"], e["Code"], e["Message"]) for e in result["Errors"]] == [("mp", "AccessDenied", LOCKED)]
    # The bucket cannot be deleted while it holds versions.
    assert refusal(lambda: s3.delete_bucket(Bucket=bucket))[:2] == (409, "BucketNotEmpty")


def test_object_lock_errors(coffer, bucket):
    """What S3 refuses: lock headers and configurations on a bucket without Object Lock, half a
    retention, a date in the past, unknown modes, a lock on a delete marker, reads of locks a
    version does not have."""
    s3 = coffer.client()
    until = future()
    assert refusal(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until))[:2] == (400, "InvalidRequest")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert refusal(lambda: s3.put_object_retention(Bucket=bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}))[:2] == (400, "InvalidRequest")
    assert refusal(lambda: s3.get_object_lock_configuration(Bucket=bucket))[:2] == (404, "ObjectLockConfigurationNotFoundError")
    assert refusal(lambda: s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}))[:2] == (409, "InvalidBucketState")

    locked = locked_bucket(s3, bucket + "-lock")
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    assert refusal(lambda: s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=past))[:2] == (400, "InvalidArgument")
    end = coffer.endpoint()
    for headers in ({"x-amz-object-lock-mode": "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date": until.strftime("%Y-%m-%dT%H:%M:%SZ")},
                    {"x-amz-object-lock-mode": "FOREVER", "x-amz-object-lock-retain-until-date": until.strftime("%Y-%m-%dT%H:%M:%SZ")},
                    {"x-amz-object-lock-legal-hold": "MAYBE"}):
        r = end.request("PUT", f"/{locked}/raw", body=b"x", headers={"Content-MD5": "mZJxB5ZxcKSzD6PKaW8b8w==", **headers}, creds=coffer.creds())
        assert (r.status, r.code()) == (400, "InvalidArgument"), headers
    # A retention on upload needs Content-MD5 or a checksum.
    r = end.request("PUT", f"/{locked}/raw", body=b"x", creds=coffer.creds(),
                    headers={"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": until.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert (r.status, r.code()) == (400, "InvalidRequest")
    # So do the lock configuration calls.
    r = end.request("PUT", f"/{locked}/k", query="legal-hold", body=b"<LegalHold><Status>ON</Status></LegalHold>", creds=coffer.creds())
    assert (r.status, r.code()) == (400, "InvalidRequest")
    for document in (b"<Retention><Mode>GOVERNANCE</Mode></Retention>", b"<Retention><Mode>NONE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>", b"<Retention"):
        r = end.request("PUT", f"/{locked}/k", query="retention", body=document, headers={"Content-MD5": md5(document)}, creds=coffer.creds())
        assert (r.status, r.code()) in ((400, "MalformedXML"), (404, "NoSuchKey")), document
    for document in (b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>",
                     b"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>"):
        r = end.request("PUT", f"/{locked}", query="object-lock", body=document, headers={"Content-MD5": md5(document)}, creds=coffer.creds())
        assert (r.status, r.code()) == (400, "MalformedXML"), document
    document = b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule></ObjectLockConfiguration>"
    r = end.request("PUT", f"/{locked}", query="object-lock", body=document, headers={"Content-MD5": md5(document)}, creds=coffer.creds())
    assert (r.status, r.code()) == (400, "InvalidArgument")

    s3.put_object(Bucket=locked, Key="plain", Body=b"x")
    assert refusal(lambda: s3.get_object_retention(Bucket=locked, Key="plain"))[:2] == (404, "NoSuchObjectLockConfiguration")
    assert refusal(lambda: s3.get_object_legal_hold(Bucket=locked, Key="plain"))[:2] == (404, "NoSuchObjectLockConfiguration")
    assert refusal(lambda: s3.get_object_retention(Bucket=locked, Key="missing"))[:2] == (404, "NoSuchKey")
    marker = s3.delete_object(Bucket=locked, Key="plain")["VersionId"]
    assert refusal(lambda: s3.put_object_legal_hold(Bucket=locked, Key="plain", VersionId=marker, LegalHold={"Status": "ON"}))[:2] == (405, "MethodNotAllowed")


def md5(body: bytes) -> str:
    import base64
    import hashlib
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def test_governance_bypass_needs_permission_and_header(coffer, bucket_name, tmp_path):
    """alice may delete versions and manage retention; she bypasses GOVERNANCE only when a
    policy grants s3:BypassGovernanceRetention and she sends the header. Root needs the header."""
    root = coffer.client()
    bucket = locked_bucket(root, bucket_name)
    alice_arn = f"arn:aws:iam::{account_of(coffer)}:user/alice"
    base = [{"Effect": "Allow", "Principal": {"AWS": alice_arn},
             "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:GetObjectRetention"],
             "Resource": f"arn:aws:s3:::{bucket}/*"}]
    put_policy(root, bucket, {"Version": "2012-10-17", "Statement": base})
    until = future()
    versions = [root.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"]
                for i in range(3)]
    for transport in ("http", "https"):
        alice = coffer.client(transport, user="alice")
        # Without the permission: the header is not enough.
        assert refusal(lambda: alice.delete_object(Bucket=bucket, Key="k0", VersionId=versions[0], BypassGovernanceRetention=True))[:2] == (403, "AccessDenied")
        assert refusal(lambda: alice.put_object_retention(Bucket=bucket, Key="k0", BypassGovernanceRetention=True,
                                                          Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until - dt.timedelta(hours=1)}))[:2] == (403, "AccessDenied")
    put_policy(root, bucket, {"Version": "2012-10-17", "Statement": base + [
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:BypassGovernanceRetention", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    alice = coffer.client("https", user="alice")
    # With the permission but without the header: still protected.
    assert refusal(lambda: alice.delete_object(Bucket=bucket, Key="k0", VersionId=versions[0]))[:2] == (403, "AccessDenied")
    # Both: allowed.
    alice.delete_object(Bucket=bucket, Key="k0", VersionId=versions[0], BypassGovernanceRetention=True)
    alice.put_object_retention(Bucket=bucket, Key="k1", BypassGovernanceRetention=True, Retention={})
    assert refusal(lambda: alice.get_object_retention(Bucket=bucket, Key="k1"))[:2] == (404, "NoSuchObjectLockConfiguration")
    alice.delete_object(Bucket=bucket, Key="k1", VersionId=versions[1])
    # The lock headers on GET/HEAD need s3:GetObjectRetention: alice has it, bob has nothing here.
    assert alice.head_object(Bucket=bucket, Key="k2")["ObjectLockMode"] == "GOVERNANCE"
    root.delete_bucket_policy(Bucket=bucket)
    put_policy(root, bucket, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    assert "ObjectLockMode" not in coffer.client(user="alice").head_object(Bucket=bucket, Key="k2")
    root.delete_bucket_policy(Bucket=bucket)


def test_limit_retention_period_policy(coffer, bucket_name, tmp_path):
    """The library's limit-retention-period policy: the s3:object-lock-* keys come from the
    upload's headers and PutObjectRetention's body, on the server as in the dry run."""
    s3 = coffer.client("https")
    bucket = locked_bucket(s3, bucket_name)
    policy = library_policy("limit-retention-period.json", bucket)
    put_policy(s3, bucket, policy)
    root = ["--principal", account_of(coffer), "--secure"]
    stamp = lambda days: future(days).strftime("%Y-%m-%dT%H:%M:%SZ")
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=future(10))
    assert simulate(coffer, policy, tmp_path, f"PUT /{bucket}/ok", "--header", "x-amz-object-lock-mode: GOVERNANCE",
                    "--header", f"x-amz-object-lock-retain-until-date: {stamp(10)}", *root) == "implicit-deny"
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="long", Body=b"x", ObjectLockMode="GOVERNANCE",
                                         ObjectLockRetainUntilDate=future(60)))[:2] == (403, "AccessDenied")
    assert simulate(coffer, policy, tmp_path, f"PUT /{bucket}/long", "--header", "x-amz-object-lock-mode: GOVERNANCE",
                    "--header", f"x-amz-object-lock-retain-until-date: {stamp(60)}", *root) == "explicit-deny"
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="comp", Body=b"x", ObjectLockMode="COMPLIANCE",
                                         ObjectLockRetainUntilDate=future(1)))[:2] == (403, "AccessDenied")
    # PutObjectRetention: the body's date decides.
    assert refused(lambda: s3.put_object_retention(Bucket=bucket, Key="ok", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": future(90)}))[:2] == (403, "AccessDenied")
    body = tmp_path / "retention.xml"
    body.write_text(f"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>{stamp(90)}</RetainUntilDate></Retention>")
    assert simulate(coffer, policy, tmp_path, f"PUT /{bucket}/ok?retention", "--body", str(body), *root) == "explicit-deny"
    twenty = future(20)
    s3.put_object_retention(Bucket=bucket, Key="ok", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": twenty})
    assert s3.get_object_retention(Bucket=bucket, Key="ok")["Retention"]["RetainUntilDate"] == twenty
    s3.delete_bucket_policy(Bucket=bucket)


def test_object_lock_with_the_aws_cli(coffer, bucket_name, tmp_path):
    until = future().strftime("%Y-%m-%dT%H:%M:%SZ")
    for transport in ("http", "https"):
        name = f"{bucket_name}-{transport}"
        coffer.aws("s3api", "create-bucket", "--bucket", name, "--object-lock-enabled-for-bucket", transport=transport)
        coffer.aws("s3api", "put-object-lock-configuration", "--bucket", name, "--object-lock-configuration",
                   '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}', transport=transport)
        body = tmp_path / "body"
        body.write_bytes(b"evidence")
        put = coffer.aws_json("s3api", "put-object", "--bucket", name, "--key", "e", "--body", str(body),
                              "--object-lock-mode", "COMPLIANCE", "--object-lock-retain-until-date", until, transport=transport)
        got = coffer.aws_json("s3api", "get-object-retention", "--bucket", name, "--key", "e", transport=transport)
        assert got["Retention"]["Mode"] == "COMPLIANCE"
        failed = coffer.aws("s3api", "delete-object", "--bucket", name, "--key", "e", "--version-id", put["VersionId"],
                            "--bypass-governance-retention", transport=transport, check=False)
        assert failed.returncode != 0 and "AccessDenied" in failed.stderr
        coffer.aws("s3api", "put-object-legal-hold", "--bucket", name, "--key", "e", "--legal-hold", "Status=ON", transport=transport)
        assert coffer.aws_json("s3api", "get-object-legal-hold", "--bucket", name, "--key", "e", transport=transport)["LegalHold"]["Status"] == "ON"


def test_lock_changes_and_refused_deletes_are_audited(server_factory, tmp_path, coffer_binary):
    server = start_server(server_factory, tmp_path)
    s3 = server.client()
    bucket = locked_bucket(s3, "audit-lock")
    until = future()
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    s3.put_object_retention(Bucket=bucket, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    with pytest.raises(ClientError):
        s3.put_object_retention(Bucket=bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}, BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"})
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key="k", VersionId=put["VersionId"])
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 1}}})

    retentions = audit_read(coffer_binary, server.data_dir, "--event-name", "PutObjectRetention")
    assert [(r["requestParameters"]["retention"]["mode"], r.get("errorCode")) for r in retentions] == [("COMPLIANCE", None), ("GOVERNANCE", "AccessDenied")]
    assert retentions[1]["errorMessage"] == LOCKED and retentions[1]["requestParameters"]["bypassGovernanceRetention"] is True
    assert retentions[0]["requestParameters"]["retention"]["retainUntilDate"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))
    holds = audit_read(coffer_binary, server.data_dir, "--event-name", "PutObjectLegalHold")
    assert [r["requestParameters"]["legalHold"]["status"] for r in holds] == ["ON"]
    deletes = audit_read(coffer_binary, server.data_dir, "--event-name", "DeleteObject")
    assert [(r["requestParameters"]["versionId"], r["errorCode"], r["errorMessage"]) for r in deletes] == [(put["VersionId"], "AccessDenied", LOCKED)]
    configs = audit_read(coffer_binary, server.data_dir, "--event-name", "PutObjectLockConfiguration")
    assert len(configs) == 1 and configs[0].get("errorCode") is None
    assert_chain(server.data_dir)
    server.server.stop()
