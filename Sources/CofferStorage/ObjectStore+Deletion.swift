import Foundation

/// DeleteObject: a delete marker, or the removal of one version (docs/storage-layout.md,
/// "Versions").
extension ObjectStore {
    /// Deletes as S3's DeleteObject does, in one synced commit, and reclaims the blobs of the
    /// version it removes.
    ///
    /// Without a version (``VersionSelector/current``): in a bucket never versioned the object
    /// is removed; in a versioning-enabled bucket a delete marker with a fresh version id
    /// becomes the current version (even when the current version already is one, or the key
    /// has none) and the replaced version stays; in a suspended bucket the marker is the `null`
    /// version, replacing the previous null version (current or not) while every other version
    /// stays.
    ///
    /// With a version id or `null`: exactly that version is removed, whatever the bucket's
    /// state. When it was the current version, the newest remaining version becomes current (a
    /// delete marker can be); when no version has that id, nothing is written (not even
    /// `note`) and the result is empty.
    ///
    /// Object Lock: a version that ``ObjectLockRules/protection(of:at:bypassGovernance:)``
    /// protects at `request.date` (with `request.bypassGovernanceRetention`) is not removed:
    /// `.objectLocked`, naming the protection, and nothing is written. A deletion without a
    /// version only adds a delete marker and is allowed.
    ///
    /// The commit is conditional on the bucket record and the key's versions being as read
    /// (``KeyState``), and on the version it removes or promotes being unchanged.
    /// `.noSuchBucket` if the bucket does not exist.
    @discardableResult
    public func deleteObject(_ request: ObjectDeletionRequest) async throws(StorageError) -> ObjectDeletion {
        try await deleteObject(request, markerAllowed: true)
    }

    /// Deletes the current object of `key` in a bucket that was never versioned, in one synced
    /// commit (conditional on the bucket record and the object being the ones read), and
    /// reclaims its blobs. In a versioned bucket a deletion adds a delete marker, which needs
    /// an owner and a time: use ``deleteObject(_:)`` (this one throws `.invalidArgument`).
    /// Throws `.noSuchBucket` if the bucket does not exist.
    /// - Returns: the deleted record, or nil if there was none.
    @discardableResult
    public func deleteObject(bucket: String, key objectKey: String, note: CommitNote? = nil) async throws(StorageError) -> ObjectRecord? {
        let request = ObjectDeletionRequest(bucket: bucket, key: objectKey, owner: "", date: Date(milliseconds: 0), note: note)
        return try await deleteObject(request, markerAllowed: false).removed
    }

    private func deleteObject(_ request: ObjectDeletionRequest, markerAllowed: Bool) async throws(StorageError) -> ObjectDeletion {
        try KeyLayout.validateBucketName(request.bucket)
        let key = KeyLayout.object(bucket: request.bucket, key: request.key)
        let deletion = try await optimistically(inTurnOf: key) { () throws(StorageError) -> ObjectDeletion in
            let (state, _) = try await readKeyState(bucket: request.bucket, key: request.key)
            var batch = MetadataBatch()
            state.pin(&batch)
            let deletion: ObjectDeletion
            switch request.version {
            case .current where state.versioning == nil:
                guard let object = state.object else { return ObjectDeletion() }
                batch.delete(state.objectKey)
                deletion = ObjectDeletion(removed: object)
            case .current:
                guard markerAllowed else {
                    throw StorageError(.invalidArgument, "a deletion in a versioned bucket needs a delete marker's owner and time")
                }
                let marker = ObjectRecord.deleteMarker(bucket: request.bucket, key: request.key, owner: request.owner, date: request.date)
                let placement = try place(marker, in: state, keptNull: try await keptNullToReplace(state), batch: &batch)
                deletion = ObjectDeletion(marker: placement.record, removed: placement.removed.first)
            case .null, .id:
                guard let found = try await removeVersion(request.version, of: state, in: &batch) else { return ObjectDeletion() }
                deletion = found
            }
            if let removed = deletion.removed {
                // Checked on the version as read, which the commit pins: a lock set meanwhile
                // fails the commit, and the next round refuses.
                let protection = ObjectLockRules.protection(of: removed, at: request.date, bypassGovernance: request.bypassGovernanceRetention)
                if let protection { throw StorageError.objectLocked(protection) }
                Self.markGarbage(Self.unique(removed.segments.map(\.id)), in: &batch)
            }
            let removals = try attach(request.note, to: &batch)
            try await commit(batch, carrying: removals)
            return deletion
        }
        if let removed = deletion.removed { try await reclaim(Self.unique(removed.segments.map(\.id))) }
        return deletion
    }

    /// Adds to `batch` the removal of the version `selector` names (a version id, or `null`),
    /// promoting the next version when it is the current one; nil when there is no such
    /// version. The caller marks the removed version's blobs garbage.
    private func removeVersion(_ selector: VersionSelector, of state: KeyState, in batch: inout MetadataBatch) async throws(StorageError) -> ObjectDeletion? {
        if let head = state.head, Self.selects(selector, head) {
            let next = try await newestStoredVersion(state)
            removeHead(of: state, promoting: next, in: &batch)
            return ObjectDeletion(removed: head, promoted: next?.record)
        }
        let stored: StoredVersion?
        switch selector {
        case .current: return nil
        case .null: stored = try await keptNullVersion(state)
        case .id(let id):
            stored = try await storedVersion(state, at: id.stamp).flatMap { $0.record.versionId == id ? $0 : nil }
        }
        guard let stored else { return nil }
        removeStoredVersion(stored, of: state, in: &batch)
        return ObjectDeletion(removed: stored.record)
    }

    /// Whether `selector` names `record` (a version id, or `null`; never ``VersionSelector/current``).
    static func selects(_ selector: VersionSelector, _ record: ObjectRecord) -> Bool {
        switch selector {
        case .current: false
        case .null: record.isNullVersion
        case .id(let id): record.versionId == id
        }
    }
}
