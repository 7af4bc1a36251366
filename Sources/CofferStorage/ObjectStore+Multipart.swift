extension ObjectStore {
    /// Records a new multipart upload; the bucket must exist (the commit is conditional on it,
    /// and on the upload id being unused). `note`, if any, commits with it (`CommitNote`).
    public func createUpload(_ record: UploadRecord, note: CommitNote? = nil) async throws(StorageError) {
        try KeyLayout.validateBucketName(record.bucket)
        try KeyLayout.validateUploadId(record.uploadId)
        guard !record.key.isEmpty else { throw StorageError(.invalidArgument, "empty object key") }
        let encoded = try record.encoded()
        let index = try UploadIndexRecord(bucket: record.bucket, key: record.key).encoded()
        let bucketKey = KeyLayout.bucket(record.bucket), indexKey = KeyLayout.uploadIndex(record.uploadId)
        try await optimistically { () throws(StorageError) in
            let values = try await metadata.get(keys: [bucketKey, indexKey])
            guard values[0] != nil else { throw StorageError(.noSuchBucket, "bucket \(record.bucket) does not exist") }
            guard values[1] == nil else {
                throw StorageError(.invalidArgument, "upload id \(record.uploadId) is already in use")
            }
            var batch = MetadataBatch()
            batch.require(.present(bucketKey))
            batch.require(.absent(indexKey))
            batch.put(KeyLayout.upload(bucket: record.bucket, key: record.key, uploadId: record.uploadId), encoded)
            batch.put(indexKey, index)
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals)
        }
    }

    /// The upload's record, or nil if it does not exist (or was completed or aborted).
    public func upload(id uploadId: String) async throws(StorageError) -> UploadRecord? {
        guard (try? KeyLayout.validateUploadId(uploadId)) != nil else { return nil }
        return try await withSnapshot { snapshot throws(StorageError) -> UploadRecord? in
            guard let index = try await read(UploadIndexRecord.self, at: KeyLayout.uploadIndex(uploadId), from: snapshot) else { return nil }
            return try await read(UploadRecord.self, at: KeyLayout.upload(bucket: index.bucket, key: index.key, uploadId: uploadId), from: snapshot)
        }
    }

    /// Commits a part in one synced commit. A part replacing the same number makes the old
    /// part's blob garbage. Throws `.noSuchUpload` if the upload is gone: the commit is
    /// conditional on the upload existing, and completion and abort are conditional on the
    /// parts they read being all the parts, so no part (and no blob) outlives its upload.
    /// `note`, if any, commits with the part (`CommitNote`).
    /// - Returns: the replaced part, if any.
    @discardableResult
    public func commitPart(_ part: PartRecord, note: CommitNote? = nil) async throws(StorageError) -> PartRecord? {
        try KeyLayout.validateUploadId(part.uploadId)
        try KeyLayout.validatePartNumber(part.number)
        let key = KeyLayout.part(uploadId: part.uploadId, number: part.number)
        let indexKey = KeyLayout.uploadIndex(part.uploadId), marker = KeyLayout.blobMarker(part.blob.id)
        let encoded = try part.encoded()
        let announcements = takeAnnouncements([part.blob.id])
        let replaced = try await optimistically(inTurnOf: key, announcements: announcements) { () throws(StorageError) -> PartRecord? in
            let values = try await metadata.get(keys: [indexKey, key, marker])
            guard values[0] != nil else { throw StorageError(.noSuchUpload, "upload \(part.uploadId) does not exist") }
            let oldBytes = values[1]
            let old = try oldBytes.map { (bytes) throws(StorageError) in try PartRecord(encoded: bytes) }
            var batch = MetadataBatch()
            batch.require(.present(indexKey))
            batch.require(oldBytes.map { .equals(key, $0) } ?? .absent(key))
            if old?.blob.id != part.blob.id {
                try requirePending(values[2], part.blob.id)
                batch.require(.equals(marker, pendingMarker))
            }
            batch.put(key, encoded)
            batch.delete(marker)
            if let old, old.blob.id != part.blob.id {
                Self.markGarbage([old.blob.id], in: &batch)
            }
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals, fulfilling: announcements)
            return old
        }
        if let replaced, replaced.blob.id != part.blob.id {
            try await reclaim([replaced.blob.id])
        }
        return replaced
    }

    /// Every part of an upload, by part number.
    public func parts(uploadId: String) async throws(StorageError) -> [PartRecord] {
        try await listParts(uploadId: uploadId, partNumberMarker: nil, maxParts: Int.max).parts
    }

    /// One page of an upload's parts with S3 ListParts semantics: parts numbered above
    /// `partNumberMarker`, at most `maxParts` of them (one consistent view).
    public func listParts(uploadId: String, partNumberMarker: Int?, maxParts: Int) async throws(StorageError) -> PartListing {
        try KeyLayout.validateUploadId(uploadId)
        return try await withSnapshot { snapshot throws(StorageError) -> PartListing in
            guard try await snapshot.get(KeyLayout.uploadIndex(uploadId)) != nil else {
                throw StorageError(.noSuchUpload, "upload \(uploadId) does not exist")
            }
            var listing = PartListing()
            let first = max(partNumberMarker ?? 0, 0)
            guard maxParts > 0, first < KeyLayout.maxPartNumber else { return listing }
            let prefix = KeyLayout.parts(of: uploadId)
            var cursor = ScanCursor(reader: snapshot, prefix: prefix, start: .at(prefix + KeyLayout.bigEndian(UInt32(first + 1))),
                                    pageSize: min(maxParts, 999) + 1)
            while let entry = try await cursor.next() {
                if listing.parts.count == maxParts {
                    listing.isTruncated = true
                    break
                }
                listing.parts.append(try PartRecord(encoded: entry.value))
            }
            listing.nextPartNumberMarker = listing.parts.last?.number
            return listing
        }
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
