/// Reading one version of an object: GET, HEAD and copy sources with or without `versionId`.
extension ObjectStore {
    /// The version of `key` that `selector` names, or nil when there is none: for
    /// ``VersionSelector/current`` the current version, which may be a delete marker (then
    /// ``object(bucket:key:)`` says nil and S3 answers 404 with `x-amz-delete-marker: true`);
    /// for an id or `null`, that version, which may be a delete marker (S3 answers 405
    /// MethodNotAllowed to a GET or HEAD of it). Does not check that the bucket exists.
    public func version(bucket: String, key: String, _ selector: VersionSelector) async throws(StorageError) -> ObjectRecord? {
        try await locate(bucket: bucket, key: key, selector)?.record
    }

    /// Opens the version `selector` names; nil when there is none. A delete marker has no body:
    /// it comes back as ``OpenedVersion/deleteMarker(_:)``, for the S3 layer to answer 404
    /// (current) or 405 (by id).
    ///
    /// As ``openObject(bucket:key:)`` does, the blob view is taken after the record was read,
    /// and the record's key is read again after it: when both reads agree the version was
    /// stored there while the view was taken, so its blobs were not yet reclaimed. When they
    /// differ (a write moved or removed the version meanwhile) the version is looked up again.
    public func openVersion(bucket: String, key: String, _ selector: VersionSelector) async throws(StorageError) -> OpenedVersion? {
        for _ in 0..<max(options.commitAttempts, 1) {
            guard let found = try await locate(bucket: bucket, key: key, selector) else { return nil }
            if found.record.isDeleteMarker { return .deleteMarker(found.record) }
            let view = try await blobs.readView()
            if try await metadata.get(found.key) == found.bytes {
                return .object(ObjectReader(record: found.record, view: view, maxBatch: options.readBatchPackages))
            }
        }
        throw StorageError(.conditionFailed, "the version kept moving while it was opened")
    }

    /// Where the version `selector` names is stored, with its bytes and record, as of one
    /// moment. Costs one read, two for a current delete marker, no current version, or a null
    /// version kept under `v`.
    func locate(bucket: String, key: String, _ selector: VersionSelector) async throws(StorageError) -> StoredVersion? {
        let objectKey = KeyLayout.object(bucket: bucket, key: key)
        let markerKey = KeyLayout.currentMarker(bucket: bucket, key: key)
        switch selector {
        case .current:
            if let bytes = try await metadata.get(objectKey) { return StoredVersion(key: objectKey, bytes: bytes, record: try ObjectRecord(encoded: bytes)) }
            // No object: `o` and `d` together, as of one moment (a write may have moved the
            // current version from `d` to `o` since the first read).
            let values = try await metadata.get(keys: [objectKey, markerKey])
            for (storeKey, bytes) in zip([objectKey, markerKey], values) {
                if let bytes { return StoredVersion(key: storeKey, bytes: bytes, record: try ObjectRecord(encoded: bytes)) }
            }
            return nil
        case .null:
            let nullKey = KeyLayout.nullVersion(bucket: bucket, key: key)
            // The index and the version it names are two reads: when a write moved the null
            // version in between, look again.
            for _ in 0..<max(options.commitAttempts, 1) {
                let values = try await metadata.get(keys: [objectKey, markerKey, nullKey])
                for (storeKey, bytes) in zip([objectKey, markerKey], values) {
                    guard let bytes else { continue }
                    let record = try ObjectRecord(encoded: bytes)
                    if record.isNullVersion { return StoredVersion(key: storeKey, bytes: bytes, record: record) }
                }
                guard let index = values[2] else { return nil }
                guard let raw = KeyLayout.readBigEndian64(index), let stamp = VersionStamp(rawValue: raw) else {
                    throw StorageError(.invalidRecord, "the null-version index of an object is malformed")
                }
                let versionKey = KeyLayout.version(bucket: bucket, key: key, stamp: stamp)
                let found = try await metadata.get(keys: [versionKey, nullKey])
                if let bytes = found[0] {
                    let record = try ObjectRecord(encoded: bytes)
                    if record.isNullVersion { return StoredVersion(key: versionKey, bytes: bytes, record: record) }
                }
                if found[1] == index {
                    throw StorageError(.invalidRecord, "the null-version index of an object names no null version")
                }
            }
            throw StorageError(.conditionFailed, "the null version kept moving while it was looked up")
        case .id(let id):
            let versionKey = KeyLayout.version(bucket: bucket, key: key, stamp: id.stamp)
            let keys = [objectKey, markerKey, versionKey]
            for (storeKey, bytes) in zip(keys, try await metadata.get(keys: keys)) {
                guard let bytes else { continue }
                let record = try ObjectRecord(encoded: bytes)
                if record.versionId == id { return StoredVersion(key: storeKey, bytes: bytes, record: record) }
            }
            return nil
        }
    }
}
