/// Tag changes of objects: the record rewritten with new tags and nothing else. (A bucket's
/// tags change through ``updateBucket(named:_:)``.)
extension ObjectStore {
    /// Replaces the tags of a version of the object under `key` (nil or empty: none) in one
    /// synced commit, conditional on the version's record being the bytes it was read as; the
    /// new record is the old one with only `tags` changed, so its blobs are neither rewritten
    /// nor reclaimed, and it stays where it is (current or not). Without a version
    /// (``VersionSelector/current``) the current object is tagged. Writers of the key in this
    /// process take their turn (``KeyTurns``), as every object write does; a commit that loses
    /// to a writer elsewhere reads again.
    ///
    /// Throws `.noSuchBucket` if the bucket does not exist, `.notFound` if no such version
    /// exists (or, without a version, the current version is a delete marker), and
    /// `.deleteMarker` if the version named is a delete marker; then nothing, not even `note`,
    /// is written.
    /// - Returns: the record as committed.
    @discardableResult
    public func replaceObjectTags(
        bucket: String, key objectKey: String, version: VersionSelector = .current, tags: [StoredTag]?, note: CommitNote? = nil
    ) async throws(StorageError) -> ObjectRecord {
        let tags = tags.flatMap { $0.isEmpty ? nil : $0 }
        return try await rewriteVersion(bucket: bucket, key: objectKey, version, note: note) { $0.tags = tags }.after
    }
}
