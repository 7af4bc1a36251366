extension ObjectStore {
    /// Records a new multipart upload; the bucket must exist.
    public func createUpload(_ record: UploadRecord) throws(StorageError) {
        try KeyLayout.validateBucketName(record.bucket)
        try KeyLayout.validateUploadId(record.uploadId)
        guard !record.key.isEmpty else { throw StorageError(.invalidArgument, "empty object key") }
        let encoded = try record.encoded()
        let index = try UploadIndexRecord(bucket: record.bucket, key: record.key).encoded()
        try bucketLocks.lock(for: record.bucket.utf8).withReadLock { () throws(StorageError) in
            try uploadLocks.lock(for: record.uploadId.utf8).withWriteLock { () throws(StorageError) in
                try requireBucket(record.bucket)
                guard try db.get(KeyLayout.uploadIndex(record.uploadId)) == nil else {
                    throw StorageError(.invalidArgument, "upload id \(record.uploadId) is already in use")
                }
                let batch = WriteBatch()
                batch.put(KeyLayout.upload(bucket: record.bucket, key: record.key, uploadId: record.uploadId), encoded)
                batch.put(KeyLayout.uploadIndex(record.uploadId), index)
                try db.write(batch, sync: true)
            }
        }
    }

    /// The upload's record, or nil if it does not exist (or was completed or aborted).
    public func upload(id uploadId: String) throws(StorageError) -> UploadRecord? {
        guard (try? KeyLayout.validateUploadId(uploadId)) != nil,
              let index = try read(UploadIndexRecord.self, at: KeyLayout.uploadIndex(uploadId))
        else { return nil }
        return try read(UploadRecord.self, at: KeyLayout.upload(bucket: index.bucket, key: index.key, uploadId: uploadId))
    }

    /// Commits a part in one synced batch. A part replacing the same number makes the old
    /// part's blob garbage. Throws `.noSuchUpload` if the upload is gone (the check and the
    /// write are atomic with respect to complete and abort, so no blob leaks).
    /// - Returns: the replaced part, if any.
    @discardableResult
    public func commitPart(_ part: PartRecord) throws(StorageError) -> PartRecord? {
        try KeyLayout.validateUploadId(part.uploadId)
        try KeyLayout.validatePartNumber(part.number)
        let key = KeyLayout.part(uploadId: part.uploadId, number: part.number)
        let encoded = try part.encoded()
        let replaced = try uploadLocks.lock(for: part.uploadId.utf8).withReadLock { () throws(StorageError) -> PartRecord? in
            try entryLocks.lock(for: key).withLock { () throws(StorageError) -> PartRecord? in
                guard try db.get(KeyLayout.uploadIndex(part.uploadId)) != nil else {
                    throw StorageError(.noSuchUpload, "upload \(part.uploadId) does not exist")
                }
                let old = try read(PartRecord.self, at: key)
                if old?.blob.id != part.blob.id {
                    try requirePending([part.blob.id])
                }
                let batch = WriteBatch()
                batch.put(key, encoded)
                batch.delete(KeyLayout.blobMarker(part.blob.id))
                if let old, old.blob.id != part.blob.id {
                    Self.markGarbage([old.blob.id], in: batch)
                }
                try db.write(batch, sync: true)
                return old
            }
        }
        if let replaced, replaced.blob.id != part.blob.id {
            try reclaim([replaced.blob.id])
        }
        return replaced
    }

    /// Every part of an upload, by part number.
    public func parts(uploadId: String) throws(StorageError) -> [PartRecord] {
        try listParts(uploadId: uploadId, partNumberMarker: nil, maxParts: Int.max).parts
    }

    /// One page of an upload's parts with S3 ListParts semantics: parts numbered above
    /// `partNumberMarker`, at most `maxParts` of them.
    public func listParts(uploadId: String, partNumberMarker: Int?, maxParts: Int) throws(StorageError) -> PartListing {
        try KeyLayout.validateUploadId(uploadId)
        let prefix = KeyLayout.parts(of: uploadId)
        let iterator = db.makeIterator()
        guard try db.get(KeyLayout.uploadIndex(uploadId)) != nil else {
            throw StorageError(.noSuchUpload, "upload \(uploadId) does not exist")
        }
        var listing = PartListing()
        guard maxParts > 0 else { return listing }
        let first = max(partNumberMarker ?? 0, 0)
        iterator.seek(first >= KeyLayout.maxPartNumber ? KeyLayout.successor(ofPrefix: prefix)! : prefix + KeyLayout.bigEndian(UInt32(first + 1)))
        while iterator.isValid(withPrefix: prefix) {
            if listing.parts.count == maxParts {
                listing.isTruncated = true
                break
            }
            let part = try iterator.withValue { (v) throws(StorageError) in try PartRecord(encoded: v) }
            listing.parts.append(part)
            iterator.next()
        }
        try iterator.checkError()
        listing.nextPartNumberMarker = listing.parts.last?.number
        return listing
    }

    /// Completes an upload in one synced batch: puts `object`, deletes the upload, its index and
    /// every part record; the blobs of parts not used by the object and of the object it
    /// replaces become garbage (reclaimed right after).
    ///
    /// Every number in `usedParts` must name a current part, and every segment of `object` must
    /// be the blob of a used part; otherwise `.invalidPart` (e.g. a part was replaced after the
    /// caller read it). `.noSuchUpload` if the upload is gone.
    /// - Returns: the replaced object, if any.
    @discardableResult
    public func completeUpload(uploadId: String, object: ObjectRecord, usedParts: Set<Int>, precondition: WritePrecondition = .none) throws(StorageError) -> ObjectRecord? {
        try KeyLayout.validateUploadId(uploadId)
        let objectKey = KeyLayout.object(bucket: object.bucket, key: object.key)
        let encoded = try object.encoded()
        let (replaced, garbage) = try bucketLocks.lock(for: object.bucket.utf8).withReadLock {
            () throws(StorageError) -> (ObjectRecord?, Set<BlobID>) in
            try uploadLocks.lock(for: uploadId.utf8).withWriteLock { () throws(StorageError) -> (ObjectRecord?, Set<BlobID>) in
                try entryLocks.lock(for: objectKey).withLock { () throws(StorageError) -> (ObjectRecord?, Set<BlobID>) in
                    guard let upload = try upload(id: uploadId) else {
                        throw StorageError(.noSuchUpload, "upload \(uploadId) does not exist")
                    }
                    guard upload.bucket == object.bucket, upload.key == object.key else {
                        throw StorageError(.invalidArgument, "object does not match upload \(uploadId)")
                    }
                    try requireBucket(object.bucket)
                    let parts = try parts(uploadId: uploadId)
                    let usedBlobs = Set(parts.filter { usedParts.contains($0.number) }.map(\.blob.id))
                    let current = Set(parts.map(\.number))
                    if let missing = usedParts.subtracting(current).min() {
                        throw StorageError(.invalidPart, "part \(missing) of upload \(uploadId) does not exist")
                    }
                    let segments = Set(object.segments.map(\.id))
                    guard segments.isSubset(of: usedBlobs) else {
                        throw StorageError(.invalidPart, "object segments are not the blobs of the used parts")
                    }
                    let old = try read(ObjectRecord.self, at: objectKey)
                    try precondition.check(old)
                    let garbage = Set(parts.map(\.blob.id)).union(old?.segments.map(\.id) ?? []).subtracting(segments)
                    let batch = WriteBatch()
                    batch.put(objectKey, encoded)
                    batch.delete(KeyLayout.upload(bucket: upload.bucket, key: upload.key, uploadId: uploadId))
                    batch.delete(KeyLayout.uploadIndex(uploadId))
                    for part in parts { batch.delete(KeyLayout.part(uploadId: uploadId, number: part.number)) }
                    Self.markGarbage(garbage, in: batch)
                    try db.write(batch, sync: true)
                    return (old, garbage)
                }
            }
        }
        try reclaim(garbage)
        return replaced
    }

    /// Aborts an upload in one synced batch: deletes the upload, its index and its parts, and
    /// reclaims every part's blob. `.noSuchUpload` if it does not exist.
    public func abortUpload(id uploadId: String) throws(StorageError) {
        try KeyLayout.validateUploadId(uploadId)
        let garbage = try uploadLocks.lock(for: uploadId.utf8).withWriteLock { () throws(StorageError) -> [BlobID] in
            guard let upload = try upload(id: uploadId) else {
                throw StorageError(.noSuchUpload, "upload \(uploadId) does not exist")
            }
            let parts = try parts(uploadId: uploadId)
            let batch = WriteBatch()
            batch.delete(KeyLayout.upload(bucket: upload.bucket, key: upload.key, uploadId: uploadId))
            batch.delete(KeyLayout.uploadIndex(uploadId))
            for part in parts { batch.delete(KeyLayout.part(uploadId: uploadId, number: part.number)) }
            let blobs = parts.map(\.blob.id)
            Self.markGarbage(blobs, in: batch)
            try db.write(batch, sync: true)
            return blobs
        }
        try reclaim(garbage)
    }
}

/// One page of an upload's parts.
public struct PartListing: Sendable, Equatable {
    /// Parts in number order.
    public var parts: [PartRecord] = []
    /// Whether more parts follow.
    public var isTruncated = false
    /// The number of the last part returned (the marker for the next page).
    public var nextPartNumberMarker: Int?

    /// Creates an empty listing.
    public init() {}
}
