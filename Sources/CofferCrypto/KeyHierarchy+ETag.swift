/// Keyed ETags (docs/key-hierarchy.md, "ETags of encrypted objects"): SSE-C and SSE-KMS
/// objects and parts do not get the MD5 of their plaintext as ETag, which would reveal it to
/// whoever can list the bucket, but a MAC of that MD5 under the object's data key.
extension KeyHierarchy {
    static let etagLabel = Array("coffer/etag/v1".utf8)
    /// Bytes of a keyed ETag (32 hex digits, the length of an MD5 ETag).
    public static let keyedETagByteCount = 16

    /// The first 16 bytes of `HMAC-SHA256(key = data key, message = "coffer/etag/v1" ‖ md5)`.
    public static func keyedETag(md5: [UInt8], dataKey: SecretBytes) -> [UInt8] {
        Array(HMACSHA256.authenticate(etagLabel + md5, key: dataKey).prefix(keyedETagByteCount))
    }
}
