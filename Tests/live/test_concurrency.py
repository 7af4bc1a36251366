"""Concurrent overwrites and reads of one key: a reader sees one whole version, never a mix;
the final object is one whole version."""

import concurrent.futures
import hashlib
import os


def test_concurrent_overwrites_and_reads_are_atomic(coffer, bucket):
    bodies = [bytes([i]) * (150_000 + i * 1000) + os.urandom(64) for i in range(6)]
    digests = {f'"{hashlib.md5(b).hexdigest()}"': b for b in bodies}
    s3 = coffer.client()
    s3.put_object(Bucket=bucket, Key="hot", Body=bodies[0])

    def write(i):
        for _ in range(4):
            s3.put_object(Bucket=bucket, Key="hot", Body=bodies[i])

    def read(_):
        seen = []
        for _ in range(12):
            r = s3.get_object(Bucket=bucket, Key="hot")
            body = r["Body"].read()
            seen.append((r["ETag"], body))
        return seen

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        writers = [pool.submit(write, i) for i in range(len(bodies))]
        readers = [pool.submit(read, i) for i in range(4)]
        for w in writers:
            w.result(timeout=120)
        for r in readers:
            for etag, body in r.result(timeout=120):
                assert etag in digests, etag
                assert body == digests[etag], "a read returned bytes that do not match its ETag"
    final = s3.get_object(Bucket=bucket, Key="hot")
    assert final["Body"].read() == digests[final["ETag"]]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["hot"]


def test_concurrent_multipart_uploads_to_one_key(coffer, bucket):
    s3 = coffer.client()
    MiB = 1024 * 1024

    def upload(i):
        parts = [bytes([i]) * (5 * MiB), bytes([i]) * 100]
        uid = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=n,
                                                          Body=p)["ETag"]} for n, p in enumerate(parts, 1)]
        return s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid,
                                            MultipartUpload={"Parts": done})["ETag"], b"".join(parts)

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = dict(pool.map(upload, range(3)))
    final = s3.get_object(Bucket=bucket, Key="mp")
    assert final["Body"].read() == results[final["ETag"]]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
