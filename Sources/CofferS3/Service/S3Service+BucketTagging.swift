import CofferStorage

/// PutBucketTagging, GetBucketTagging and DeleteBucketTagging. A bucket's tags live in its record
/// (`BucketRecord.tags`); a change rewrites the record conditionally on the bytes it read
/// (`changeBucket`), so a concurrent change of its policy or encryption is never undone. Like the other bucket
/// configuration operations they are audited when refused (docs/audit-trail.md).
extension S3Service {
    /// 204; the bucket's tags become the document's (an empty `TagSet` removes them, as on S3).
    func putBucketTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let document = try await RequestDocument.read(call, limit: 256 * 1024)
        let tags = try TaggingXML.parse(document.bytes, for: .bucket)
        try await changeBucket(bucket.name) { $0.tags = tags.isEmpty ? nil : tags }
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
        try await changeBucket(bucket.name) { $0.tags = nil }
        return emptyResponse(.noContent)
    }
}
