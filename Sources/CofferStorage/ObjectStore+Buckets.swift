import CofferCache
extension ObjectStore {
    /// Creates a bucket; throws `.bucketExists` if the name is taken (a commit conditional on
    /// the name being free, so of concurrent creates exactly one wins).
    public func createBucket(_ record: BucketRecord) async throws(StorageError) {
        try KeyLayout.validateBucketName(record.name)
        try record.checkCreation()
        let key = KeyLayout.bucket(record.name)
        var batch = MetadataBatch()
        batch.require(.absent(key))
        batch.put(key, try record.encoded())
        do throws(StorageError) {
            try await metadata.commit(batch, durability: .synced)
        } catch where error.code == .conditionFailed {
            throw StorageError(.bucketExists, "bucket \(record.name) already exists")
        }
    }

    /// The bucket's record, or nil.
    public func bucket(named name: String) async throws(StorageError) -> BucketRecord? {
        guard let bytes = try await metadata.get(KeyLayout.bucket(name)) else { return nil }
        return try decodedBuckets.value(for: name, validFor: bytes) { () throws(StorageError) in try BucketRecord(encoded: bytes) }
    }

    /// Every bucket, sorted by name (one consistent view).
    public func listBuckets() async throws(StorageError) -> [BucketRecord] {
        try await withSnapshot { snapshot throws(StorageError) -> [BucketRecord] in
            var cursor = ScanCursor(reader: snapshot, prefix: KeyLayout.allBuckets)
            var buckets: [BucketRecord] = []
            while let entry = try await cursor.next() {
                buckets.append(try BucketRecord(encoded: entry.value))
            }
            return buckets
        }
    }

    /// Replaces an existing bucket's record (settings, owner...) whatever it holds now (the
    /// last writer wins); `.noSuchBucket` if absent. To change one setting without undoing a
    /// concurrent change of another, use ``updateBucket(named:_:)``. The versioning and Object Lock
    /// rules hold as there.
    public func updateBucket(_ record: BucketRecord) async throws(StorageError) {
        try KeyLayout.validateBucketName(record.name)
        let key = KeyLayout.bucket(record.name)
        let encoded = try record.encoded()
        try await optimistically { () throws(StorageError) in
            guard let bytes = try await metadata.get(key) else {
                throw StorageError(.noSuchBucket, "bucket \(record.name) does not exist")
            }
            try record.checkUpdate(of: try BucketRecord(encoded: bytes))
            var batch = MetadataBatch()
            batch.require(.equals(key, bytes))
            batch.put(key, encoded)
            try await metadata.commit(batch, durability: .synced)
        }
    }

    /// Changes the record of bucket `name` with `change` in one synced commit, conditional on the
    /// record being the bytes `change` was given: of two concurrent changes (tags and a policy,
    /// say) neither undoes the other; the one that loses reads the winner's record and applies
    /// itself to it. `change` may run more than once, and throws to change nothing.
    ///
    /// Every object write in the bucket is conditional on the bucket record it read, so a
    /// versioning change is atomic with respect to them: a write either sees the old state and
    /// commits before the change, or reads again and follows the new one.
    ///
    /// Throws `.noSuchBucket` if the bucket does not exist, `.invalidArgument` for a change
    /// the versioning rules forbid (a versioned bucket never becomes unversioned again (nil),
    /// `objectLockEnabled` never changes) or an invalid `defaultRetention`, and
    /// `.invalidBucketState` (S3: 409 InvalidBucketState) for suspending versioning of a bucket
    /// with Object Lock or giving a `defaultRetention` to a bucket without it.
    /// - Returns: the record as committed.
    @discardableResult
    public func updateBucket(named name: String, _ change: (inout BucketRecord) throws(StorageError) -> Void) async throws(StorageError) -> BucketRecord {
        try KeyLayout.validateBucketName(name)
        let key = KeyLayout.bucket(name)
        return try await optimistically { () throws(StorageError) -> BucketRecord in
            guard let bytes = try await metadata.get(key) else {
                throw StorageError(.noSuchBucket, "bucket \(name) does not exist")
            }
            let old = try BucketRecord(encoded: bytes)
            var record = old
            try change(&record)
            try record.checkUpdate(of: old)
            var batch = MetadataBatch()
            batch.require(.equals(key, bytes))
            batch.put(key, try record.encoded())
            try await metadata.commit(batch, durability: .synced)
            return record
        }
    }

    /// Deletes a bucket that holds no object, with its in-progress multipart uploads, as S3
    /// does: each upload is aborted (its parts' blobs reclaimed), then the bucket record is
    /// deleted on the condition that no object version (current, noncurrent, or a delete
    /// marker) and no upload is under it at that moment, and every commit into a bucket is
    /// conditional on the bucket record, so nothing outlives it. An upload created meanwhile
    /// makes the deletion read and abort again.
    ///
    /// Throws `.noSuchBucket`, or `.bucketNotEmpty` if the bucket holds any version of any
    /// object, delete markers included (then no upload is aborted). `willAbort` is called with each upload before it is aborted (the
    /// S3 layer records it in the audit trail); when it throws, the deletion stops there.
    public func deleteBucket(
        named name: String, willAbort: (UploadRecord) async throws(StorageError) -> Void = { _ in }
    ) async throws(StorageError) {
        try KeyLayout.validateBucketName(name)
        let key = KeyLayout.bucket(name)
        let uploads = KeyLayout.uploads(in: name)
        // Every version of every object: current objects, current delete markers, noncurrent
        // versions, and (only ever beside a `v` key, checked for a damaged store's sake) the
        // null-version index.
        let versions = [KeyLayout.objects(in: name), KeyLayout.currentMarkers(in: name), KeyLayout.versions(in: name), KeyLayout.nullVersions(in: name)]
        try await optimistically { () throws(StorageError) in
            guard let bytes = try await metadata.get(key) else {
                throw StorageError(.noSuchBucket, "bucket \(name) does not exist")
            }
            for prefix in versions {
                if try await hasKey(withPrefix: prefix) { throw StorageError(.bucketNotEmpty, "bucket \(name) has objects") }
            }
            var cursor = ScanCursor(reader: try await attemptReader(), prefix: uploads, pageSize: 100)
            while let entry = try await cursor.next() {
                let upload = try UploadRecord(encoded: entry.value)
                try await willAbort(upload)
                do throws(StorageError) {
                    try await abortUpload(id: upload.uploadId)
                } catch where error.code == .noSuchUpload {
                    // Completed or aborted meanwhile: gone either way.
                }
            }
            var batch = MetadataBatch()
            batch.require(.equals(key, bytes))
            for prefix in versions { batch.require(.noKeys(withPrefix: prefix)) }
            batch.require(.noKeys(withPrefix: uploads))
            batch.delete(key)
            try await metadata.commit(batch, durability: .synced)
        }
        decodedBuckets.removeValue(for: name)
    }

    func hasKey(withPrefix prefix: [UInt8]) async throws(StorageError) -> Bool {
        try await !metadata.scan(ScanRequest(prefix: prefix, limit: 1)).entries.isEmpty
    }
}
