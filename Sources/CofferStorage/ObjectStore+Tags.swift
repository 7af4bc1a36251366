/// Tag changes of objects: the record rewritten with new tags and nothing else. (A bucket's
/// tags change through ``updateBucket(named:_:)``.)
extension ObjectStore {
    /// Replaces the tags of the object under `key` (nil or empty: none) in one synced commit,
    /// conditional on the object's record being the bytes it was read as; the new record is the
    /// old one with only `tags` changed, so its blobs are neither rewritten nor reclaimed.
    /// Writers of the key in this process take their turn (``KeyTurns``), as every object write
    /// does; a commit that loses to a writer elsewhere reads again.
    ///
    /// Throws `.noSuchBucket` if the bucket does not exist and `.notFound` if no object exists
    /// under the key (then nothing, not even `note`, is written).
    /// - Returns: the record as committed.
    @discardableResult
    public func replaceObjectTags(bucket: String, key objectKey: String, tags: [StoredTag]?, note: CommitNote? = nil) async throws(StorageError) -> ObjectRecord {
        try KeyLayout.validateBucketName(bucket)
        let key = KeyLayout.object(bucket: bucket, key: objectKey)
        let tags = tags.flatMap { $0.isEmpty ? nil : $0 }
        return try await optimistically(inTurnOf: key) { () throws(StorageError) -> ObjectRecord in
            let values = try await metadata.get(keys: [KeyLayout.bucket(bucket), key])
            guard values[0] != nil else { throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist") }
            guard let oldBytes = values[1] else { throw StorageError(.notFound, "no object exists under the key") }
            var record = try ObjectRecord(encoded: oldBytes)
            record.tags = tags
            var batch = MetadataBatch()
            batch.require(.equals(key, oldBytes))
            batch.put(key, try record.encoded())
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals)
            return record
        }
    }

}
