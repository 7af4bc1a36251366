import CofferStorage
import HTTPTypes

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
        let version = try VersionSelector.of(call.request)
        let document = try RequestDocument.checked(try call.prefetchedBody(), of: call.request)
        let tags = try TaggingXML.parse(document.bytes, for: .object)
        let record = try await replaceTags(call, bucket: bucket.name, key: key, version: version, tags: tags)
        return emptyResponse(.ok, headers: versionHeaders(record, bucket: bucket))
    }

    /// 200 with the object's `Tagging` document, an empty `TagSet` when it has none.
    func getObjectTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        // S3 names the missing object of GetObjectTagging as "bucket/key" in the error's Key.
        let record = try await namedVersion(call, bucket: bucket, key: key, missingName: "\(bucket.name)/\(key)")
        return xmlResponse(TaggingXML.write(record.tags ?? []), headers: versionHeaders(record, bucket: bucket))
    }

    /// 204; the object keeps no tags.
    func deleteObjectTagging(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        let version = try VersionSelector.of(call.request)
        let record = try await replaceTags(call, bucket: bucket.name, key: key, version: version, tags: nil)
        return emptyResponse(.noContent, headers: versionHeaders(record, bucket: bucket))
    }

    /// `x-amz-version-id` of the version tagged, as S3 answers the tagging operations.
    private func versionHeaders(_ record: ObjectRecord, bucket: BucketRecord) -> HTTPFields {
        var fields = HTTPFields()
        VersionHeaders.add(record, bucket: bucket, to: &fields)
        return fields
    }

    /// Commits `tags` as those of the version `version` names, with the call's audit record;
    /// NoSuchKey (or 403, the table's rule for a missing key) when there is no object,
    /// NoSuchVersion for an id that names none, 405 for a delete marker named by id.
    private func replaceTags(_ call: AuthorizedCall, bucket: String, key: String, version: VersionSelector, tags: [StoredTag]?) async throws -> ObjectRecord {
        let store = self.store
        return try await committing(call, key: key) { note in
            do throws(StorageError) {
                return try await store.replaceObjectTags(bucket: bucket, key: key, version: version, tags: tags, note: note)
            } catch {
                throw await self.versionRewriteRefusal(error, call: call, key: key, version: version)
            }
        }
    }
}
