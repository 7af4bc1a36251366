"""Buckets: create, list, head, delete, names, location, ownership, ACLs; health."""

import json
import ssl
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import audit_log_segments, unique_bucket_name
from coffer_live import client_error, object_path


def test_health_answers_200_on_both_listeners(coffer):
    for url in (coffer.http_url, coffer.https_url):
        ctx = ssl.create_default_context(cafile=coffer.ca)
        with urllib.request.urlopen(url + "/_coffer/health", timeout=10, context=ctx if url.startswith("https") else None) as r:
            assert r.status == 200


def test_create_list_head_delete(coffer, bucket_name):
    s3 = coffer.client()
    r = s3.create_bucket(Bucket=bucket_name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["ResponseMetadata"]["HTTPHeaders"].get("location") == f"/{bucket_name}"
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket_name in names
    listed = next(b for b in s3.list_buckets()["Buckets"] if b["Name"] == bucket_name)
    assert listed["CreationDate"] is not None
    h = s3.head_bucket(Bucket=bucket_name)
    assert h["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert h["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region") == "us-east-1"
    d = s3.delete_bucket(Bucket=bucket_name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert client_error(e.value) == (404, "404")
    assert bucket_name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_missing_bucket_is_no_such_bucket(s3, bucket_name):
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket_name)
    assert client_error(e.value) == (404, "NoSuchBucket")
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket_name)
    assert client_error(e.value) == (404, "NoSuchBucket")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket_name, Key="k", Body=b"x")
    assert client_error(e.value) == (404, "NoSuchBucket")


def test_delete_non_empty_bucket_is_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert client_error(e.value) == (409, "BucketNotEmpty")
    s3.head_bucket(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="k")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def trail_records(data_dir: str) -> list[dict]:
    """Every complete record of the server's audit trail, in order."""
    records = []
    for _, data in audit_log_segments(data_dir):
        records += [json.loads(line) for line in data.split(b"\n")[:-1]]
    return records


def test_delete_bucket_takes_its_incomplete_uploads(coffer, bucket, tmp_path):
    """S3 deletes a bucket whose only content is incomplete multipart uploads; the uploads
    (and their parts) go with it, each recorded in the trail as an abort. The aws CLI's `rb`
    (no abort first) works."""
    s3 = coffer.client()
    uploads = []
    for key in ("a/one.bin", "two.bin", "two.bin"):
        up = s3.create_multipart_upload(Bucket=bucket, Key=key, ServerSideEncryption="AES256")
        s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 5000)
        uploads.append((key, up["UploadId"]))
    assert len(s3.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 3
    before = len(trail_records(coffer.data_dir))
    coffer.aws("s3", "rb", f"s3://{bucket}")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket)
    assert client_error(e.value)[0] == 404
    for key, upload_id in uploads:
        with pytest.raises(ClientError) as e:
            s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
        assert client_error(e.value) == (404, "NoSuchBucket")
    aborts = [r for r in trail_records(coffer.data_dir)[before:]
              if r["eventName"] == "AbortMultipartUpload" and r["requestParameters"].get("bucketName") == bucket]
    assert sorted((r["requestParameters"]["key"], r["requestParameters"]["uploadId"]) for r in aborts) == sorted(uploads)
    assert all(r["requestParameters"]["deletedWithBucket"] is True and "errorCode" not in r for r in aborts)
    # A bucket of the same name starts empty: no upload came back with it.
    s3.create_bucket(Bucket=bucket)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_delete_bucket_with_an_object_keeps_its_uploads(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert client_error(e.value) == (409, "BucketNotEmpty")
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [up["UploadId"]]
    s3.delete_object(Bucket=bucket, Key="k")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_bucket_after_aborted_upload(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"])
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


@pytest.mark.parametrize("name", [
    "ab",                         # too short
    "a" * 64,                     # too long
    "UpperCase-bucket",           # upper case
    "under_score",                # underscore
    "-leading-dash",
    "trailing-dash-",
    ".leading-dot",
    "two..dots",
    "192.168.5.4",                # IP address form
    "xn--prefixed",
    "suffixed-s3alias",
    "_coffer",
    "sp ace",
])
def test_invalid_bucket_names(coffer, name):
    r = coffer.endpoint().request("PUT", "/" + urllib.request.quote(name), creds=coffer.root)
    assert r.status == 400, (name, r.status, r.body)
    assert r.code() == "InvalidBucketName", (name, r.body)
    assert r.headers.get("x-amz-request-id")


def test_valid_edge_bucket_names(s3):
    for name in ["abc", "a" * 63, "dots.in.name-" + unique_bucket_name()[:20], "0numeric-start-" + unique_bucket_name()[:20]]:
        name = name[:63]
        s3.create_bucket(Bucket=name)
        s3.head_bucket(Bucket=name)
        s3.delete_bucket(Bucket=name)


def test_recreate_own_bucket_in_us_east_1_is_ok(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"kept")
    r = s3.create_bucket(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # and it did not wipe the bucket
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"kept"


def test_another_users_bucket_name_is_bucket_already_exists(coffer, bucket):
    alice = coffer.client(user="alice")
    with pytest.raises(ClientError) as e:
        alice.create_bucket(Bucket=bucket)
    assert client_error(e.value) == (409, "BucketAlreadyExists")
    # root is the owner still: alice cannot see it
    assert bucket not in [b["Name"] for b in alice.list_buckets()["Buckets"]]


def test_location_constraint_us_east_1_is_invalid(s3, bucket_name):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert client_error(e.value) == (400, "InvalidLocationConstraint")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert client_error(e.value) == (404, "404")


def test_location_constraint_other_region_is_illegal(s3, bucket_name):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert client_error(e.value) == (400, "IllegalLocationConstraintException")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert client_error(e.value) == (404, "404")


def test_get_bucket_location(s3, bucket):
    r = s3.get_bucket_location(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r.get("LocationConstraint") in (None, "")


def test_list_buckets_root_sees_the_account_a_user_their_own(coffer):
    """S3 lists every bucket of the account for its root user; a Coffer user lists the
    buckets they own (the only ones they may use without a policy)."""
    root, alice = coffer.client(), coffer.client(user="alice")
    rb, ab = unique_bucket_name("root-owned"), unique_bucket_name("alice-owned")
    root.create_bucket(Bucket=rb)
    alice.create_bucket(Bucket=ab)
    root_names = [b["Name"] for b in root.list_buckets()["Buckets"]]
    alice_names = [b["Name"] for b in alice.list_buckets()["Buckets"]]
    assert rb in root_names and ab in root_names
    assert ab in alice_names and rb not in alice_names
    assert root_names == sorted(root_names)
    ra = root.list_buckets()["Owner"]
    aa = alice.list_buckets()["Owner"]
    assert ra["ID"] and aa["ID"] and ra["ID"] != aa["ID"]


def test_head_missing_bucket_is_404(s3, bucket_name):
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert client_error(e.value) == (404, "404")


def test_head_other_users_bucket_is_403(coffer, bucket):
    with pytest.raises(ClientError) as e:
        coffer.client(user="alice").head_bucket(Bucket=bucket)
    assert client_error(e.value) == (403, "403")


def test_root_may_access_every_bucket(coffer, bucket_name):
    alice, root = coffer.client(user="alice"), coffer.client()
    alice.create_bucket(Bucket=bucket_name)
    alice.put_object(Bucket=bucket_name, Key="a", Body=b"alice's")
    assert root.get_object(Bucket=bucket_name, Key="a")["Body"].read() == b"alice's"
    assert [o["Key"] for o in root.list_objects_v2(Bucket=bucket_name)["Contents"]] == ["a"]


def test_get_bucket_acl_is_owner_full_control(s3, bucket):
    r = s3.get_bucket_acl(Bucket=bucket)
    owner = r["Owner"]["ID"]
    assert owner
    assert owner == s3.list_buckets()["Owner"]["ID"]
    assert len(r["Grants"]) == 1
    g = r["Grants"][0]
    assert g["Permission"] == "FULL_CONTROL"
    assert g["Grantee"]["Type"] == "CanonicalUser"
    assert g["Grantee"]["ID"] == owner


def test_put_bucket_acl_private_ok_public_read_not_supported(s3, bucket):
    r = s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert client_error(e.value) == (400, "AccessControlListNotSupported")


def test_object_acl_headers(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    assert client_error(e.value) == (400, "AccessControlListNotSupported")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="pub")
    assert client_error(e.value) == (404, "404")
    for acl in ("private", "bucket-owner-full-control"):
        r = s3.put_object(Bucket=bucket, Key=acl, Body=b"x", ACL=acl)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="grant", Body=b"x", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    assert client_error(e.value) == (400, "AccessControlListNotSupported")
    acl = s3.get_object_acl(Bucket=bucket, Key="private")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]


def test_virtual_host_style(coffer, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/vh key.txt", Body=b"virtual host")
    ep = coffer.endpoint()
    host = f"{bucket}.localhost:{ep.port}"
    r = ep.request("GET", "/dir/vh%20key.txt", host=host, creds=coffer.root)
    assert r.status == 200, r.body
    assert r.body == b"virtual host"
    r = ep.request("GET", "/", query="list-type=2", host=host, creds=coffer.root)
    assert r.status == 200, r.body
    assert b"<Key>dir/vh key.txt</Key>" in r.body
    r = ep.request("PUT", "/vh-put", host=host, body=b"via vhost", creds=coffer.root)
    assert r.status == 200, r.body
    assert s3.get_object(Bucket=bucket, Key="vh-put")["Body"].read() == b"via vhost"
    # path style on the same endpoint still addresses the bucket by path
    r = ep.request("GET", object_path(bucket, "vh-put"), creds=coffer.root)
    assert r.status == 200 and r.body == b"via vhost"
