extension ObjectStore {
    /// Completes an upload in one synced commit: puts `object` as the current version of its
    /// key (as ``commitObject(_:precondition:note:)`` does, following the bucket's versioning
    /// state), deletes the upload, its index and every part record; the blobs of parts not
    /// used by the object and of the versions the commit removes become garbage (reclaimed
    /// right after). The commit is conditional on the upload, its parts (exactly those read),
    /// the bucket record and the key's versions being unchanged.
    ///
    /// Every number in `usedParts` must name a current part, and every segment of `object` must
    /// be the blob of a used part; otherwise `.invalidPart` (e.g. a part was replaced after the
    /// caller read it). `.noSuchUpload` if the upload is gone. Object Lock as for
    /// ``commitObject(_:precondition:note:)``.
    @discardableResult
    public func completeUpload(uploadId: String, object: ObjectRecord, usedParts: Set<Int>, precondition: WritePrecondition = .none, note: CommitNote? = nil) async throws(StorageError) -> ObjectCommit {
        try KeyLayout.validateUploadId(uploadId)
        guard !object.isDeleteMarker else { throw StorageError(.invalidArgument, "a delete marker is made by a deletion") }
        let objectKey = KeyLayout.object(bucket: object.bucket, key: object.key)
        let (outcome, garbage) = try await optimistically(inTurnOf: objectKey) { () throws(StorageError) -> (ObjectCommit, [BlobID]) in
            let snapshot = try await attemptReader()
            var batch = MetadataBatch()
            let (upload, parts) = try await readUpload(uploadId, from: snapshot, pinningIn: &batch)
            // The parts bind the upload's nonce: the object must carry it (sealed-object format 2).
            guard upload.bucket == object.bucket, upload.key == object.key, upload.versionNonce == object.versionNonce else {
                throw StorageError(.invalidArgument, "object does not match upload \(uploadId)")
            }
            let (state, _) = try await readKeyState(bucket: object.bucket, key: object.key, from: snapshot)
            let usedBlobs = Set(parts.filter { usedParts.contains($0.number) }.map(\.blob.id))
            if let missing = usedParts.subtracting(parts.map(\.number)).min() {
                throw StorageError(.invalidPart, "part \(missing) of upload \(uploadId) does not exist")
            }
            let segments = Set(object.segments.map(\.id))
            guard segments.isSubset(of: usedBlobs) else {
                throw StorageError(.invalidPart, "object segments are not the blobs of the used parts")
            }
            try precondition.check(state.object)
            let keptNull = try await keptNullToReplace(state, from: snapshot)
            state.pin(&batch)
            let placement = try place(object, in: state, keptNull: keptNull, batch: &batch)
            let removedBlobs = placement.removed.flatMap { $0.segments.map(\.id) }
            let garbage = Self.unique(parts.map(\.blob.id) + removedBlobs).filter { !segments.contains($0) }
            Self.markGarbage(garbage, in: &batch)
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals)
            return (ObjectCommit(record: placement.record, replaced: placement.replaced, removed: placement.removed), garbage)
        }
        try await reclaim(garbage)
        return outcome
    }

    /// Aborts an upload in one synced commit: deletes the upload, its index and its parts, and
    /// reclaims every part's blob. `.noSuchUpload` if it does not exist. `note`, if any,
    /// commits with the abort (`CommitNote`).
    public func abortUpload(id uploadId: String, note: CommitNote? = nil) async throws(StorageError) {
        try KeyLayout.validateUploadId(uploadId)
        let garbage = try await optimistically { () throws(StorageError) -> [BlobID] in
            let snapshot = try await attemptReader()
            var batch = MetadataBatch()
            let (_, parts) = try await readUpload(uploadId, from: snapshot, pinningIn: &batch)
            let blobs = Self.unique(parts.map(\.blob.id))
            Self.markGarbage(blobs, in: &batch)
            let removals = try attach(note, to: &batch)
            try await commit(batch, carrying: removals)
            return blobs
        }
        try await reclaim(garbage)
    }

    /// Reads an upload and all its parts from `snapshot`, and adds to `batch` the deletion of
    /// the upload, its index and its parts, on the condition that all of them are unchanged
    /// and no other part exists. `.noSuchUpload` if the upload does not exist.
    private func readUpload(_ uploadId: String, from snapshot: any MetadataReader, pinningIn batch: inout MetadataBatch) async throws(StorageError) -> (UploadRecord, [PartRecord]) {
        let indexKey = KeyLayout.uploadIndex(uploadId)
        guard let indexBytes = try await snapshot.get(indexKey) else {
            throw StorageError(.noSuchUpload, "upload \(uploadId) does not exist")
        }
        let index = try UploadIndexRecord(encoded: indexBytes)
        let uploadKey = KeyLayout.upload(bucket: index.bucket, key: index.key, uploadId: uploadId)
        guard let uploadBytes = try await snapshot.get(uploadKey) else {
            throw StorageError(.noSuchUpload, "upload \(uploadId) does not exist")
        }
        let upload = try UploadRecord(encoded: uploadBytes)
        let prefix = KeyLayout.parts(of: uploadId)
        var cursor = ScanCursor(reader: snapshot, prefix: prefix)
        var parts: [PartRecord] = []
        while let entry = try await cursor.next() {
            parts.append(try PartRecord(encoded: entry.value))
            batch.require(.equals(entry.key, entry.value))
            batch.delete(entry.key)
        }
        batch.require(.keyCount(prefix: prefix, count: parts.count))
        batch.require(.equals(indexKey, indexBytes))
        batch.require(.equals(uploadKey, uploadBytes))
        batch.delete(uploadKey)
        batch.delete(indexKey)
        return (upload, parts)
    }
}
