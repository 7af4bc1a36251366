/// How a write changes a key's versions, following its bucket's versioning state (S3's rules;
/// docs/storage-layout.md, "Versions"). The functions here only build the commit batch from a
/// ``KeyState``; the operations that read, commit and reclaim are in `ObjectStore+Objects.swift`,
/// `ObjectStore+Completion.swift` and `ObjectStore+Deletion.swift`.
struct VersionPlacement {
    /// The new current version as committed.
    var record: ObjectRecord
    /// The version that was current before, if any.
    var replaced: ObjectRecord?
    /// The versions removed for good (their blobs become garbage).
    var removed: [ObjectRecord] = []
}

extension ObjectStore {
    /// Adds to `batch` the writes that make `new` (an object version or a delete marker) the
    /// current version of `state`'s key, and returns it as committed. The caller pins `state`.
    ///
    /// - Never versioned: `new` overwrites the object under `o`, which is removed (a delete
    ///   marker is never placed there).
    /// - Enabled: `new` gets a new version id, its random part `new.versionNonce` (fresh random
    ///   bytes when it has none); the current version moves to `v` with its id.
    /// - Suspended: `new` is the `null` version; the current version moves to `v` unless it is
    ///   the null version, which is removed, as is a null version kept under `v`: `keptNull`,
    ///   which the caller read when `state.nullBytes` is set.
    ///
    /// In a versioned bucket `new` gets a stamp later than the current version's
    /// (``VersionStamp/next(after:at:)``).
    ///
    /// Object Lock: `new` may carry a retention or a legal hold only in a bucket with Object
    /// Lock, and never as a delete marker (`.invalidArgument`); and no placement removes a
    /// version that Object Lock protects at `new.lastModified` (`.objectLocked`, no bypass: in
    /// a bucket with Object Lock, always enabled, a placement removes nothing anyway).
    func place(_ new: ObjectRecord, in state: KeyState, keptNull: StoredVersion?, batch: inout MetadataBatch) throws(StorageError) -> VersionPlacement {
        if new.retention != nil || new.legalHold != nil {
            guard state.objectLockEnabled else { throw StorageError(.invalidArgument, "the bucket is missing Object Lock configuration") }
            guard !new.isDeleteMarker else { throw StorageError(.invalidArgument, "a delete marker has no Object Lock") }
        }
        let placement = try placeVersion(new, in: state, keptNull: keptNull, batch: &batch)
        for removed in placement.removed {
            if let protection = ObjectLockRules.protection(of: removed, at: new.lastModified, bypassGovernance: false) {
                throw StorageError.objectLocked(protection)
            }
        }
        return placement
    }

    private func placeVersion(_ new: ObjectRecord, in state: KeyState, keptNull: StoredVersion?, batch: inout MetadataBatch) throws(StorageError) -> VersionPlacement {
        var record = new
        var placement = VersionPlacement(record: record, replaced: state.head)
        guard let versioning = state.versioning else {
            guard !record.isDeleteMarker else { throw StorageError(.invalidArgument, "a bucket never versioned holds no delete marker") }
            record.versionId = nil
            record.versionStamp = nil
            if let object = state.object { placement.removed.append(object) }
            batch.put(state.objectKey, try record.encoded())
            placement.record = record
            return placement
        }
        let stamp = try VersionStamp.next(after: state.head?.stamp, at: record.lastModified)
        record.versionStamp = stamp
        switch versioning {
        case .enabled:
            // The write's nonce, which its packages bind, is the id's random part; fresh random
            // bytes only for a record that has none (callers that seal nothing).
            if let nonce = record.versionNonce {
                record.versionId = VersionID(stamp: stamp, nonce: nonce)
            } else {
                var generator = SystemRandomNumberGenerator()
                record.versionId = VersionID.make(stamp: stamp, using: &generator)
            }
            if let head = state.head { retireHead(head, of: state, in: &batch) }
        case .suspended:
            record.versionId = nil
            if let head = state.head {
                if head.isNullVersion {
                    batch.delete(head.isDeleteMarker ? state.markerKey : state.objectKey)
                    placement.removed.append(head)
                } else {
                    retireHead(head, of: state, in: &batch)
                }
            }
            if let keptNull {
                batch.require(.equals(keptNull.key, keptNull.bytes))
                batch.delete(keptNull.key)
                batch.delete(state.nullKey)
                placement.removed.append(keptNull.record)
            }
        }
        batch.put(record.isDeleteMarker ? state.markerKey : state.objectKey, try record.encoded())
        placement.record = record
        return placement
    }

    /// Moves the current version `head` to `v` (its bytes as stored), indexing it under `n`
    /// when it is the null version.
    private func retireHead(_ head: ObjectRecord, of state: KeyState, in batch: inout MetadataBatch) {
        guard let entry = state.headEntry else { return }
        let versionKey = state.versionKey(head.stamp)
        batch.require(.absent(versionKey))
        batch.delete(entry.key)
        batch.put(versionKey, entry.bytes)
        if head.isNullVersion { batch.put(state.nullKey, KeyLayout.bigEndian(head.stamp.rawValue)) }
    }

    /// Adds to `batch` the removal of the current version of `state`'s key and the promotion
    /// of `next`, the newest version under `v` (if any), to current: moved to `o` when it is
    /// an object, to `d` when it is a delete marker, its `n` entry dropped when it is the null
    /// version. The caller pins `state`.
    func removeHead(of state: KeyState, promoting next: StoredVersion?, in batch: inout MetadataBatch) {
        guard let entry = state.headEntry else { return }
        batch.delete(entry.key)
        guard let next else { return }
        batch.require(.equals(next.key, next.bytes))
        batch.delete(next.key)
        batch.put(next.record.isDeleteMarker ? state.markerKey : state.objectKey, next.bytes)
        if next.record.isNullVersion { batch.delete(state.nullKey) }
    }

    /// Adds to `batch` the removal of `version`, a noncurrent version of `state`'s key (and of
    /// its `n` entry when it is the null version). The caller pins `state`.
    func removeStoredVersion(_ version: StoredVersion, of state: KeyState, in batch: inout MetadataBatch) {
        batch.require(.equals(version.key, version.bytes))
        batch.delete(version.key)
        if version.record.isNullVersion { batch.delete(state.nullKey) }
    }

    /// The null version kept under `v` that a write in a suspended bucket removes (nil in
    /// other states, or when there is none).
    func keptNullToReplace(_ state: KeyState, from reader: (any MetadataReader)? = nil) async throws(StorageError) -> StoredVersion? {
        guard state.versioning == .suspended else { return nil }
        return try await keptNullVersion(state, from: reader)
    }
}
