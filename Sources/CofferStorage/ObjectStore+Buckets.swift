extension ObjectStore {
    /// Creates a bucket; throws `.bucketExists` if the name is taken (atomic with respect to
    /// concurrent creates and deletes of the same name).
    public func createBucket(_ record: BucketRecord) throws(StorageError) {
        try KeyLayout.validateBucketName(record.name)
        let encoded = try record.encoded()
        try bucketLocks.lock(for: record.name.utf8).withWriteLock { () throws(StorageError) in
            let key = KeyLayout.bucket(record.name)
            guard try db.get(key) == nil else {
                throw StorageError(.bucketExists, "bucket \(record.name) already exists")
            }
            try db.put(key, encoded, sync: true)
        }
    }

    /// The bucket's record, or nil.
    public func bucket(named name: String) throws(StorageError) -> BucketRecord? {
        guard let bytes = try db.get(KeyLayout.bucket(name)) else { return nil }
        if let cached = decodedBuckets.withLock({ $0[name] }), cached.bytes == bytes { return cached.record }
        let record = try BucketRecord(encoded: bytes)
        decodedBuckets.withLock { cache in
            if cache.count >= Self.decodedBucketsCapacity, cache[name] == nil { cache.removeAll(keepingCapacity: true) }
            cache[name] = (bytes, record)
        }
        return record
    }

    /// Every bucket, sorted by name.
    public func listBuckets() throws(StorageError) -> [BucketRecord] {
        let iterator = db.makeIterator()
        iterator.seek(KeyLayout.allBuckets)
        var buckets: [BucketRecord] = []
        while iterator.isValid(withPrefix: KeyLayout.allBuckets) {
            buckets.append(try iterator.withValue { (v) throws(StorageError) in try BucketRecord(encoded: v) })
            iterator.next()
        }
        try iterator.checkError()
        return buckets
    }

    /// Replaces an existing bucket's record (settings, owner...); `.noSuchBucket` if absent.
    public func updateBucket(_ record: BucketRecord) throws(StorageError) {
        try KeyLayout.validateBucketName(record.name)
        let encoded = try record.encoded()
        try bucketLocks.lock(for: record.name.utf8).withWriteLock { () throws(StorageError) in
            try requireBucket(record.name)
            try db.put(KeyLayout.bucket(record.name), encoded, sync: true)
        }
    }

    /// Deletes an empty bucket. Throws `.noSuchBucket`, or `.bucketNotEmpty` if it holds any
    /// object or in-progress multipart upload. Holds the bucket exclusively, so no commit into
    /// it can race.
    public func deleteBucket(named name: String) throws(StorageError) {
        try KeyLayout.validateBucketName(name)
        try bucketLocks.lock(for: name.utf8).withWriteLock { () throws(StorageError) in
            try requireBucket(name)
            if try hasKey(withPrefix: KeyLayout.objects(in: name)) {
                throw StorageError(.bucketNotEmpty, "bucket \(name) has objects")
            }
            if try hasKey(withPrefix: KeyLayout.uploads(in: name)) {
                throw StorageError(.bucketNotEmpty, "bucket \(name) has multipart uploads")
            }
            try db.delete(KeyLayout.bucket(name), sync: true)
        }
        decodedBuckets.withLock { $0[name] = nil }
    }

    func hasKey(withPrefix prefix: [UInt8]) throws(StorageError) -> Bool {
        let iterator = db.makeIterator()
        iterator.seek(prefix)
        let found = iterator.isValid(withPrefix: prefix)
        try iterator.checkError()
        return found
    }
}
