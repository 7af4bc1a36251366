/// Tag changes: an object's or a bucket's record rewritten with new tags and nothing else.
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

    /// Changes the record of bucket `name` with `change` in one synced commit, conditional on the
    /// record being the bytes `change` was given: of two concurrent changes (tags and a policy,
    /// say) neither undoes the other; the one that loses reads the winner's record and applies
    /// itself to it. `change` may run more than once, and throws to change nothing.
    ///
    /// Throws `.noSuchBucket` if the bucket does not exist.
    /// - Returns: the record as committed.
    @discardableResult
    public func updateBucket(named name: String, _ change: (inout BucketRecord) throws(StorageError) -> Void) async throws(StorageError) -> BucketRecord {
        try KeyLayout.validateBucketName(name)
        let key = KeyLayout.bucket(name)
        return try await optimistically { () throws(StorageError) -> BucketRecord in
            guard let bytes = try await metadata.get(key) else {
                throw StorageError(.noSuchBucket, "bucket \(name) does not exist")
            }
            var record = try BucketRecord(encoded: bytes)
            try change(&record)
            guard record.name == name else { throw StorageError(.invalidArgument, "a bucket update cannot rename the bucket") }
            var batch = MetadataBatch()
            batch.require(.equals(key, bytes))
            batch.put(key, try record.encoded())
            try await metadata.commit(batch, durability: .synced)
            return record
        }
    }
}
