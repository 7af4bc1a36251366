extension ObjectStore {
    /// The current record of an object, or nil.
    public func object(bucket: String, key: String) throws(StorageError) -> ObjectRecord? {
        try read(ObjectRecord.self, at: KeyLayout.object(bucket: bucket, key: key))
    }

    /// Opens an object for reading under a snapshot; nil if it does not exist.
    public func openObject(bucket: String, key: String) throws(StorageError) -> ObjectReader? {
        let snapshot = db.snapshot()
        guard let record = try read(ObjectRecord.self, at: KeyLayout.object(bucket: bucket, key: key), snapshot: snapshot) else {
            return nil
        }
        return ObjectReader(record: record, snapshot: snapshot)
    }

    /// Commits an object in one synced batch: puts the record, clears its blobs' pending
    /// markers, and marks the blobs of the record it replaces as garbage (reclaimed right after).
    ///
    /// Every segment blob must be pending (written by ``makeBlobWriter()``, not yet committed)
    /// unless the replaced record already owns it. Throws `.noSuchBucket` if the bucket is gone.
    /// - Returns: the replaced record, if any.
    @discardableResult
    public func commitObject(_ record: ObjectRecord, precondition: WritePrecondition = .none) throws(StorageError) -> ObjectRecord? {
        try KeyLayout.validateBucketName(record.bucket)
        guard !record.key.isEmpty else { throw StorageError(.invalidArgument, "empty object key") }
        let key = KeyLayout.object(bucket: record.bucket, key: record.key)
        let encoded = try record.encoded()
        let (replaced, garbage) = try bucketLocks.lock(for: record.bucket.utf8).withReadLock {
            () throws(StorageError) -> (ObjectRecord?, Set<BlobID>) in
            try entryLocks.lock(for: key).withLock { () throws(StorageError) -> (ObjectRecord?, Set<BlobID>) in
                try requireBucket(record.bucket)
                let old = try read(ObjectRecord.self, at: key)
                try precondition.check(old)
                let newBlobs = Set(record.segments.map(\.id))
                let oldBlobs = Set(old?.segments.map(\.id) ?? [])
                try requirePending(newBlobs.subtracting(oldBlobs))
                let garbage = oldBlobs.subtracting(newBlobs)
                let batch = WriteBatch()
                batch.put(key, encoded)
                for blob in newBlobs { batch.delete(KeyLayout.blobMarker(blob)) }
                Self.markGarbage(garbage, in: batch)
                try db.write(batch, sync: true)
                return (old, garbage)
            }
        }
        try reclaim(garbage)
        return replaced
    }

    /// Deletes an object in one synced batch and reclaims its blobs.
    /// - Returns: the deleted record, or nil if there was none.
    @discardableResult
    public func deleteObject(bucket: String, key objectKey: String) throws(StorageError) -> ObjectRecord? {
        let key = KeyLayout.object(bucket: bucket, key: objectKey)
        let deleted = try bucketLocks.lock(for: bucket.utf8).withReadLock { () throws(StorageError) -> ObjectRecord? in
            try entryLocks.lock(for: key).withLock { () throws(StorageError) -> ObjectRecord? in
                try requireBucket(bucket)
                guard let old = try read(ObjectRecord.self, at: key) else { return nil }
                let batch = WriteBatch()
                batch.delete(key)
                Self.markGarbage(old.segments.map(\.id), in: batch)
                try db.write(batch, sync: true)
                return old
            }
        }
        if let deleted { try reclaim(deleted.segments.map(\.id)) }
        return deleted
    }
}
