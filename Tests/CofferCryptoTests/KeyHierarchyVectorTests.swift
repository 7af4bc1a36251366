@testable import CofferCrypto
import Foundation
import Testing

/// Pins every derivation of docs/key-hierarchy.md to vectors computed independently
/// (Vectors/make_key_hierarchy_vectors.py, Python `cryptography`): the SSE-S3 seal under a
/// root key version, the SSE-C seal and key check, the SSE-KMS bucket-key wrap and keyed ETags.
/// Stored records depend on these bytes: a change here is a change of the format.
@Suite struct KeyHierarchyVectorTests {
    struct VectorFile: Decodable {
        struct SSES3: Decodable {
            var rootKey: String, rootKeyVersion: Int, bucket: String, key: String
            var objectIdentity: String, kek: String, nonce: String, dataKey: String, sealedKey: String
        }
        struct SSEC: Decodable {
            var customerKey: String, salt: String, bucket: String, key: String
            var kek: String, keyCheck: String, nonce: String, dataKey: String, sealedKey: String
        }
        struct BucketKey: Decodable {
            var bucketKey: String, bucket: String, key: String, nonce: String, dataKey: String, sealedKey: String
        }
        struct ETag: Decodable {
            var dataKey: String, md5: String, etag: String
        }
        var sseS3: [SSES3]
        var sseC: [SSEC]
        var sseKMSBucketKey: [BucketKey]
        var keyedETag: [ETag]
    }

    static func vectors() throws -> VectorFile {
        let url = try #require(Bundle.module.url(forResource: "Vectors/key-hierarchy-v1", withExtension: "json"))
        return try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
    }

    static func bytes(_ hex: String) throws -> [UInt8] { try #require(Hex.decode(hex)) }
    static func secret(_ hex: String) throws -> SecretBytes { SecretBytes(try bytes(hex)) }

    @Test func sseS3SealsUnderTheRootKeyVersion() throws {
        let cases = try Self.vectors().sseS3
        #expect(cases.count == 3)
        for c in cases {
            let identity = SealedFormat.objectIdentity(bucket: c.bucket, key: c.key)
            #expect(Hex.encode(identity) == c.objectIdentity)
            let keyring = try RootKeyring(keys: [c.rootKeyVersion: try Self.secret(c.rootKey)], currentVersion: c.rootKeyVersion)
            #expect(Hex.encode(try keyring.kek(version: c.rootKeyVersion).copyBytes()) == c.kek)
            let sealed = try KeyHierarchy.sealSSES3(try Self.secret(c.dataKey), keyring: keyring, identity: identity, nonce: try Self.bytes(c.nonce))
            #expect(sealed.rootKeyVersion == c.rootKeyVersion)
            #expect(Hex.encode(sealed.bytes) == c.sealedKey)
            let opened = try KeyHierarchy.openSSES3(SealedDataKey(rootKeyVersion: c.rootKeyVersion, bytes: try Self.bytes(c.sealedKey)), keyring: keyring, identity: identity)
            #expect(Hex.encode(opened.copyBytes()) == c.dataKey)
        }
    }

    @Test func sseCSealsUnderTheCustomerKeyAndChecksIt() throws {
        let cases = try Self.vectors().sseC
        #expect(cases.count == 3)
        for c in cases {
            let identity = SealedFormat.objectIdentity(bucket: c.bucket, key: c.key)
            let customer = try Self.secret(c.customerKey)
            let salt = try Self.bytes(c.salt)
            #expect(Hex.encode(HKDFSHA256.deriveKey(inputKeyMaterial: customer, salt: salt, info: KeyHierarchy.sseCKEKInfo).copyBytes()) == c.kek)
            let seal = try KeyHierarchy.sealSSEC(try Self.secret(c.dataKey), customerKey: customer, identity: identity, salt: salt, nonce: try Self.bytes(c.nonce))
            #expect(Hex.encode(seal.salt) == c.salt && Hex.encode(seal.keyCheck) == c.keyCheck && Hex.encode(seal.sealedKey) == c.sealedKey)
            let stored = CustomerKeySeal(salt: salt, keyCheck: try Self.bytes(c.keyCheck), sealedKey: try Self.bytes(c.sealedKey))
            #expect(KeyHierarchy.matchesSSEC(stored, customerKey: customer))
            #expect(Hex.encode(try KeyHierarchy.openSSEC(stored, customerKey: customer, identity: identity).copyBytes()) == c.dataKey)
        }
    }

    @Test func sseKMSBucketKeyWrap() throws {
        let cases = try Self.vectors().sseKMSBucketKey
        #expect(cases.count == 3)
        for c in cases {
            let identity = SealedFormat.objectIdentity(bucket: c.bucket, key: c.key)
            let bucketKey = try Self.secret(c.bucketKey)
            let sealed = try KeyHierarchy.sealUnderBucketKey(try Self.secret(c.dataKey), bucketKey: bucketKey, identity: identity, nonce: try Self.bytes(c.nonce))
            #expect(Hex.encode(sealed) == c.sealedKey)
            #expect(Hex.encode(try KeyHierarchy.openUnderBucketKey(try Self.bytes(c.sealedKey), bucketKey: bucketKey, identity: identity).copyBytes()) == c.dataKey)
        }
    }

    @Test func keyedETags() throws {
        let cases = try Self.vectors().keyedETag
        #expect(cases.count == 3)
        for c in cases {
            let etag = KeyHierarchy.keyedETag(md5: try Self.bytes(c.md5), dataKey: try Self.secret(c.dataKey))
            #expect(etag.count == KeyHierarchy.keyedETagByteCount)
            #expect(Hex.encode(etag) == c.etag)
        }
    }
}

/// The bucket-key wrap refuses everything but its own object under its own bucket key.
@Suite struct BucketKeyTests {
    let identity = SealedFormat.objectIdentity(bucket: "b", key: "k")

    @Test func onlyTheBucketKeyAndTheObjectOpenTheDataKey() throws {
        let bucketKey = SecretBytes.random(count: 32)
        let dataKey = KeyHierarchy.generateDataKey()
        let sealed = try KeyHierarchy.sealUnderBucketKey(dataKey, bucketKey: bucketKey, identity: identity)
        #expect(sealed.count == KeyHierarchy.sealedKeyByteCount)
        #expect(try KeyHierarchy.openUnderBucketKey(sealed, bucketKey: bucketKey, identity: identity).copyBytes() == dataKey.copyBytes())
        // A fresh nonce per seal: two seals of one data key differ.
        #expect(try KeyHierarchy.sealUnderBucketKey(dataKey, bucketKey: bucketKey, identity: identity) != sealed)
        let other = SealedFormat.objectIdentity(bucket: "b", key: "moved")
        #expect(throws: CryptoError(.authenticationFailure, "AES-256-GCM authentication failed")) {
            try KeyHierarchy.openUnderBucketKey(sealed, bucketKey: bucketKey, identity: other)
        }
        #expect(throws: CryptoError.self) { try KeyHierarchy.openUnderBucketKey(sealed, bucketKey: SecretBytes.random(count: 32), identity: identity) }
        for index in [0, 12, 59] {
            var flipped = sealed
            flipped[index] ^= 0x80
            #expect(throws: CryptoError.self) { try KeyHierarchy.openUnderBucketKey(flipped, bucketKey: bucketKey, identity: identity) }
        }
        #expect(throws: CryptoError(.authenticationFailure, "data key sealed under a bucket key has the wrong length")) {
            try KeyHierarchy.openUnderBucketKey(Array(sealed.dropLast()), bucketKey: bucketKey, identity: identity)
        }
        #expect(throws: CryptoError.self) { try KeyHierarchy.sealUnderBucketKey(SecretBytes([1, 2]), bucketKey: bucketKey, identity: identity) }
        #expect(throws: CryptoError.self) { try KeyHierarchy.sealUnderBucketKey(dataKey, bucketKey: SecretBytes([1, 2]), identity: identity) }
    }

    @Test func keyedETagsDependOnTheDataKeyAndTheDigest() {
        let md5 = MD5.hash(Array("body".utf8))
        let key = KeyHierarchy.generateDataKey()
        let etag = KeyHierarchy.keyedETag(md5: md5, dataKey: key)
        #expect(etag != Array(md5) && etag.count == 16)
        #expect(KeyHierarchy.keyedETag(md5: md5, dataKey: KeyHierarchy.generateDataKey()) != etag)
        #expect(KeyHierarchy.keyedETag(md5: MD5.hash(Array("other".utf8)), dataKey: key) != etag)
    }
}
