#!/usr/bin/env python3
"""boto3 against a running Coffer: bucket, upload_file (multipart), paginated listing,
a presigned URL, and the SDK's bucket clean-up helpers (which call ListObjectVersions)."""
import json
import os
import sys
import tempfile
import urllib.request
import uuid

import boto3
from botocore.config import Config

data_dir = os.environ.get("COFFER_DATA_DIR", "./coffer-data")
key_id = os.environ.get("AWS_ACCESS_KEY_ID")
secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
if not key_id:
    creds = json.load(open(os.path.join(data_dir, "root-credentials.json")))
    key_id, secret = creds["accessKeyId"], creds["secretAccessKey"]

s3 = boto3.resource(
    "s3",
    endpoint_url=os.environ.get("COFFER_HTTP", "http://127.0.0.1:9000"),
    aws_access_key_id=key_id,
    aws_secret_access_key=secret,
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
bucket = s3.create_bucket(Bucket=f"boto3-demo-{uuid.uuid4().hex[:8]}")
with tempfile.NamedTemporaryFile() as f:
    f.write(os.urandom(12 * 1024 * 1024))
    f.flush()
    bucket.upload_file(f.name, "big.bin")  # 12 MiB: multipart
for i in range(25):
    bucket.put_object(Key=f"logs/{i:03d}.txt", Body=f"line {i}\n".encode())
pages = s3.meta.client.get_paginator("list_objects_v2").paginate(Bucket=bucket.name, PaginationConfig={"PageSize": 10})
print("keys:", sum(len(p.get("Contents", [])) for p in pages))
url = s3.meta.client.generate_presigned_url("get_object", Params={"Bucket": bucket.name, "Key": "logs/007.txt"}, ExpiresIn=60)
print("presigned:", urllib.request.urlopen(url).read().decode().strip())
bucket.object_versions.delete()
bucket.delete()
print("boto3 quickstart done")
sys.exit(0)
