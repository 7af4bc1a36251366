"""Objects through the real aws CLI (s3api and s3 cp/sync/ls/rm) over HTTP and HTTPS, and
hostile keys through boto3 and the CLI."""

import hashlib
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from coffer_live import checksum_b64, client_error, md5_hex

MiB = 1024 * 1024
TRANSPORTS = ["http", "https"]


def _data(size: int) -> bytes:
    return os.urandom(size)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 8 * MiB + 1])
def test_s3api_put_get_sizes(coffer, bucket, tmp_path, transport, size):
    data = _data(size)
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(data)
    key = f"obj-{size}"
    put = coffer.aws_json("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(src),
                          transport=transport)
    assert put["ETag"] == f'"{md5_hex(data)}"'
    head = coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", key, "--checksum-mode", "ENABLED",
                           transport=transport)
    assert head["ContentLength"] == size
    assert head["ETag"] == f'"{md5_hex(data)}"'
    # the CLI sends a CRC32: as a header over HTTP, as an aws-chunked trailer over HTTPS
    assert head.get("ChecksumCRC32") == checksum_b64("crc32", data)
    got = coffer.aws_json("s3api", "get-object", "--bucket", bucket, "--key", key, str(dst), transport=transport)
    assert got["ContentLength"] == size
    assert dst.read_bytes() == data


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("size", [8 * MiB + 1, 40 * MiB])
def test_s3_cp_multipart_round_trip(coffer, bucket, tmp_path, transport, size):
    """`aws s3 cp` switches to multipart above 8 MiB; download and compare the bytes."""
    data = _data(size)
    src, dst = tmp_path / "big.bin", tmp_path / "back.bin"
    src.write_bytes(data)
    coffer.aws("s3", "cp", str(src), f"s3://{bucket}/big/big.bin", transport=transport)
    head = coffer.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "big/big.bin", transport=transport)
    assert head["ContentLength"] == size
    # multipart ETag: md5-of-md5s with the CLI's 8 MiB parts
    parts = [data[i:i + 8 * MiB] for i in range(0, size, 8 * MiB)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert head["ETag"] == f'"{expected}-{len(parts)}"'
    coffer.aws("s3", "cp", f"s3://{bucket}/big/big.bin", str(dst), transport=transport)
    assert dst.stat().st_size == size
    assert dst.read_bytes() == data


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_s3_sync_ls_rm(coffer, bucket, tmp_path, transport):
    tree = {
        "a.txt": b"alpha\n",
        "empty": b"",
        "with space.txt": b"spaced",
        "sub/b.bin": os.urandom(70000),
        "sub/deeper/c.txt": b"gamma",
        "sub/deeper/\u00e9\u4e2d.txt": b"unicode",
    }
    up = tmp_path / "up"
    for rel, content in tree.items():
        p = up / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
    coffer.aws("s3", "sync", str(up), f"s3://{bucket}/tree/", transport=transport)

    ls = coffer.aws("s3", "ls", f"s3://{bucket}/tree/", "--recursive", transport=transport).stdout
    listed = {}
    for line in ls.splitlines():
        parts = line.split(None, 3)
        listed[parts[3]] = int(parts[2])
    assert listed == {f"tree/{k}": len(v) for k, v in tree.items()}

    top = coffer.aws("s3", "ls", f"s3://{bucket}/tree/", transport=transport).stdout
    assert "PRE sub/" in top
    assert "a.txt" in top and "with space.txt" in top

    # a second sync finds nothing to do (sizes and times agree)
    again = coffer.aws("s3", "sync", str(up), f"s3://{bucket}/tree/", transport=transport).stdout
    assert again.strip() == ""

    down = tmp_path / "down"
    coffer.aws("s3", "sync", f"s3://{bucket}/tree/", str(down), transport=transport)
    for rel, content in tree.items():
        assert (down / rel).read_bytes() == content, rel

    rm = coffer.aws("s3", "rm", f"s3://{bucket}/tree/", "--recursive", transport=transport).stdout
    assert rm.count("delete:") == len(tree)
    assert coffer.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert coffer.aws("s3", "ls", f"s3://{bucket}/", "--recursive", transport=transport).stdout.strip() == ""


HOSTILE_KEYS = [
    "a//b/",
    "trailing/",
    "with space",
    "  leading and trailing spaces  ",
    "&+%?#",
    "semi;colon,comma=equals@at$dollar!bang'quote\"dq(paren)*star",
    "\u00e9\u4e2d\u6587",
    "tab\tand~tilde^caret`backtick|pipe\\backslash{}[]<>",
    "k" * 1024,
    "\u00e9" * 512,           # 1024 bytes of UTF-8
    "percent%2Fencoded%20already",
    "plus+plus",
    "a/../b", "./x", "../up", "/", "//", "/leading", "x/./y", ".", "..",
    "new\nline", "carriage\rreturn",
]


def test_hostile_keys_boto3(coffer, bucket):
    s3 = coffer.client()
    for i, key in enumerate(HOSTILE_KEYS):
        body = f"body {i}".encode()
        r = s3.put_object(Bucket=bucket, Key=key, Body=body)
        assert r["ETag"] == f'"{md5_hex(body)}"', key
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body), key
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
        assert key in [o["Key"] for o in listed.get("Contents", [])], key
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert sorted(keys, key=lambda k: k.encode()) == keys
    assert set(keys) == set(HOSTILE_KEYS)
    for key in HOSTILE_KEYS:
        assert s3.delete_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPStatusCode"] == 204
        with pytest.raises(ClientError) as e:
            s3.head_object(Bucket=bucket, Key=key)
        assert client_error(e.value) == (404, "404"), key
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hostile_keys_cli(coffer, bucket, tmp_path, transport):
    keys = ["a//b/", "trailing/", "with space", "&+%?#", "\u00e9\u4e2d\u6587", "k" * 1024]
    for i, key in enumerate(keys):
        src = tmp_path / f"src{i}"
        src.write_bytes(f"cli body {i}".encode())
        coffer.aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(src), transport=transport)
    listed = coffer.aws_json("s3api", "list-objects-v2", "--bucket", bucket, transport=transport)
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(keys)
    for i, key in enumerate(keys):
        dst = tmp_path / f"dst{i}"
        coffer.aws("s3api", "get-object", "--bucket", bucket, "--key", key, str(dst), transport=transport)
        assert dst.read_bytes() == f"cli body {i}".encode(), key
    # s3 ls shows the unicode and spaced names
    ls = coffer.aws("s3", "ls", f"s3://{bucket}/", "--recursive", transport=transport).stdout
    assert "with space" in ls and "\u00e9\u4e2d\u6587" in ls and "&+%?#" in ls
    for key in ("a//b/", "&+%?#"):
        coffer.aws("s3api", "delete-object", "--bucket", bucket, "--key", key, transport=transport)
    rm = coffer.aws("s3", "rm", f"s3://{bucket}/", "--recursive", transport=transport).stdout
    assert rm.count("delete:") == len(keys) - 2
    listed = coffer.aws_json("s3api", "list-objects-v2", "--bucket", bucket, transport=transport)
    assert listed.get("Contents", []) == []


def test_key_too_long(coffer, bucket, tmp_path):
    s3 = coffer.client()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert client_error(e.value) == (400, "KeyTooLongError")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="\u00e9" * 513, Body=b"x")   # 1026 bytes
    assert client_error(e.value) == (400, "KeyTooLongError")
    src = tmp_path / "x"
    src.write_bytes(b"x")
    r = coffer.aws("s3api", "put-object", "--bucket", bucket, "--key", "k" * 1025, "--body", str(src), check=False)
    assert r.returncode != 0 and "KeyTooLongError" in r.stderr
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_s3_cp_stdin_stream_upload(coffer, bucket, tmp_path):
    """`aws s3 cp - s3://...` streams from stdin (multipart of unknown length)."""
    data = os.urandom(9 * MiB)
    cmd = ["aws", "s3", "cp", "-", f"s3://{bucket}/stdin.bin", "--endpoint-url", coffer.http_url]
    r = subprocess.run(cmd, input=data, env=coffer.aws_env(), capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = coffer.client().get_object(Bucket=bucket, Key="stdin.bin")["Body"].read()
    assert got == data


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_s3_mb_server_side_copy_mv_rb(coffer, bucket_name, tmp_path, transport):
    """`s3 cp s3:// s3://` above 8 MiB is a multipart copy (UploadPartCopy); `mv` is copy
    and delete; `rb --force` empties and removes the bucket."""
    data = _data(9 * MiB)
    src = tmp_path / "src"
    src.write_bytes(data)
    assert "make_bucket" in coffer.aws("s3", "mb", f"s3://{bucket_name}", transport=transport).stdout
    coffer.aws("s3", "cp", str(src), f"s3://{bucket_name}/orig", transport=transport)
    coffer.aws("s3", "cp", f"s3://{bucket_name}/orig", f"s3://{bucket_name}/copy", transport=transport)
    coffer.aws("s3", "mv", f"s3://{bucket_name}/copy", f"s3://{bucket_name}/moved/here", transport=transport)
    s3 = coffer.client()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket_name)["Contents"]] == ["moved/here", "orig"]
    assert s3.get_object(Bucket=bucket_name, Key="moved/here")["Body"].read() == data
    coffer.aws("s3", "rb", f"s3://{bucket_name}", "--force", transport=transport)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert client_error(e.value) == (404, "404")
