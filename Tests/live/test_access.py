"""Who may do what: the owner, another user, anonymous callers."""

import pytest
from botocore.exceptions import ClientError

from conftest import unique_bucket_name
from coffer_live import client_error, object_path


@pytest.fixture
def rooted(s3, bucket):
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"root's data")
    return bucket


def test_missing_key_is_no_such_key_for_the_owner(coffer, s3, rooted):
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=rooted, Key="nope")
    assert client_error(e.value) == (404, "NoSuchKey")
    assert e.value.response["Error"].get("Key") in (None, "nope")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=rooted, Key="nope")
    assert client_error(e.value) == (404, "404")
    r = coffer.endpoint().request("GET", object_path(rooted, "nope"), creds=coffer.root)
    assert r.status == 404
    err = r.error()
    assert err["Code"] == "NoSuchKey"
    for field in ("Message", "Resource", "RequestId"):
        assert err.get(field), (field, r.body)
    assert err["RequestId"] == r.headers["x-amz-request-id"]
    # deleting a missing key is a success, as on S3
    assert s3.delete_object(Bucket=rooted, Key="nope")["ResponseMetadata"]["HTTPStatusCode"] == 204


def _denied(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return client_error(e.value)


def test_other_user_is_denied(coffer, s3, rooted):
    alice = coffer.client(user="alice")
    assert _denied(alice.get_object, Bucket=rooted, Key="secret.txt") == (403, "AccessDenied")
    assert _denied(alice.get_object, Bucket=rooted, Key="missing") == (403, "AccessDenied")
    assert _denied(alice.put_object, Bucket=rooted, Key="planted", Body=b"x") == (403, "AccessDenied")
    assert _denied(alice.list_objects_v2, Bucket=rooted) == (403, "AccessDenied")
    assert _denied(alice.list_objects, Bucket=rooted) == (403, "AccessDenied")
    assert _denied(alice.delete_object, Bucket=rooted, Key="secret.txt") == (403, "AccessDenied")
    assert _denied(alice.head_object, Bucket=rooted, Key="secret.txt") == (403, "403")
    assert _denied(alice.head_object, Bucket=rooted, Key="missing") == (403, "403")
    assert _denied(alice.head_bucket, Bucket=rooted) == (403, "403")
    assert _denied(alice.delete_bucket, Bucket=rooted) == (403, "AccessDenied")
    assert _denied(alice.get_bucket_location, Bucket=rooted) == (403, "AccessDenied")
    assert _denied(alice.get_bucket_acl, Bucket=rooted) == (403, "AccessDenied")
    assert _denied(alice.create_multipart_upload, Bucket=rooted, Key="mp") == (403, "AccessDenied")
    assert _denied(alice.list_multipart_uploads, Bucket=rooted) == (403, "AccessDenied")
    # DeleteObjects is authorised key by key, as on S3: 200, each refused key reported.
    answer = alice.delete_objects(Bucket=rooted, Delete={"Objects": [{"Key": "secret.txt"}, {"Key": "missing"}]})
    assert answer.get("Deleted", []) == []
    assert sorted((e["Key"], e["Code"]) for e in answer["Errors"]) == [("missing", "AccessDenied"), ("secret.txt", "AccessDenied")]
    assert _denied(alice.copy_object, Bucket=rooted, Key="copy",
                   CopySource={"Bucket": rooted, "Key": "secret.txt"}) == (403, "AccessDenied")
    # nothing changed
    assert s3.get_object(Bucket=rooted, Key="secret.txt")["Body"].read() == b"root's data"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=rooted)["Contents"]] == ["secret.txt"]
    s3.head_bucket(Bucket=rooted)


def test_other_user_cannot_copy_out_of_a_foreign_bucket(coffer, rooted):
    bucket_name = unique_bucket_name("alice-copy")
    alice = coffer.client(user="alice")
    alice.create_bucket(Bucket=bucket_name)
    assert _denied(alice.copy_object, Bucket=bucket_name, Key="stolen",
                   CopySource={"Bucket": rooted, "Key": "secret.txt"}) == (403, "AccessDenied")
    up = alice.create_multipart_upload(Bucket=bucket_name, Key="stolen")
    assert _denied(alice.upload_part_copy, Bucket=bucket_name, Key="stolen", UploadId=up["UploadId"], PartNumber=1,
                   CopySource={"Bucket": rooted, "Key": "secret.txt"}) == (403, "AccessDenied")
    assert alice.list_objects_v2(Bucket=bucket_name)["KeyCount"] == 0


def test_anonymous_is_denied(coffer, s3, rooted):
    for transport in ("http", "https"):
        anon = coffer.unsigned_client(transport)
        assert _denied(anon.get_object, Bucket=rooted, Key="secret.txt") == (403, "AccessDenied")
        assert _denied(anon.put_object, Bucket=rooted, Key="anon", Body=b"x") == (403, "AccessDenied")
        assert _denied(anon.list_objects_v2, Bucket=rooted) == (403, "AccessDenied")
        assert _denied(anon.delete_object, Bucket=rooted, Key="secret.txt") == (403, "AccessDenied")
        assert _denied(anon.head_object, Bucket=rooted, Key="secret.txt") == (403, "403")
        assert _denied(anon.list_buckets) == (403, "AccessDenied")
        assert _denied(anon.create_bucket, Bucket=rooted + "-anon") == (403, "AccessDenied")
    assert s3.get_object(Bucket=rooted, Key="secret.txt")["Body"].read() == b"root's data"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=rooted)["Contents"]] == ["secret.txt"]
    # anonymous error documents are complete too
    r = coffer.endpoint().request("GET", object_path(rooted, "secret.txt"))
    assert r.status == 403
    err = r.error()
    assert err["Code"] == "AccessDenied"
    assert err.get("Message") and err.get("RequestId") == r.headers["x-amz-request-id"]
    assert b"root's data" not in r.body


def test_delete_objects_is_authorised_per_key(coffer, s3, bucket):
    """A bucket policy that protects some keys from deletion holds against DeleteObjects too:
    S3 checks s3:DeleteObject for every key, so a batch cannot delete what a single DELETE may
    not (the protected key is reported AccessDenied, the others are deleted)."""
    import json
    for key in ("protected/a.txt", "scratch/b.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                       "Resource": f"arn:aws:s3:::{bucket}/protected/*"}],
    }))
    try:
        assert _denied(s3.delete_object, Bucket=bucket, Key="protected/a.txt") == (403, "AccessDenied")
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "protected/a.txt"}, {"Key": "scratch/b.txt"}]})
        assert [d["Key"] for d in answer["Deleted"]] == ["scratch/b.txt"]
        assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("protected/a.txt", "AccessDenied")]
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["protected/a.txt"]
    finally:
        s3.delete_bucket_policy(Bucket=bucket)
