"""Versioning as S3 does it, live with boto3 and the aws CLI over HTTP and HTTPS in all three SSE
modes (SSE-C over HTTPS): Put/GetBucketVersioning, version ids on every write, GET/HEAD/copy/
tagging/attributes by version, delete markers (404 with the header when current, 405 by id),
removal of versions, DeleteObjects with version ids, ListObjectVersions paging with prefix and
delimiter, the null version of suspended buckets, the version actions and `s3:versionid` in real
bucket policies and in the dry run, and the audit records that name the version."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from botocore.exceptions import ClientError

from test_audit import account_of, assert_chain, audit_read, start_server
from test_tagging import MODES, SSEC_KEY, copy_source_args, library_policy, pairs, put_policy, read_args, refused, simulate, tag_set, write_args

PACKAGE = 65536


def encoded_read_args(mode: str) -> dict:
    """read_args for operations botocore does not encode SSE-C keys for (GetObjectAttributes)."""
    if mode != "sse-c":
        return {}
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(SSEC_KEY).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(SSEC_KEY).digest()).decode()}


def enable(s3, bucket: str, status: str = "Enabled") -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def error_headers(call) -> tuple[int, str, dict]:
    """Status, error code and response headers of a refused call."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"],
            response["ResponseMetadata"]["HTTPHeaders"])


def versions_of(s3, bucket: str, **kwargs) -> list[tuple[str, str, bool, bool]]:
    """(key, version id, is latest, is a delete marker) of every entry, in S3's order."""
    listing = s3.list_object_versions(Bucket=bucket, **kwargs)
    entries = [(v["Key"], v["VersionId"], v["IsLatest"], False, v["LastModified"]) for v in listing.get("Versions", [])]
    entries += [(m["Key"], m["VersionId"], m["IsLatest"], True, m["LastModified"]) for m in listing.get("DeleteMarkers", [])]
    # boto3 splits the two kinds; S3 interleaves them by key, newest first within a key.
    entries.sort(key=lambda e: (e[0], -e[4].timestamp()))
    return [e[:4] for e in entries]


# ----------------------------------------------------------------------------- every operation, every mode


@pytest.mark.parametrize("transport,mode", MODES)
def test_versions_with_boto3(coffer, bucket, transport, mode):
    s3 = coffer.client(transport)
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="doc", Body=b"before versioning", **write_args(mode))
    assert "VersionId" not in s3.head_object(Bucket=bucket, Key="doc", **read_args(mode))
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    # The object written before is the null version now.
    assert s3.head_object(Bucket=bucket, Key="doc", **read_args(mode))["VersionId"] == "null"

    bodies = {"null": b"before versioning"}
    ids = []
    for i in range(3):
        body = os.urandom(PACKAGE + 100 * i + 1)
        put = s3.put_object(Bucket=bucket, Key="doc", Body=body, **write_args(mode))
        assert len(put["VersionId"]) == 32 and put["VersionId"] not in bodies
        bodies[put["VersionId"]] = body
        ids.append(put["VersionId"])
    # Every version reads back whole and by range, by id; the current one without.
    for version, body in bodies.items():
        got = s3.get_object(Bucket=bucket, Key="doc", VersionId=version, **read_args(mode))
        assert got["Body"].read() == body and got["VersionId"] == version
        ranged = s3.get_object(Bucket=bucket, Key="doc", VersionId=version, Range="bytes=3-9", **read_args(mode))
        assert ranged["Body"].read() == body[3:10]
        assert s3.head_object(Bucket=bucket, Key="doc", VersionId=version, **read_args(mode))["ContentLength"] == len(body)
    current = s3.get_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert current["VersionId"] == ids[-1] and current["Body"].read() == bodies[ids[-1]]
    assert versions_of(s3, bucket) == [("doc", v, v == ids[-1], False) for v in reversed(ids)] + [("doc", "null", False, False)]
    # ListObjects shows the current version only.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["doc"]
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Size"] == len(bodies[ids[-1]])

    # Tags are per version.
    s3.put_object_tagging(Bucket=bucket, Key="doc", VersionId=ids[0], Tagging=tag_set(("v", "first")))
    got = s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId=ids[0])
    assert pairs(got["TagSet"]) == [("v", "first")] and got["VersionId"] == ids[0]
    assert s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"] == []
    attributes = s3.get_object_attributes(Bucket=bucket, Key="doc", VersionId=ids[0], ObjectAttributes=["ObjectSize"],
                                          **encoded_read_args(mode))
    assert attributes["ObjectSize"] == len(bodies[ids[0]]) and attributes["VersionId"] == ids[0]

    # A copy of an old version makes a new version and names its source's.
    copy = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "doc", "VersionId": ids[0]},
                          **copy_source_args(mode), **write_args(mode))
    assert copy["CopySourceVersionId"] == ids[0] and len(copy["VersionId"]) == 32
    assert s3.get_object(Bucket=bucket, Key="copy", **read_args(mode))["Body"].read() == bodies[ids[0]]
    assert pairs(s3.get_object_tagging(Bucket=bucket, Key="copy")["TagSet"]) == [("v", "first")]

    # Multipart completion makes a version.
    up = s3.create_multipart_upload(Bucket=bucket, Key="doc", **write_args(mode))
    part = os.urandom(5 * 1024 * 1024)
    etag = s3.upload_part(Bucket=bucket, Key="doc", UploadId=up["UploadId"], PartNumber=1, Body=part, **read_args(mode))["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="doc", UploadId=up["UploadId"], **read_args(mode),
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert len(done["VersionId"]) == 32
    bodies[done["VersionId"]] = part
    ids.append(done["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="doc", **read_args(mode))["Body"].read() == part

    # DELETE without an id adds a delete marker: GET is then 404 with the marker's headers.
    deleted = s3.delete_object(Bucket=bucket, Key="doc")
    assert deleted["DeleteMarker"] is True and len(deleted["VersionId"]) == 32
    marker = deleted["VersionId"]
    status, code, headers = error_headers(lambda: s3.get_object(Bucket=bucket, Key="doc", **read_args(mode)))
    assert (status, code) == (404, "NoSuchKey")
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    status, _, headers = error_headers(lambda: s3.head_object(Bucket=bucket, Key="doc", **read_args(mode)))
    assert status == 404 and headers["x-amz-delete-marker"] == "true"
    # The marker by id: 405, naming itself.
    status, code, headers = error_headers(lambda: s3.get_object(Bucket=bucket, Key="doc", VersionId=marker, **read_args(mode)))
    assert (status, code) == (405, "MethodNotAllowed") and headers["x-amz-delete-marker"] == "true"
    assert headers["x-amz-version-id"] == marker and headers["allow"] == "DELETE" and "last-modified" in headers
    assert "doc" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    # Older versions still read.
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=ids[1], **read_args(mode))["Body"].read() == bodies[ids[1]]
    # Removing the marker by id brings the object back.
    removed = s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="doc", **read_args(mode))["VersionId"] == ids[-1]
    # Removing a version for good.
    gone = s3.delete_object(Bucket=bucket, Key="doc", VersionId=ids[1])
    assert gone["VersionId"] == ids[1] and "DeleteMarker" not in gone
    status, code, _ = error_headers(lambda: s3.get_object(Bucket=bucket, Key="doc", VersionId=ids[1], **read_args(mode)))
    assert (status, code) == (404, "NoSuchVersion")
    assert ids[1] not in [v for _, v, _, _ in versions_of(s3, bucket, Prefix="doc")]
    # The current version removed by id: the next newest becomes current.
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=ids[-1])
    current = s3.get_object(Bucket=bucket, Key="doc", **read_args(mode))
    assert current["VersionId"] == ids[2] and current["Body"].read() == bodies[ids[2]]
    # The null version by its name.
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId="null", **read_args(mode))["Body"].read() == b"before versioning"


def test_version_id_errors(coffer, bucket):
    s3 = coffer.client()
    enable(s3, bucket)
    vid = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    # Malformed ids: 400 InvalidArgument; well-formed ids of no version: 404 NoSuchVersion.
    for bad in ("nope", vid[:-1], vid + "A", "null2"):
        status, code, _ = error_headers(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=bad))
        assert (status, code) == (400, "InvalidArgument"), bad
    other = "A" * 10 + vid[10:]
    for call in (lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=other),
                 lambda: s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=other),
                 lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k", "VersionId": other})):
        assert error_headers(call)[:2] == (404, "NoSuchVersion")
    assert error_headers(lambda: s3.head_object(Bucket=bucket, Key="k", VersionId=other))[0] == 404
    # A deletion of an id that names no version changes nothing (204).
    assert s3.delete_object(Bucket=bucket, Key="k", VersionId=other)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == vid
    # A copy may not name a delete marker by id.
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    assert error_headers(lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k", "VersionId": marker}))[:2] == (400, "InvalidRequest")
    assert error_headers(lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}))[:2] == (404, "NoSuchKey")
    assert error_headers(lambda: s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=marker, Tagging=tag_set(("a", "b"))))[:2] == (405, "MethodNotAllowed")
    # version-id-marker needs a key-marker.
    assert error_headers(lambda: s3.list_object_versions(Bucket=bucket, VersionIdMarker=vid))[:2] == (400, "InvalidArgument")
    # Bad configurations.
    for document in (b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>", b"<Versioning", b"<Other/>"):
        r = coffer.endpoint().request("PUT", "/" + bucket, query="versioning", body=document, creds=coffer.creds())
        assert (r.status, r.code()) == (400, "MalformedXML"), document
    assert error_headers(lambda: s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}))[:2] == (400, "InvalidRequest")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    # A bucket holding only old versions and markers is not empty.
    s3.put_object(Bucket=bucket, Key="k", Body=b"y")
    for version, _ in [(v, d) for _, v, _, d in versions_of(s3, bucket)][:1]:
        s3.delete_object(Bucket=bucket, Key="k", VersionId=version)
    assert error_headers(lambda: s3.delete_bucket(Bucket=bucket))[:2] == (409, "BucketNotEmpty")


def test_suspended_bucket_null_version(coffer, bucket):
    """A suspended bucket writes the null version: each write replaces the previous null version
    (current or not) while versions with ids stay."""
    s3 = coffer.client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"A")
    enable(s3, bucket)
    b = s3.put_object(Bucket=bucket, Key="k", Body=b"B")["VersionId"]
    enable(s3, bucket, "Suspended")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"C")["VersionId"] == "null"
    assert versions_of(s3, bucket) == [("k", "null", True, False), ("k", b, False, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"C"
    s3.put_object(Bucket=bucket, Key="k", Body=b"D")
    assert versions_of(s3, bucket) == [("k", "null", True, False), ("k", b, False, False)]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"D"
    # DELETE without an id: a null delete marker replaces the null version.
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    assert versions_of(s3, bucket) == [("k", "null", True, True), ("k", b, False, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=b)["Body"].read() == b"B"
    # Versioning never returns to unversioned: enabling again keeps every version.
    enable(s3, bucket)
    s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"B"


def test_list_object_versions_paging(coffer, bucket):
    s3 = coffer.client()
    enable(s3, bucket)
    expected = []
    for key in ("a", "dir/x", "dir/y", "z"):
        ids = [s3.put_object(Bucket=bucket, Key=key, Body=key.encode() * i)["VersionId"] for i in range(1, 4)]
        expected += [(key, v, v == ids[-1], False) for v in reversed(ids)]
    marker = s3.delete_object(Bucket=bucket, Key="z")["VersionId"]
    expected = [e if e[0] != "z" else (e[0], e[1], False, False) for e in expected]
    expected.insert(len(expected) - 3, ("z", marker, True, True))
    assert versions_of(s3, bucket) == expected
    # Pages of two, by key-marker and version-id-marker, end to end.
    seen = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
        entries = [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])] + [(m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers", [])]
        assert len(entries) <= 2
        seen += entries
    assert sorted(seen) == sorted((k, v) for k, v, _, _ in expected)
    # Prefix and delimiter.
    listing = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["dir/"]
    assert {v["Key"] for v in listing["Versions"]} == {"a", "z"}
    listing = s3.list_object_versions(Bucket=bucket, Prefix="dir/", MaxKeys=4)
    assert listing["IsTruncated"] is True and listing["NextKeyMarker"] == "dir/y" and len(listing["Versions"]) == 4
    rest = s3.list_object_versions(Bucket=bucket, Prefix="dir/", KeyMarker=listing["NextKeyMarker"],
                                   VersionIdMarker=listing["NextVersionIdMarker"])
    assert len(rest["Versions"]) == 2 and rest["IsTruncated"] is False

    # DeleteObjects with version ids, markers and plain keys.
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a", "VersionId": expected[0][1]}, {"Key": "z", "VersionId": marker}, {"Key": "dir/x"},
        {"Key": "a", "VersionId": "bad-id"},
    ]})
    deleted = {(d["Key"], d.get("VersionId")): d for d in result["Deleted"]}
    assert "DeleteMarker" not in deleted[("a", expected[0][1])]
    assert deleted[("z", marker)]["DeleteMarker"] is True and deleted[("z", marker)]["DeleteMarkerVersionId"] == marker
    assert deleted[("dir/x", None)]["DeleteMarker"] is True and len(deleted[("dir/x", None)]["DeleteMarkerVersionId"]) == 32
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("a", "InvalidArgument")]
    assert s3.get_object(Bucket=bucket, Key="z")["Body"].read() == b"zzz"
    assert s3.get_object(Bucket=bucket, Key="a")["VersionId"] == expected[1][1]


def test_versioning_with_the_aws_cli(coffer, bucket, tmp_path):
    for transport in ("http", "https"):
        coffer.aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled", transport=transport)
        assert coffer.aws_json("s3api", "get-bucket-versioning", "--bucket", bucket, transport=transport)["Status"] == "Enabled"
        source = tmp_path / "body"
        ids = []
        for i in range(2):
            source.write_bytes(f"body {i} over {transport}".encode())
            out = coffer.aws("s3api", "put-object", "--bucket", bucket, "--key", "cli", "--body", str(source),
                             "--server-side-encryption", "AES256", transport=transport)
            ids.append(json.loads(out.stdout)["VersionId"])
        target = tmp_path / "out"
        coffer.aws("s3api", "get-object", "--bucket", bucket, "--key", "cli", "--version-id", ids[0], str(target), transport=transport)
        assert target.read_bytes() == f"body 0 over {transport}".encode()
        listed = coffer.aws_json("s3api", "list-object-versions", "--bucket", bucket, "--prefix", "cli", transport=transport)
        assert [v["VersionId"] for v in listed["Versions"]][:2] == list(reversed(ids))
        out = coffer.aws_json("s3api", "delete-object", "--bucket", bucket, "--key", "cli", "--version-id", ids[1], transport=transport)
        assert out["VersionId"] == ids[1]
        coffer.aws("s3", "cp", f"s3://{bucket}/cli", str(target), transport=transport)
        assert target.read_bytes() == f"body 0 over {transport}".encode()


# ----------------------------------------------------------------------------- sealing


def records_of(db, bucket: str, key: str) -> dict[str, tuple[bytes, dict]]:
    """Every stored version record of `key` (store key and decoded JSON) by version id, read
    with LevelDB itself from a stopped server's data dir (records: a version byte, then JSON)."""
    found = {}
    for store_key, value in db.iterator():
        if len(value) < 2 or value[0] not in (1, 2) or value[1:2] != b"{":
            continue
        try:
            record = json.loads(value[1:])
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("bucket") == bucket and record.get("key") == key and "segments" in record:
            found[record.get("versionId", "null")] = (store_key, record)
    return found


@pytest.mark.leveldb_only("rewrites a version record in DIR/db with plyvel")
@pytest.mark.parametrize("mode", ["sse-s3", "sse-kms", "sse-c"])
def test_a_version_given_another_versions_data_never_opens(server_factory, tmp_path, mode):
    """Someone who can write the database gives version B the data of version A (its sealed
    data key, its blobs, even A's version nonce): every package is bound to its own version
    (sealed-object format version 2), so B answers 500 and never A's bytes; A still reads."""
    plyvel = pytest.importorskip("plyvel")
    server = start_server(server_factory, tmp_path)
    transport = "https" if mode == "sse-c" else "http"
    s3 = server.client(transport, cached=False)
    s3.create_bucket(Bucket="sealed")
    enable(s3, "sealed")
    a_body, b_body = b"version A " * 9000, b"version B " * 9000
    a = s3.put_object(Bucket="sealed", Key="k", Body=a_body, **write_args(mode))["VersionId"]
    b = s3.put_object(Bucket="sealed", Key="k", Body=b_body, **write_args(mode))["VersionId"]
    server.server.stop()

    db = plyvel.DB(os.path.join(server.server.data_dir, "db"))
    records = records_of(db, "sealed", "k")
    (a_key, a_record), (b_key, b_record) = records[a], records[b]
    originals = {}
    for fields in (("encryption", "segments"), ("encryption", "segments", "versionNonce")):
        swapped = dict(b_record)
        for field in fields:
            swapped[field] = a_record[field]
        originals[fields] = swapped
    db.close()

    for fields, swapped in originals.items():
        db = plyvel.DB(os.path.join(server.server.data_dir, "db"))
        db.put(b_key, bytes([2]) + json.dumps(swapped, separators=(",", ":")).encode())
        db.close()
        server = start_server(server_factory, tmp_path)
        s3 = server.client(transport, cached=False)
        for version in (b, None):
            kwargs = {"VersionId": version} if version else {}
            with pytest.raises(ClientError) as caught:
                s3.get_object(Bucket="sealed", Key="k", **kwargs, **read_args(mode))["Body"].read()
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500, fields
        assert s3.get_object(Bucket="sealed", Key="k", VersionId=a, **read_args(mode))["Body"].read() == a_body
        server.server.stop()


# ----------------------------------------------------------------------------- policies


def test_version_actions_in_bucket_policies(coffer, bucket, tmp_path):
    """s3:GetObjectVersion and s3:DeleteObjectVersion are their own actions: the library's
    deny-delete-object-versions policy refuses removing versions (root included) and leaves
    delete markers alone; a grant of s3:GetObject does not read old versions; `s3:versionid`
    conditions match. The dry run agrees with the server."""
    root = coffer.client()
    account = account_of(coffer)
    alice_arn = f"arn:aws:iam::{account}:user/alice"
    enable(root, bucket)
    first = root.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = root.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]

    policy = library_policy("deny-delete-object-versions.json", bucket)
    put_policy(root, bucket, policy)
    who = ["--principal", account]
    assert refused(lambda: root.delete_object(Bucket=bucket, Key="k", VersionId=first))[:2] == (403, "AccessDenied")
    assert simulate(coffer, policy, tmp_path, f"DELETE /{bucket}/k?versionId={first}", *who) == "explicit-deny"
    result = root.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": first}]})
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("k", "AccessDenied")]
    marker = root.delete_object(Bucket=bucket, Key="k")
    assert marker["DeleteMarker"] is True
    assert simulate(coffer, policy, tmp_path, f"DELETE /{bucket}/k", *who) == "implicit-deny"
    assert refused(lambda: root.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"]))[:2] == (403, "AccessDenied")
    root.delete_bucket_policy(Bucket=bucket)
    root.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])

    # alice may read the current object, and one old version by its id only.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "s3:GetObjectVersion", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:versionid": first}}},
    ]}
    put_policy(root, bucket, policy)
    for transport in ("http", "https"):
        alice = coffer.client(transport, user="alice")
        assert alice.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
        assert alice.get_object(Bucket=bucket, Key="k", VersionId=first)["Body"].read() == b"one"
        assert refused(lambda: alice.get_object(Bucket=bucket, Key="k", VersionId=second))[:2] == (403, "AccessDenied")
        assert refused(lambda: alice.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k", "VersionId": second}))[:2] == (403, "AccessDenied")
    who = ["--principal", alice_arn]
    assert simulate(coffer, policy, tmp_path, f"GET /{bucket}/k?versionId={first}", *who) == "allow"
    assert simulate(coffer, policy, tmp_path, f"GET /{bucket}/k?versionId={second}", *who) == "implicit-deny"
    assert simulate(coffer, policy, tmp_path, f"GET /{bucket}/k", *who) == "allow"
    root.delete_bucket_policy(Bucket=bucket)


# ----------------------------------------------------------------------------- audit


def test_version_operations_are_in_the_audit_trail(server_factory, tmp_path, coffer_binary):
    server = start_server(server_factory, tmp_path)
    s3 = server.client()
    bucket = "audit-versions"
    s3.create_bucket(Bucket=bucket)
    enable(s3, bucket)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    got = s3.get_object(Bucket=bucket, Key="k", VersionId=first)
    got["Body"].read()
    s3.delete_object(Bucket=bucket, Key="k", VersionId=first)
    s3.delete_object(Bucket=bucket, Key="k")
    gets = audit_read(coffer_binary, server.data_dir, "--event-name", "GetObject", "--object-key", "k")
    assert [r["requestParameters"].get("versionId") for r in gets] == [first]
    assert gets[0]["requestID"] == got["ResponseMetadata"]["RequestId"]
    deletes = audit_read(coffer_binary, server.data_dir, "--event-name", "DeleteObject", "--object-key", "k")
    assert [r["requestParameters"].get("versionId") for r in deletes] == [first, None]
    assert all(r.get("errorCode") is None for r in deletes)
    assert_chain(server.data_dir)
    server.server.stop()
