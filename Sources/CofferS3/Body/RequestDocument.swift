import CofferCrypto

/// A whole small request document (the XML of PutBucketEncryption, PutBucketTagging,
/// PutObjectTagging, DeleteObjects), checked against the `Content-MD5` and the
/// `x-amz-checksum-*` (header or aws-chunked trailer) the request carries: a mismatch is 400
/// BadDigest (or the checksum's error) before anything is parsed.
struct RequestDocument {
    var bytes: [UInt8]
    /// Whether the request carried `Content-MD5` or a checksum (DeleteObjects requires one).
    var hadIntegrityCheck: Bool

    /// Reads the call's body, at most `limit` bytes (more: 400 MalformedXML), and checks it.
    static func read(_ call: AuthorizedCall, limit: Int) async throws -> RequestDocument {
        let expectedMD5 = try ContentMD5.expected(call.request)
        var body = try IncomingBody(call: call, requireLength: false)
        let checksum = try ChecksumRequest.parse(call.request, declaredTrailers: body.declaredTrailers)
        let bytes = try await body.collect(limit: limit)
        return try check(bytes, expectedMD5: expectedMD5, checksum: checksum, trailers: body.trailers)
    }

    /// Checks a body the pipeline read before authorising (`PrefetchedBody`).
    static func checked(_ prefetched: PrefetchedBody, of request: S3Request) throws -> RequestDocument {
        let expectedMD5 = try ContentMD5.expected(request)
        let checksum = try ChecksumRequest.parse(request, declaredTrailers: prefetched.declaredTrailers)
        return try check(prefetched.bytes, expectedMD5: expectedMD5, checksum: checksum, trailers: prefetched.trailers)
    }

    private static func check(
        _ bytes: [UInt8], expectedMD5: [UInt8]?, checksum: ChecksumRequest?, trailers: [(name: String, value: String)]
    ) throws -> RequestDocument {
        try ContentMD5.verify(expectedMD5, computed: MD5.hash(bytes))
        if let checksum { try checksum.verify(computed: ChecksumHasher.checksum(checksum.algorithm, bytes), trailers: trailers) }
        return RequestDocument(bytes: bytes, hadIntegrityCheck: expectedMD5 != nil || checksum != nil)
    }
}
