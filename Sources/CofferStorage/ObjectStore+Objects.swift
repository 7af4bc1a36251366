extension ObjectStore {
    /// The current record of an object, or nil.
    public func object(bucket: String, key: String) async throws(StorageError) -> ObjectRecord? {
        try await read(ObjectRecord.self, at: KeyLayout.object(bucket: bucket, key: key))
    }

    /// Opens an object for reading; nil if it does not exist.
    ///
    /// The reader's blob view is taken after the record was read, and the record is read again
    /// after it: when both reads agree, the record was current while the view was taken, so
    /// its blobs were not yet reclaimed and the view holds every package of them.
    public func openObject(bucket: String, key: String) async throws(StorageError) -> ObjectReader? {
        let key = KeyLayout.object(bucket: bucket, key: key)
        guard var bytes = try await metadata.get(key) else { return nil }
        for _ in 0..<max(options.commitAttempts, 1) {
            let view = try await blobs.readView()
            guard let current = try await metadata.get(key) else { return nil }
            if current == bytes {
                return ObjectReader(record: try ObjectRecord(encoded: bytes), view: view, maxBatch: options.readBatchPackages)
            }
            bytes = current
        }
        throw StorageError.conditionFailed(.equals(key, bytes))
    }

    /// Commits an object in one synced commit: puts the record, clears its blobs' pending
    /// markers, and marks the blobs of the record it replaces as garbage (reclaimed right
    /// after). The commit is conditional on the bucket existing, on the replaced record being
    /// the one `precondition` was checked against, and on the new blobs being pending.
    ///
    /// Every segment blob must be pending (written by ``makeBlobWriter()``, not yet committed)
    /// unless the replaced record already owns it. Throws `.noSuchBucket` if the bucket is gone.
    /// - Returns: the replaced record, if any.
    @discardableResult
    public func commitObject(_ record: ObjectRecord, precondition: WritePrecondition = .none, note: CommitNote? = nil) async throws(StorageError) -> ObjectRecord? {
        try KeyLayout.validateBucketName(record.bucket)
        guard !record.key.isEmpty else { throw StorageError(.invalidArgument, "empty object key") }
        let key = KeyLayout.object(bucket: record.bucket, key: record.key)
        let bucketKey = KeyLayout.bucket(record.bucket)
        let encoded = try record.encoded()
        let newBlobs = Self.unique(record.segments.map(\.id))
        let newSet = Set(newBlobs)
        let announcements = takeAnnouncements(newBlobs)
        let (replaced, garbage) = try await optimistically(inTurnOf: key, announcements: announcements) { () throws(StorageError) -> (ObjectRecord?, [BlobID]) in
            let values = try await metadata.get(keys: [bucketKey, key] + newBlobs.map(KeyLayout.blobMarker))
            guard values[0] != nil else { throw StorageError(.noSuchBucket, "bucket \(record.bucket) does not exist") }
            let oldBytes = values[1]
            let old = try oldBytes.map { (bytes) throws(StorageError) in try ObjectRecord(encoded: bytes) }
            try precondition.check(old)
            let oldBlobs = Self.unique(old?.segments.map(\.id) ?? [])
            let oldSet = Set(oldBlobs)
            var batch = MetadataBatch()
            batch.require(.present(bucketKey))
            batch.require(oldBytes.map { .equals(key, $0) } ?? .absent(key))
            for (blob, marker) in zip(newBlobs, values.dropFirst(2)) where !oldSet.contains(blob) {
                try Self.requirePending(marker, blob)
                batch.require(.equals(KeyLayout.blobMarker(blob), Self.pendingMarker))
            }
            batch.put(key, encoded)
            for blob in newBlobs { batch.delete(KeyLayout.blobMarker(blob)) }
            let garbage = oldBlobs.filter { !newSet.contains($0) }
            Self.markGarbage(garbage, in: &batch)
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals, fulfilling: announcements)
            return (old, garbage)
        }
        try await reclaim(garbage)
        return replaced
    }

    /// Deletes an object in one synced commit (conditional on the record being the one read)
    /// and reclaims its blobs. Throws `.noSuchBucket` if the bucket does not exist.
    /// - Returns: the deleted record, or nil if there was none.
    @discardableResult
    public func deleteObject(bucket: String, key objectKey: String, note: CommitNote? = nil) async throws(StorageError) -> ObjectRecord? {
        let key = KeyLayout.object(bucket: bucket, key: objectKey)
        let deleted = try await optimistically(inTurnOf: key) { () throws(StorageError) -> ObjectRecord? in
            let values = try await metadata.get(keys: [KeyLayout.bucket(bucket), key])
            guard values[0] != nil else { throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist") }
            guard let oldBytes = values[1] else { return nil }
            let old = try ObjectRecord(encoded: oldBytes)
            var batch = MetadataBatch()
            batch.require(.equals(key, oldBytes))
            batch.delete(key)
            Self.markGarbage(Self.unique(old.segments.map(\.id)), in: &batch)
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals)
            return old
        }
        if let deleted { try await reclaim(Self.unique(deleted.segments.map(\.id))) }
        return deleted
    }

    /// `ids` without repeats, in first-seen order.
    static func unique(_ ids: [BlobID]) -> [BlobID] {
        var seen = Set<BlobID>()
        return ids.filter { seen.insert($0).inserted }
    }
}
