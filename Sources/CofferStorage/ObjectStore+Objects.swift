extension ObjectStore {
    /// The current object under `key`, or nil when the key has no version or its current
    /// version is a delete marker (``version(bucket:key:_:)`` tells them apart).
    public func object(bucket: String, key: String) async throws(StorageError) -> ObjectRecord? {
        try await read(ObjectRecord.self, at: KeyLayout.object(bucket: bucket, key: key))
    }

    /// Opens the current object under `key` for reading; nil if there is none (as for
    /// ``object(bucket:key:)``; ``openVersion(bucket:key:_:)`` opens any version).
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

    /// Commits an object in one synced commit: it becomes the current version of its key, its
    /// blobs' pending markers are cleared, and the blobs of the versions the commit removes are
    /// marked garbage (and reclaimed right after).
    ///
    /// What happens to the version it replaces follows the bucket's versioning state (S3's
    /// rules; docs/storage-layout.md, "Versions"): never versioned, it is overwritten and
    /// removed, as before versioning existed; enabled, the new record gets a fresh version id
    /// and the replaced version stays as a noncurrent version; suspended, the new record is
    /// the `null` version, and the previous null version (current or not) is removed while
    /// every other version stays. The store sets the record's `versionId` and `versionStamp`
    /// (whatever the caller put there) and `record` must not be a delete marker.
    ///
    /// The commit is conditional on the bucket record being the one read (so a versioning
    /// change never lands between the decision and the commit), on the key's versions being
    /// where they were read (``KeyState``), on `precondition` holding for the current object
    /// (a current delete marker is no object), and on the new blobs being pending.
    ///
    /// Every segment blob must be pending (written by ``makeBlobWriter()``, not yet committed)
    /// unless a version the commit removes owns it. Throws `.noSuchBucket` if the bucket is gone.
    /// Object Lock (docs/storage-layout.md): `record.retention` and `record.legalHold`
    /// only in a bucket with Object Lock (`.invalidArgument`), and never removing a protected
    /// version (`.objectLocked`).
    @discardableResult
    public func commitObject(_ record: ObjectRecord, precondition: WritePrecondition = .none, note: CommitNote? = nil) async throws(StorageError) -> ObjectCommit {
        try KeyLayout.validateBucketName(record.bucket)
        guard !record.key.isEmpty else { throw StorageError(.invalidArgument, "empty object key") }
        guard !record.isDeleteMarker else { throw StorageError(.invalidArgument, "a delete marker is made by a deletion") }
        let key = KeyLayout.object(bucket: record.bucket, key: record.key)
        let newBlobs = Self.unique(record.segments.map(\.id))
        let newSet = Set(newBlobs)
        let announcements = takeAnnouncements(newBlobs)
        let (outcome, garbage) = try await optimistically(inTurnOf: key, announcements: announcements) { () throws(StorageError) -> (ObjectCommit, [BlobID]) in
            let (state, markers) = try await readKeyState(bucket: record.bucket, key: record.key, alsoReading: newBlobs.map(KeyLayout.blobMarker))
            try precondition.check(state.object)
            let keptNull = try await keptNullToReplace(state)
            var batch = MetadataBatch()
            state.pin(&batch)
            let placement = try place(record, in: state, keptNull: keptNull, batch: &batch)
            let removedBlobs = Self.unique(placement.removed.flatMap { $0.segments.map(\.id) })
            let reusable = Set(removedBlobs)
            for (blob, marker) in zip(newBlobs, markers) where !reusable.contains(blob) {
                try requirePending(marker, blob)
                batch.require(.equals(KeyLayout.blobMarker(blob), pendingMarker))
            }
            for blob in newBlobs { batch.delete(KeyLayout.blobMarker(blob)) }
            let garbage = removedBlobs.filter { !newSet.contains($0) }
            Self.markGarbage(garbage, in: &batch)
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals, fulfilling: announcements)
            return (ObjectCommit(record: placement.record, replaced: placement.replaced, removed: placement.removed), garbage)
        }
        try await reclaim(garbage)
        return outcome
    }

    /// `ids` without repeats, in first-seen order.
    static func unique(_ ids: [BlobID]) -> [BlobID] {
        var seen = Set<BlobID>()
        return ids.filter { seen.insert($0).inserted }
    }
}
