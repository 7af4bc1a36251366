import Foundation

/// Object Lock changes of one version: PutObjectRetention and PutObjectLegalHold
/// (docs/storage-layout.md, "Object Lock"). The rules are ``ObjectLockRules``; each change is
/// judged against the record it replaces, inside the conditional rewrite of that record
/// (``rewriteVersion(bucket:key:_:note:_:)``), so two concurrent changes, or a change and a
/// deletion, never race past each other.
extension ObjectStore {
    /// Sets (or, with nil, removes) the retention of a version, in one synced commit, when
    /// ``ObjectLockRules/retentionChange(from:to:at:bypassGovernance:)`` allows it at `now`.
    /// Without a version (``VersionSelector/current``) the current object's.
    ///
    /// Throws `.noSuchBucket`; `.objectLockNotEnabled` in a bucket without Object Lock;
    /// `.notFound` or `.deleteMarker` as ``replaceObjectTags(bucket:key:version:tags:note:)``
    /// does; `.invalidArgument` when the new retention does not end after `now`; and
    /// `.objectLocked` (naming the current retention) when the current retention forbids the
    /// change. Then nothing, not even `note`, is written.
    /// - Returns: the version's record before and after.
    @discardableResult
    public func putRetention(
        bucket: String, key: String, version: VersionSelector = .current, retention: ObjectRetention?,
        bypassGovernance: Bool = false, now: Date, note: CommitNote? = nil
    ) async throws(StorageError) -> VersionChange {
        try await requireObjectLock(bucket)
        return try await rewriteVersion(bucket: bucket, key: key, version, note: note) { (record) throws(StorageError) in
            switch ObjectLockRules.retentionChange(from: record.retention, to: retention, at: now, bypassGovernance: bypassGovernance) {
            case .allowed: record.retention = retention
            case .retainUntilNotInFuture: throw StorageError(.invalidArgument, "the retain until date must be in the future")
            case .protected(let current): throw StorageError.objectLocked(.retention(current))
            }
        }
    }

    /// Turns the legal hold of a version on or off (stored as `ON` or `OFF`), in one synced
    /// commit; anyone allowed to may, whatever the retention. Without a version the current
    /// object's.
    ///
    /// Throws `.noSuchBucket`; `.objectLockNotEnabled` in a bucket without Object Lock;
    /// `.notFound` or `.deleteMarker` as ``replaceObjectTags(bucket:key:version:tags:note:)``
    /// does. Then nothing, not even `note`, is written.
    /// - Returns: the version's record before and after.
    @discardableResult
    public func putLegalHold(
        bucket: String, key: String, version: VersionSelector = .current, on: Bool, note: CommitNote? = nil
    ) async throws(StorageError) -> VersionChange {
        try await requireObjectLock(bucket)
        return try await rewriteVersion(bucket: bucket, key: key, version, note: note) { $0.legalHold = on ? .on : .off }
    }

    /// Throws `.noSuchBucket`, or `.objectLockNotEnabled` unless the bucket has Object Lock
    /// (set when a bucket is created and never changed, so read once, outside the commit).
    private func requireObjectLock(_ name: String) async throws(StorageError) {
        try KeyLayout.validateBucketName(name)
        guard let bucket = try await bucket(named: name) else { throw StorageError(.noSuchBucket, "bucket \(name) does not exist") }
        guard bucket.hasObjectLock else { throw StorageError(.objectLockNotEnabled, "bucket \(name) is missing Object Lock configuration") }
    }
}
