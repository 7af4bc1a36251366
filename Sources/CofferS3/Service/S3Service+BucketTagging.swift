import CofferCrypto
import CofferStorage

/// PutBucketTagging, GetBucketTagging and DeleteBucketTagging. A bucket's tags live in its record
/// (`BucketRecord.tags`); a change rewrites the record conditionally on the bytes it read, so a
/// concurrent change of its policy or encryption is never undone. Like the other bucket
/// configuration operations they are audited when refused (docs/audit-trail.md).
extension S3Service {
    /// 204; the bucket's tags become the document's (an empty `TagSet` removes them, as on S3).
    func putBucketTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let expectedMD5 = try ContentMD5.expected(call.request)
        var body = try IncomingBody(call: call, requireLength: false)
        let checksum = try ChecksumRequest.parse(call.request, declaredTrailers: body.declaredTrailers)
        let bytes = try await body.collect(limit: 256 * 1024)
        try ContentMD5.verify(expectedMD5, computed: MD5.hash(bytes))
        if let checksum { try checksum.verify(computed: ChecksumHasher.checksum(checksum.algorithm, bytes), trailers: body.trailers) }
        let tags = try TaggingXML.parse(bytes, for: .bucket)
        try await setBucketTags(bucket.name, tags)
        return emptyResponse(.noContent)
    }

    /// 200 with the bucket's `Tagging` document; 404 NoSuchTagSet when it has no tags.
    func getBucketTagging(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        guard let tags = bucket.tags, !tags.isEmpty else {
            throw S3Error(.noSuchTagSet, extra: [("BucketName", bucket.name)])
        }
        return xmlResponse(TaggingXML.write(tags))
    }

    /// 204, whether or not the bucket had tags.
    func deleteBucketTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        try await setBucketTags(bucket.name, nil)
        return emptyResponse(.noContent)
    }

    private func setBucketTags(_ name: String, _ tags: [StoredTag]?) async throws {
        let store = self.store
        do {
            try await store.updateBucket(named: name) { record in record.tags = tags.flatMap { $0.isEmpty ? nil : $0 } }
        } catch {
            throw S3Error(storage: error, bucket: name)
        }
    }
}
