#!/usr/bin/env python3
"""Generates key-hierarchy-v1.json: known answers for every derivation of docs/key-hierarchy.md
(SSE-S3 data-key seal, SSE-C seal and key check, SSE-KMS bucket-key wrap, keyed ETags),
computed independently of Coffer's Swift code with the `cryptography` package
(pip install cryptography). Nonces and salts are fixed here; Coffer draws them at random.
Run from this directory: python3 make_key_hierarchy_vectors.py > key-hierarchy-v1.json"""
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def identity(bucket, key):
    b, k = bucket.encode(), key.encode()
    return hashlib.sha256(struct.pack(">I", len(b)) + b + struct.pack(">I", len(k)) + k).digest()


def hkdf(ikm, salt, info):
    # RFC 5869: an empty salt is HashLen zero bytes (the `cryptography` package does the same for None).
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None, info=info).derive(ikm)


def pattern(seed, n=32):
    return bytes((seed + 7 * i) % 256 for i in range(n))


objects = [("bucket", "key"), ("my-bucket", "a//b/ \u00e9"), ("fx-kms", "alias/bucket-key/65536")]

sse_s3 = []
for i, ((bucket, key), version) in enumerate(zip(objects, [1, 2, 70000])):
    root, dek, nonce = pattern(10 + i), pattern(100 + i), pattern(200 + i, 12)
    kek = hkdf(root, b"", b"coffer/key-hierarchy/v1/sse-s3-kek")
    aad = b"coffer/key-hierarchy/v1/sse-s3" + struct.pack(">I", version) + identity(bucket, key)
    sse_s3.append({
        "rootKey": root.hex(), "rootKeyVersion": version, "bucket": bucket, "key": key,
        "objectIdentity": identity(bucket, key).hex(), "kek": kek.hex(), "nonce": nonce.hex(),
        "dataKey": dek.hex(), "sealedKey": (nonce + AESGCM(kek).encrypt(nonce, dek, aad)).hex(),
    })

sse_c = []
for i, (bucket, key) in enumerate(objects):
    customer, salt, dek, nonce = pattern(30 + i), pattern(60 + i), pattern(120 + i), pattern(220 + i, 12)
    kek = hkdf(customer, salt, b"coffer/key-hierarchy/v1/sse-c-kek")
    check = hmac.new(salt, b"coffer/key-hierarchy/v1/sse-c-key-check" + customer, hashlib.sha256).digest()
    aad = b"coffer/key-hierarchy/v1/sse-c" + identity(bucket, key)
    sse_c.append({
        "customerKey": customer.hex(), "salt": salt.hex(), "bucket": bucket, "key": key, "kek": kek.hex(),
        "keyCheck": check.hex(), "nonce": nonce.hex(), "dataKey": dek.hex(),
        "sealedKey": (nonce + AESGCM(kek).encrypt(nonce, dek, aad)).hex(),
    })

bucket_key = []
for i, (bucket, key) in enumerate(objects):
    bk, dek, nonce = pattern(40 + i), pattern(140 + i), pattern(240 + i, 12)
    aad = b"coffer/key-hierarchy/v1/sse-kms-bucket-key" + identity(bucket, key)
    bucket_key.append({
        "bucketKey": bk.hex(), "bucket": bucket, "key": key, "nonce": nonce.hex(), "dataKey": dek.hex(),
        "sealedKey": (nonce + AESGCM(bk).encrypt(nonce, dek, aad)).hex(),
    })

etags = []
for i, body in enumerate([b"", b"hello, coffer", bytes(i % 251 for i in range(65537))]):
    dek = pattern(150 + i)
    md5 = hashlib.md5(body).digest()
    etags.append({
        "dataKey": dek.hex(), "md5": md5.hex(),
        "etag": hmac.new(dek, b"coffer/etag/v1" + md5, hashlib.sha256).digest()[:16].hex(),
    })

print(json.dumps({"format": "coffer key hierarchy v1", "sseS3": sse_s3, "sseC": sse_c,
                  "sseKMSBucketKey": bucket_key, "keyedETag": etags}, indent=2, ensure_ascii=False))
