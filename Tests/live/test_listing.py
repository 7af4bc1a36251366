"""Listing: ListObjectsV2, ListObjects v1, ListObjectVersions, DeleteObjects, and the
SDK clean-up helpers."""

import concurrent.futures
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from conftest import unique_bucket_name
from coffer_live import S3_NS, client_error, object_path

N_FILES = 300


def _put_many(s3, bucket, keys, body=b"x"):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body), keys))


def _keys():
    keys = [f"dir{i % 4}/sub{i % 3}/file{i:04d}" for i in range(N_FILES - 20)]
    keys += [f"top{i:02d}" for i in range(15)]
    keys += ["dir0/direct.txt", "a b/c", "\u00e9/x", "z%2F/y", "+plus"]
    return keys


@pytest.fixture(scope="module")
def listed(coffer):
    """One bucket of N_FILES keys shared by the read-only listing tests."""
    from conftest import unique_bucket_name
    s3 = coffer.client()
    name = unique_bucket_name("listing")
    s3.create_bucket(Bucket=name)
    keys = _keys()
    _put_many(s3, name, keys)
    return name, sorted(keys, key=lambda k: k.encode())


def test_v2_paging_max_keys(s3, listed):
    bucket, keys = listed
    got, pages, token = [], 0, None
    while True:
        kw = dict(Bucket=bucket, MaxKeys=50)
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        pages += 1
        assert r["KeyCount"] == len(r.get("Contents", [])) <= 50
        assert r["MaxKeys"] == 50
        got += [o["Key"] for o in r.get("Contents", [])]
        if token:
            assert r["ContinuationToken"] == token
        if not r["IsTruncated"]:
            assert "NextContinuationToken" not in r
            break
        token = r["NextContinuationToken"]
        assert pages < 100
    assert got == keys
    assert pages == (len(keys) + 49) // 50
    # every entry carries size, etag, date, storage class
    o = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)["Contents"][0]
    assert o["Size"] == 1 and o["ETag"] == '"9dd4e461268c8034f5c8564e155c67a6"'
    assert o["StorageClass"] == "STANDARD" and o["LastModified"]
    assert "Owner" not in o


def test_v2_default_max_keys_is_1000(s3, listed):
    bucket, keys = listed
    r = s3.list_objects_v2(Bucket=bucket)
    assert r["MaxKeys"] == 1000 and r["KeyCount"] == len(keys) and not r["IsTruncated"]


def test_v2_paginator_and_delimiter(s3, listed):
    bucket, keys = listed
    pag = s3.get_paginator("list_objects_v2")
    all_keys = [o["Key"] for page in pag.paginate(Bucket=bucket, PaginationConfig={"PageSize": 50})
                for o in page.get("Contents", [])]
    assert all_keys == keys

    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    prefixes = sorted({k.split("/")[0] + "/" for k in keys if "/" in k}, key=str.encode)
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == prefixes
    assert [o["Key"] for o in r["Contents"]] == [k for k in keys if "/" not in k]
    assert r["KeyCount"] == len(prefixes) + len(r["Contents"])
    assert r["Delimiter"] == "/"

    r = s3.list_objects_v2(Bucket=bucket, Prefix="dir0/", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir0/sub0/", "dir0/sub1/", "dir0/sub2/"]
    assert [o["Key"] for o in r["Contents"]] == ["dir0/direct.txt"]
    assert r["Prefix"] == "dir0/"

    # paging with a delimiter: common prefixes count against MaxKeys and are not repeated
    seen_prefixes, seen_keys = [], []
    for page in pag.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}):
        assert len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])) <= 2
        seen_prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        seen_keys += [o["Key"] for o in page.get("Contents", [])]
    assert seen_prefixes == prefixes
    assert seen_keys == [k for k in keys if "/" not in k]

    # a delimiter that is not "/"
    r = s3.list_objects_v2(Bucket=bucket, Prefix="dir1/sub", Delimiter="file")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir1/sub0/file", "dir1/sub1/file", "dir1/sub2/file"]


def test_v2_start_after_prefix_fetch_owner(s3, listed):
    bucket, keys = listed
    start = keys[100]
    r = s3.list_objects_v2(Bucket=bucket, StartAfter=start, MaxKeys=20)
    assert [o["Key"] for o in r["Contents"]] == keys[101:121]
    assert r["StartAfter"] == start
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="\uffff")
    assert r["KeyCount"] == 0 and "Contents" not in r
    r = s3.list_objects_v2(Bucket=bucket, Prefix="top")
    assert [o["Key"] for o in r["Contents"]] == [f"top{i:02d}" for i in range(15)]
    r = s3.list_objects_v2(Bucket=bucket, Prefix="nothing-here")
    assert r["KeyCount"] == 0 and not r["IsTruncated"]
    owner = s3.list_buckets()["Owner"]["ID"]
    r = s3.list_objects_v2(Bucket=bucket, Prefix="top", MaxKeys=3, FetchOwner=True)
    assert all(o["Owner"]["ID"] == owner for o in r["Contents"])
    r = s3.list_objects_v2(Bucket=bucket, Prefix="top", MaxKeys=3)
    assert all("Owner" not in o for o in r["Contents"])


def test_v2_encoding_type_url(coffer, s3, bucket):
    keys = ["a b/c+d", "\u00e9\u4e2d/\u6587", "ctrl\x01char", "amp&lt<gt>", "pct%20"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"e")
    # boto3 asks for encoding-type=url and decodes the answer itself
    r = s3.list_objects_v2(Bucket=bucket)
    assert sorted(o["Key"] for o in r["Contents"]) == sorted(keys)
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert sorted(p["Prefix"] for p in r["CommonPrefixes"]) == ["a b/", "\u00e9\u4e2d/"]
    # asked for explicitly, boto3 leaves the decoding to the caller
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/", EncodingType="url")
    assert sorted(urllib.parse.unquote(p["Prefix"]) for p in r["CommonPrefixes"]) == ["a b/", "\u00e9\u4e2d/"]
    assert r["EncodingType"] == "url"
    # on the wire: the keys are URL-encoded and EncodingType is echoed
    raw = coffer.endpoint().request("GET", object_path(bucket), query="list-type=2&encoding-type=url&prefix=a%20b%2F",
                                    creds=coffer.root)
    assert raw.status == 200, raw.body
    doc = ET.fromstring(raw.body)
    assert doc.find(f"{S3_NS}EncodingType").text == "url"
    wire = [c.find(f"{S3_NS}Key").text for c in doc.findall(f"{S3_NS}Contents")]
    assert len(wire) == 1 and urllib.parse.unquote_plus(wire[0]) == "a b/c+d"
    assert " " not in wire[0]
    assert doc.find(f"{S3_NS}Prefix").text in ("a%20b/", "a+b/", "a%20b%2F")
    # the control character cannot be sent in XML 1.0 without encoding
    raw = coffer.endpoint().request("GET", object_path(bucket), query="list-type=2&encoding-type=url&prefix=ctrl",
                                    creds=coffer.root)
    wire = [c.find(f"{S3_NS}Key").text for c in ET.fromstring(raw.body).findall(f"{S3_NS}Contents")]
    assert wire == ["ctrl%01char"]
    bad = coffer.endpoint().request("GET", object_path(bucket), query="list-type=2&encoding-type=base64",
                                    creds=coffer.root)
    assert bad.status == 400 and bad.code() == "InvalidArgument"


def test_v1_marker_and_next_marker(s3, listed):
    bucket, keys = listed
    r = s3.list_objects(Bucket=bucket, MaxKeys=50)
    assert [o["Key"] for o in r["Contents"]] == keys[:50]
    assert r["IsTruncated"]
    r2 = s3.list_objects(Bucket=bucket, MaxKeys=50, Marker=keys[49])
    assert [o["Key"] for o in r2["Contents"]] == keys[50:100]
    assert r2["Marker"] == keys[49]
    # with a delimiter, S3 returns NextMarker
    r = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert r["IsTruncated"] and r["NextMarker"]
    got_prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    got_keys = [o["Key"] for o in r.get("Contents", [])]
    marker = r["NextMarker"]
    for _ in range(100):
        r = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=marker)
        got_prefixes += [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        got_keys += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        marker = r["NextMarker"]
    assert got_prefixes == sorted({k.split("/")[0] + "/" for k in keys if "/" in k}, key=str.encode)
    assert got_keys == [k for k in keys if "/" not in k]
    # the paginator (which falls back to the last key without a delimiter)
    pag = s3.get_paginator("list_objects")
    assert [o["Key"] for p in pag.paginate(Bucket=bucket, PaginationConfig={"PageSize": 50})
            for o in p.get("Contents", [])] == keys
    # owners are included in v1
    assert s3.list_objects(Bucket=bucket, MaxKeys=1)["Contents"][0]["Owner"]["ID"]


def test_list_object_versions_on_unversioned_bucket(s3, listed):
    bucket, keys = listed
    r = s3.list_object_versions(Bucket=bucket, Prefix="top")
    vs = r["Versions"]
    assert [v["Key"] for v in vs] == [f"top{i:02d}" for i in range(15)]
    assert all(v["VersionId"] == "null" and v["IsLatest"] for v in vs)
    assert all(v["Size"] == 1 and v["ETag"] for v in vs)
    assert "DeleteMarkers" not in r
    got = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 50}):
        got += [v["Key"] for v in page.get("Versions", [])]
    assert got == keys
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == sorted(
        {k.split("/")[0] + "/" for k in keys if "/" in k}, key=str.encode)
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None
    g = s3.get_object(Bucket=bucket, Key="top00", VersionId="null")
    assert g["Body"].read() == b"x"
    assert s3.head_object(Bucket=bucket, Key="top00", VersionId="null")["ContentLength"] == 1


def test_sdk_cleanup_helpers(coffer, bucket):
    s3 = coffer.client()
    res = coffer.resource()
    _put_many(s3, bucket, [f"c/{i}" for i in range(60)] + ["x y", "\u00e9"])
    b = res.Bucket(bucket)
    assert len(list(b.objects.all())) == 62
    b.objects.all().delete()
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    _put_many(s3, bucket, [f"v/{i}" for i in range(30)])
    b.object_versions.delete()
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    b.delete()
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket)
    assert client_error(e.value) == (404, "404")


def test_delete_objects_1000(s3, bucket):
    keys = [f"del/{i:04d}" for i in range(1000)]
    _put_many(s3, bucket, keys)
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in r["Deleted"]) == keys
    assert "Errors" not in r
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # missing keys count as deleted; Quiet reports only errors
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    assert r.get("Deleted", []) == [] and r.get("Errors", []) == []
    s3.put_object(Bucket=bucket, Key="keep", Body=b"k")
    s3.put_object(Bucket=bucket, Key="go \u00e9&", Body=b"g")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "go \u00e9&"}, {"Key": "never-existed"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["go \u00e9&", "never-existed"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_delete_objects_over_1000_is_malformed(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert client_error(e.value) == (400, "MalformedXML")


def test_delete_objects_with_locked_bucket_headers(s3, bucket):
    """SDK clean-up helpers send x-amz-bypass-governance-retention and friends."""
    s3.put_object(Bucket=bucket, Key="g", Body=b"g")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "g", "VersionId": "null"}]},
                          BypassGovernanceRetention=True)
    assert [d["Key"] for d in r["Deleted"]] == ["g"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_prefixes_come_back_as_sent_through_boto3(s3, bucket):
    """boto3 asks for encoding-type=url and decodes exactly the fields S3 encodes: a prefix
    of a single newline comes back as "\\n" from ListObjects and ListObjectsV2."""
    for k in ["\nline", "\nother", "plain"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"n")
    v1 = s3.list_objects(Bucket=bucket, Prefix="\n")
    assert v1["Prefix"] == "\n"
    assert [o["Key"] for o in v1["Contents"]] == ["\nline", "\nother"]
    v2 = s3.list_objects_v2(Bucket=bucket, Prefix="\n")
    assert v2["Prefix"] == "\n"
    assert [o["Key"] for o in v2["Contents"]] == ["\nline", "\nother"]
    v1 = s3.list_objects(Bucket=bucket, Prefix="\n", Delimiter="o", MaxKeys=1)
    assert v1["Delimiter"] == "o" and v1["IsTruncated"] and v1["NextMarker"] == "\nline"
    r = s3.list_objects(Bucket=bucket, Prefix="\n", Delimiter="o", Marker=v1["NextMarker"])
    assert r["Marker"] == "\nline" and [p["Prefix"] for p in r["CommonPrefixes"]] == ["\no"]


def test_empty_continuation_token_lists_from_the_start(coffer, s3, bucket):
    for k in ["a", "b", "c"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"t")
    raw = coffer.endpoint().request("GET", object_path(bucket), query="list-type=2&continuation-token=&max-keys=2",
                                    creds=coffer.root)
    assert raw.status == 200, raw.body
    doc = ET.fromstring(raw.body)
    assert [c.find(f"{S3_NS}Key").text for c in doc.findall(f"{S3_NS}Contents")] == ["a", "b"]
    token = doc.find(f"{S3_NS}NextContinuationToken").text
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, ContinuationToken=token)["Contents"]] == ["c"]


def test_list_buckets_pages_and_filters(coffer):
    """ListBuckets with max-buckets, continuation-token, prefix and bucket-region, as S3 added
    them; without max-buckets every bucket comes back at once."""
    s3 = coffer.client()
    stem = unique_bucket_name("lb")[:40]
    names = [f"{stem}-{i}" for i in range(5)]
    for n in names:
        s3.create_bucket(Bucket=n)
    try:
        seen, token, pages = [], None, 0
        while True:
            kw = {"MaxBuckets": 2, "Prefix": stem + "-"}
            if token:
                kw["ContinuationToken"] = token
            r = s3.list_buckets(**kw)
            pages += 1
            assert r["Prefix"] == stem + "-"
            assert len(r["Buckets"]) <= 2
            seen += [b["Name"] for b in r["Buckets"]]
            token = r.get("ContinuationToken")
            if not token:
                break
        assert seen == names and pages == 3
        # the paginator walks the same pages
        paged = [b["Name"] for page in s3.get_paginator("list_buckets").paginate(Prefix=stem + "-", PaginationConfig={"PageSize": 2})
                 for b in page["Buckets"]]
        assert paged == names
        assert {b["Name"] for b in s3.list_buckets()["Buckets"]} >= set(names)
        assert [b["Name"] for b in s3.list_buckets(Prefix=stem + "-", BucketRegion="us-east-1")["Buckets"]] == names
        assert s3.list_buckets(Prefix=stem + "-", BucketRegion="eu-west-1")["Buckets"] == []
        for bad in ("0", "10001", "x"):
            r = coffer.endpoint().request("GET", "/", query=f"max-buckets={bad}", creds=coffer.root)
            assert r.status == 400 and r.code() == "InvalidArgument", r.body
        r = coffer.endpoint().request("GET", "/", query="max-buckets=1&continuation-token=bm90IGEgdG9rZW4%3D", creds=coffer.root)
        assert r.status == 400 and r.code() == "InvalidArgument"
    finally:
        for n in names:
            s3.delete_bucket(Bucket=n)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_key_that_is_not_utf8_is_invalid_uri(coffer, bucket, method):
    r = coffer.endpoint().request(method, object_path(bucket) + "/bad%FFkey", creds=coffer.root)
    assert r.status == 400, r.body
    if method != "HEAD":
        assert r.code() == "InvalidURI"
        assert r.error()["Message"] == "Couldn't parse the specified URI."


@pytest.mark.parametrize("upload_id", ["..%2F%00x", "%01%02", "x%EF%BF%BFy", "tab%09ok"])
def test_error_documents_parse_with_a_strict_xml_parser(coffer, bucket, upload_id):
    """Whatever the request carried, the error is XML 1.0 that expat reads."""
    r = coffer.endpoint().request("GET", object_path(bucket) + "/k", query=f"uploadId={upload_id}", creds=coffer.root)
    assert r.status == 404, r.body
    doc = ET.fromstring(r.body)  # raises on &#x0; and friends
    assert doc.find("Code").text == "NoSuchUpload"
