#!/usr/bin/env python3
"""Generates sealed-format-v1.json and sealed-format-v2.json: known answers for
docs/sealed-object-format.md, computed independently of Coffer's Swift code with the
`cryptography` package (pip install cryptography). Run from this directory:
    python3 make_sealed_vectors.py > sealed-format-v1.json
    python3 make_sealed_vectors.py 2 > sealed-format-v2.json"""
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


VERSION = int(sys.argv[1]) if len(sys.argv) > 1 else 1
LABEL = b"coffer/sealed-object/v%d" % VERSION
# Version 2 binds the version's 16-byte nonce (kept in the object record, never in the header).
VERSION_NONCE = bytes(range(200, 216)) if VERSION == 2 else b""


def identity(bucket, key):
    b, k = bucket.encode(), key.encode()
    return hashlib.sha256(struct.pack(">I", len(b)) + b + struct.pack(">I", len(k)) + k + VERSION_NONCE).digest()


def blob_key(dek, salt):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=LABEL + b"/blob-key").derive(dek)


def seal(dek, salt, bucket, key, part, index, final, plaintext):
    nonce = b"\0\0\0\0" + struct.pack(">Q", index)
    aad = LABEL + identity(bucket, key) + struct.pack(">IQB", part, index, 1 if final else 0)
    return AESGCM(blob_key(dek, salt)).encrypt(nonce, plaintext, aad)


cases = []
dek = bytes(range(32))
salt = bytes(range(100, 132))
for bucket, key, part, index, final, plaintext in [
    ("bucket", "key", 0, 0, True, b""),
    ("bucket", "key", 0, 0, True, b"hello, coffer"),
    ("bucket", "a//b/ \u00e9", 0, 1, False, bytes(i % 251 for i in range(65536))),
    ("my-bucket", "part/object", 3, 2, True, bytes(i % 7 for i in range(1000))),
]:
    case = {
        "dataKey": dek.hex(), "salt": salt.hex(), "bucket": bucket, "key": key, "partNumber": part,
        "index": index, "final": final, "plaintextSHA256": hashlib.sha256(plaintext).hexdigest(),
        "plaintextLength": len(plaintext), "plaintextPattern": ["empty", "hello", "mod251", "mod7"][len(cases)],
        "blobKey": blob_key(dek, salt).hex(), "objectIdentity": identity(bucket, key).hex(),
        "sealedSHA256": hashlib.sha256(seal(dek, salt, bucket, key, part, index, final, plaintext)).hexdigest(),
        "sealedPrefix": seal(dek, salt, bucket, key, part, index, final, plaintext)[:32].hex(),
    }
    if VERSION == 2:
        case["versionNonce"] = VERSION_NONCE.hex()
        case["versionIdentity"] = case.pop("objectIdentity")
    cases.append(case)
print(json.dumps({"format": "coffer sealed-object v%d" % VERSION, "cases": cases}, indent=2))
