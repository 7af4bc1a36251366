/// What a write of one object key reads before it decides (docs/storage-layout.md,
/// "Versions"): the bucket record and its versioning state, and where the key's versions are.
///
/// Every version of a key but the current one lives under `v`; the current version is the
/// key's newest, under `o` when it is an object and under `d` when it is a delete marker (so
/// listings of `o` never meet a marker). A key's null version, when it is under `v`, is found
/// through its `n` entry. A write pins all of it (``pin(_:)``): a version reaches `v` only by
/// leaving `o` or `d`, so a commit conditional on `o`, `d` and `n` being as read cannot lose
/// to a concurrent write of the key on any node.
struct KeyState {
    let bucket: String
    let key: String
    let bucketKey: [UInt8]
    /// The bucket record's stored bytes, and its versioning state.
    let bucketBytes: [UInt8]
    let versioning: BucketVersioning?
    /// Whether the bucket has Object Lock.
    let objectLockEnabled: Bool
    let objectKey: [UInt8]
    let objectBytes: [UInt8]?
    /// The current version when it is an object.
    let object: ObjectRecord?
    let markerKey: [UInt8]
    let nullKey: [UInt8]
    /// `d` and `n`, read only in a versioned bucket (a bucket never versioned holds neither).
    let markerBytes: [UInt8]?
    /// The current version when it is a delete marker.
    let marker: ObjectRecord?
    let nullBytes: [UInt8]?

    /// The current version (the key's newest), if any.
    var head: ObjectRecord? { object ?? marker }

    /// Where the current version is stored, with its bytes.
    var headEntry: (key: [UInt8], bytes: [UInt8])? {
        if let objectBytes { return (objectKey, objectBytes) }
        if let markerBytes { return (markerKey, markerBytes) }
        return nil
    }

    /// The stamp of the null version kept under `v`, if any.
    func keptNullStamp() throws(StorageError) -> VersionStamp? {
        guard let nullBytes else { return nil }
        guard let raw = KeyLayout.readBigEndian64(nullBytes), let stamp = VersionStamp(rawValue: raw) else {
            throw StorageError(.invalidRecord, "the null-version index of an object is malformed")
        }
        return stamp
    }

    /// The `v` key of this key's version at `stamp`.
    func versionKey(_ stamp: VersionStamp) -> [UInt8] {
        KeyLayout.version(bucket: bucket, key: key, stamp: stamp)
    }

    /// Makes `batch` conditional on everything read being unchanged.
    func pin(_ batch: inout MetadataBatch) {
        batch.require(.equals(bucketKey, bucketBytes))
        batch.require(objectBytes.map { .equals(objectKey, $0) } ?? .absent(objectKey))
        guard versioning != nil else { return }
        batch.require(markerBytes.map { .equals(markerKey, $0) } ?? .absent(markerKey))
        batch.require(nullBytes.map { .equals(nullKey, $0) } ?? .absent(nullKey))
    }
}

/// One stored version under `v`: its key, its bytes and its record.
struct StoredVersion {
    let key: [UInt8]
    let bytes: [UInt8]
    let record: ObjectRecord
}

extension ObjectStore {
    /// Reads the state of `key` in `bucket` from `reader` (the live store by default), with the
    /// values of `extra` keys read at the same moment as the bucket and `o`. In a versioned
    /// bucket `o`, `d` and `n` are read again together by a second call, so that they are one
    /// view of the key (a bucket never versioned pays for no read it did not pay before
    /// versioning existed; the commit's conditions pin the bucket record and `extra` as read).
    /// `.noSuchBucket` if the bucket does not exist.
    func readKeyState(
        bucket: String, key: String, alsoReading extra: [[UInt8]] = [], from reader: (any MetadataReader)? = nil
    ) async throws(StorageError) -> (KeyState, [[UInt8]?]) {
        let reader = reader ?? metadata
        let bucketKey = KeyLayout.bucket(bucket), objectKey = KeyLayout.object(bucket: bucket, key: key)
        let values = try await reader.get(keys: [bucketKey, objectKey] + extra)
        guard let bucketBytes = values[0] else { throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist") }
        let record = try decodedBuckets.value(for: bucket, validFor: bucketBytes) { () throws(StorageError) in try BucketRecord(encoded: bucketBytes) }
        var objectBytes = values[1]
        let markerKey = KeyLayout.currentMarker(bucket: bucket, key: key), nullKey = KeyLayout.nullVersion(bucket: bucket, key: key)
        var markerBytes: [UInt8]?, nullBytes: [UInt8]?
        if record.versioning != nil {
            let view = try await reader.get(keys: [objectKey, markerKey, nullKey])
            (objectBytes, markerBytes, nullBytes) = (view[0], view[1], view[2])
        }
        let object = try objectBytes.map { (bytes) throws(StorageError) in try ObjectRecord(encoded: bytes) }
        let marker = try markerBytes.map { (bytes) throws(StorageError) in try ObjectRecord(encoded: bytes) }
        if object != nil && marker != nil || marker.map({ !$0.isDeleteMarker }) ?? false || object?.isDeleteMarker ?? false {
            throw StorageError(.invalidRecord, "the current version of an object is stored inconsistently")
        }
        let state = KeyState(
            bucket: bucket, key: key, bucketKey: bucketKey, bucketBytes: bucketBytes, versioning: record.versioning,
            objectLockEnabled: record.hasObjectLock,
            objectKey: objectKey, objectBytes: objectBytes, object: object, markerKey: markerKey, nullKey: nullKey,
            markerBytes: markerBytes, marker: marker, nullBytes: nullBytes)
        return (state, Array(values.dropFirst(2)))
    }

    /// The version of `state`'s key under `v` at `stamp`, if any.
    func storedVersion(_ state: KeyState, at stamp: VersionStamp, from reader: (any MetadataReader)? = nil) async throws(StorageError) -> StoredVersion? {
        let key = state.versionKey(stamp)
        guard let bytes = try await (reader ?? metadata).get(key) else { return nil }
        return StoredVersion(key: key, bytes: bytes, record: try ObjectRecord(encoded: bytes))
    }

    /// The null version kept under `v`, if the key has one there. When the index names no null
    /// version, a write elsewhere moved it since `state` was read (`.conditionFailed`: read
    /// again), unless the index still holds what `state` read: then the store is damaged.
    func keptNullVersion(_ state: KeyState, from reader: (any MetadataReader)? = nil) async throws(StorageError) -> StoredVersion? {
        guard let stamp = try state.keptNullStamp() else { return nil }
        if let version = try await storedVersion(state, at: stamp, from: reader), version.record.isNullVersion { return version }
        if try await (reader ?? metadata).get(state.nullKey) == state.nullBytes {
            throw StorageError(.invalidRecord, "the null-version index of an object names no null version")
        }
        throw StorageError.conditionFailed(.equals(state.nullKey, state.nullBytes ?? []))
    }

    /// The newest version under `v` of `state`'s key (the one that becomes current when the
    /// current one is removed), if any.
    func newestStoredVersion(_ state: KeyState) async throws(StorageError) -> StoredVersion? {
        let page = try await metadata.scan(ScanRequest(prefix: KeyLayout.versions(bucket: state.bucket, key: state.key), limit: 1))
        guard let entry = page.entries.first else { return nil }
        return StoredVersion(key: entry.key, bytes: entry.value, record: try ObjectRecord(encoded: entry.value))
    }
}
