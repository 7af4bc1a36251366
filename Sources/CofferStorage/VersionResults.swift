import Foundation

/// What committing an object (a PUT, a copy, a completed multipart upload) did to its key.
public struct ObjectCommit: Sendable, Equatable {
    /// The record as committed: in a versioned bucket with the version id (versioning
    /// enabled) and stamp the store gave it. S3's `x-amz-version-id` is its
    /// ``ObjectRecord/versionIdText`` (not sent for a bucket never versioned).
    public var record: ObjectRecord
    /// The version that was current before (an object or a delete marker), if any: kept as a
    /// noncurrent version, unless it is in ``removed``.
    public var replaced: ObjectRecord?
    /// The versions the commit removed for good, their blobs reclaimed: the replaced object of
    /// an unversioned bucket, or the `null` version a versioning-suspended bucket replaced
    /// (current or not).
    public var removed: [ObjectRecord]

    public init(record: ObjectRecord, replaced: ObjectRecord?, removed: [ObjectRecord]) {
        self.record = record
        self.replaced = replaced
        self.removed = removed
    }
}

/// A DeleteObject (or one key of DeleteObjects), as the store takes it.
public struct ObjectDeletionRequest: Sendable, Equatable {
    /// The bucket.
    public var bucket: String
    /// The object key.
    public var key: String
    /// Which version: ``VersionSelector/current`` adds a delete marker in a versioned bucket
    /// (removes the object in an unversioned one); a version id or `null` removes exactly
    /// that version.
    public var version: VersionSelector
    /// The owner and time of the delete marker the deletion may add.
    public var owner: String
    public var date: Date
    /// Committed with the deletion, when the deletion commits (``CommitNote``).
    public var note: CommitNote?
    /// `x-amz-bypass-governance-retention: true` from a caller allowed
    /// `s3:BypassGovernanceRetention`: a GOVERNANCE retention in force does not protect the
    /// version named (a COMPLIANCE one and a legal hold still do).
    public var bypassGovernanceRetention: Bool

    public init(
        bucket: String, key: String, version: VersionSelector = .current, owner: String, date: Date, note: CommitNote? = nil,
        bypassGovernanceRetention: Bool = false
    ) {
        self.bucket = bucket
        self.key = key
        self.version = version
        self.owner = owner
        self.date = date
        self.note = note
        self.bypassGovernanceRetention = bypassGovernanceRetention
    }
}

/// What a deletion did, as S3 answers it: `x-amz-version-id` and `x-amz-delete-marker`.
public struct ObjectDeletion: Sendable, Equatable {
    /// The delete marker the deletion added (no version named, versioned bucket): S3 answers
    /// `x-amz-delete-marker: true` and the marker's version id.
    public var marker: ObjectRecord?
    /// The version removed for good, its blobs reclaimed: the version named (S3 answers
    /// `x-amz-delete-marker: true` when it was a delete marker), the object of an unversioned
    /// bucket, or the `null` version a suspended bucket's new marker replaced. Nil when there
    /// was nothing to remove.
    public var removed: ObjectRecord?
    /// The version that became current because the deletion removed the current one (an
    /// object, or a delete marker); nil otherwise.
    public var promoted: ObjectRecord?

    public init(marker: ObjectRecord? = nil, removed: ObjectRecord? = nil, promoted: ObjectRecord? = nil) {
        self.marker = marker
        self.removed = removed
        self.promoted = promoted
    }

    /// Whether the deletion committed anything.
    public var changedAnything: Bool { marker != nil || removed != nil }
}

/// A version opened for reading.
public enum OpenedVersion: Sendable {
    /// An object version, with a reader of its body.
    case object(ObjectReader)
    /// A delete marker: S3 answers 404 (with `x-amz-delete-marker: true`) when it is the
    /// current version asked for without an id, and 405 MethodNotAllowed when asked for by id.
    case deleteMarker(ObjectRecord)

    /// The version's record.
    public var record: ObjectRecord {
        switch self {
        case .object(let reader): reader.record
        case .deleteMarker(let record): record
        }
    }
}
