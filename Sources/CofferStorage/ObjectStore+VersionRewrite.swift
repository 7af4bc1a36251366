/// Changes of one version's record where it is stored (tags, retention, legal hold): the
/// record rewritten in place, its blobs untouched.
extension ObjectStore {
    /// Rewrites the record of the version `selector` names with `change`, in one synced commit
    /// conditional on the key holding that version (`o`, `d` or `v`) holding the bytes it was
    /// read as; the record stays where it is (current or not). `change` may only change
    /// settings of the version (never its id, stamp, body or kind), may run more than once, and
    /// throws to change nothing. Writers of the key in this process take their turn
    /// (``KeyTurns``), as every object write does; a commit that loses to a writer elsewhere
    /// reads again, so a change is always judged against the record it replaces.
    ///
    /// Throws `.noSuchBucket` if the bucket does not exist, `.notFound` if no such version
    /// exists (or, without a version, the current version is a delete marker), and
    /// `.deleteMarker` if the version named is a delete marker; then nothing, not even `note`,
    /// is written.
    func rewriteVersion(
        bucket: String, key objectKey: String, _ selector: VersionSelector, note: CommitNote?,
        _ change: (inout ObjectRecord) throws(StorageError) -> Void
    ) async throws(StorageError) -> VersionChange {
        try KeyLayout.validateBucketName(bucket)
        return try await optimistically(inTurnOf: KeyLayout.object(bucket: bucket, key: objectKey)) { () throws(StorageError) -> VersionChange in
            guard try await metadata.get(KeyLayout.bucket(bucket)) != nil else { throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist") }
            guard let found = try await locate(bucket: bucket, key: objectKey, selector), selector != .current || !found.record.isDeleteMarker else {
                throw StorageError(.notFound, "no object exists under the key")
            }
            guard !found.record.isDeleteMarker else { throw StorageError(.deleteMarker, "the version is a delete marker") }
            var record = found.record
            try change(&record)
            var batch = MetadataBatch()
            batch.require(.equals(found.key, found.bytes))
            batch.put(found.key, try record.encoded())
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals)
            return VersionChange(before: found.record, after: record)
        }
    }
}
