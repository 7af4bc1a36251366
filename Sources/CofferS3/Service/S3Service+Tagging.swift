import CofferStorage

/// PutObjectTagging, GetObjectTagging and DeleteObjectTagging. Tags live in the object's record
/// (`ObjectRecord.tags`), so a tag change is a commit of the record alone, conditional on the
/// record read: the object's data is never read, rewritten or re-sealed, and SSE-C objects need
/// no customer key (tags are not encrypted, docs/key-hierarchy.md). Each change carries its
/// audit record in its commit, as every object write does.
extension S3Service {
    /// 200 with no body; the object's tags become the document's (an empty `TagSet` removes
    /// them). The body was read by the pipeline, whose context needed its tags.
    func putObjectTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        try VersionID.requireNull(call.request.queryValue("versionId"))
        let document = try RequestDocument.checked(try call.prefetchedBody(), of: call.request)
        let tags = try TaggingXML.parse(document.bytes, for: .object)
        try await replaceTags(call, bucket: bucket.name, key: key, tags: tags)
        return emptyResponse(.ok)
    }

    /// 200 with the object's `Tagging` document, an empty `TagSet` when it has none.
    func getObjectTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        try VersionID.requireNull(call.request.queryValue("versionId"))
        guard let record = try await store.object(bucket: bucket.name, key: key) else {
            // S3 names the missing object of GetObjectTagging as "bucket/key" in the error's Key.
            throw await call.missingKey("\(bucket.name)/\(key)")
        }
        return xmlResponse(TaggingXML.write(record.tags ?? []))
    }

    /// 204; the object keeps no tags.
    func deleteObjectTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        try VersionID.requireNull(call.request.queryValue("versionId"))
        try await replaceTags(call, bucket: bucket.name, key: key, tags: nil)
        return emptyResponse(.noContent)
    }

    /// Commits `tags` as the object's, with the call's audit record; NoSuchKey (or 403, the
    /// table's rule for a missing key) when there is no object.
    private func replaceTags(_ call: AuthorizedCall, bucket: String, key: String, tags: [StoredTag]?) async throws {
        let store = self.store
        try await committing(call, key: key) { note in
            do throws(StorageError) {
                try await store.replaceObjectTags(bucket: bucket, key: key, tags: tags, note: note)
            } catch where error.code == .notFound {
                throw await call.missingKey(key)
            } catch {
                throw S3Error(storage: error, key: key, bucket: bucket)
            }
        }
    }
}
