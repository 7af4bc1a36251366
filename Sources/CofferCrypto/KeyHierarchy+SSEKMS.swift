/// SSE-KMS with a bucket key (docs/key-hierarchy.md, "SSE-KMS"): the key service generates one
/// 256-bit bucket key for many objects, and each object's own data key is sealed under it,
/// bound to the object's identity. Without a bucket key the key service's ciphertext of the
/// data key is all a record keeps, and nothing is derived here.
extension KeyHierarchy {
    static let sseKMSBucketKeyLabel = Array("coffer/key-hierarchy/v1/sse-kms-bucket-key".utf8)

    /// Seals `dataKey` under `bucketKey`: `nonce ‖ ciphertext ‖ tag` (60 bytes), random nonce,
    /// AAD = `"coffer/key-hierarchy/v1/sse-kms-bucket-key" ‖ identity`.
    public static func sealUnderBucketKey(_ dataKey: SecretBytes, bucketKey: SecretBytes, identity: [UInt8]) throws(CryptoError) -> [UInt8] {
        try sealUnderBucketKey(dataKey, bucketKey: bucketKey, identity: identity, nonce: secureRandomBytes(AES256GCM.nonceByteCount))
    }

    /// `sealUnderBucketKey` with a given nonce: the known-answer tests pin the derivation with it.
    static func sealUnderBucketKey(_ dataKey: SecretBytes, bucketKey: SecretBytes, identity: [UInt8], nonce: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard dataKey.count == dataKeyByteCount else { throw CryptoError(.invalidKey, "a data key is 32 bytes") }
        return nonce + (try sealKey(dataKey, under: bucketKey, nonce: nonce, authenticating: sseKMSBucketKeyLabel + identity))
    }

    /// Opens a data key sealed by `sealUnderBucketKey`; `.authenticationFailure` for a wrong
    /// length, bucket key or object identity.
    public static func openUnderBucketKey(_ sealed: [UInt8], bucketKey: SecretBytes, identity: [UInt8]) throws(CryptoError) -> SecretBytes {
        try openKey(sealed, under: bucketKey, authenticating: sseKMSBucketKeyLabel + identity, what: "data key sealed under a bucket key")
    }
}
