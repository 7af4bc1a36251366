import Foundation

/// A bucket, stored under `b bucket` (record version 2; version 1 is read by
/// `RecordVersion1.swift`).
public struct BucketRecord: StoredRecord {
    public static var recordVersion: UInt8 { 2 }

    /// The bucket name (S3 naming rules are enforced by the S3 layer).
    public var name: String
    /// The owning user's name.
    public var owner: String
    /// The bucket's region.
    public var region: String
    /// Creation time (millisecond precision).
    public var createdAt: Date
    /// The bucket policy, exactly as the client sent it (S3 returns it byte for byte).
    public var policy: String?
    /// The default encryption configuration.
    public var encryption: BucketEncryption?
    /// The bucket's tags (PutBucketTagging), in the order sent; nil when none.
    public var tags: [StoredTag]?
    /// The versioning state (PutBucketVersioning); nil for a bucket that was never versioned.
    /// Once set it never returns to nil (``ObjectStore/updateBucket(named:_:)`` refuses that).
    public var versioning: BucketVersioning?
    /// Whether the bucket was created with Object Lock (reserved: set only when the bucket is
    /// created, and then with versioning enabled for good); nil when not.
    public var objectLockEnabled: Bool?
    /// The Object Lock configuration's default retention (PutObjectLockConfiguration's `Rule`),
    /// which the S3 layer gives new versions that name none; nil when none. Only in a bucket
    /// with Object Lock (``ObjectStore/updateBucket(named:_:)`` refuses it elsewhere).
    public var defaultRetention: DefaultRetention?

    /// Creates a record; `createdAt` is rounded to milliseconds so it round-trips exactly.
    public init(
        name: String, owner: String, region: String, createdAt: Date, policy: String? = nil, encryption: BucketEncryption? = nil,
        tags: [StoredTag]? = nil, versioning: BucketVersioning? = nil, objectLockEnabled: Bool? = nil,
        defaultRetention: DefaultRetention? = nil
    ) {
        self.name = name
        self.owner = owner
        self.region = region
        self.createdAt = createdAt.roundedToMilliseconds
        self.policy = policy
        self.encryption = encryption
        self.tags = tags.flatMap { $0.isEmpty ? nil : $0 }
        self.versioning = versioning
        self.objectLockEnabled = objectLockEnabled
        self.defaultRetention = defaultRetention
    }

    /// Whether the bucket was created with Object Lock.
    public var hasObjectLock: Bool { objectLockEnabled == true }

    /// Throws unless this record may be created as it is: a bucket with Object Lock has
    /// versioning enabled (`.invalidArgument`), and only such a bucket has a default retention
    /// (`.invalidBucketState`), a valid one (`.invalidArgument`).
    func checkCreation() throws(StorageError) {
        if hasObjectLock && versioning != .enabled {
            throw StorageError(.invalidArgument, "a bucket with Object Lock must have versioning enabled")
        }
        if let defaultRetention {
            guard hasObjectLock else { throw StorageError(.invalidBucketState, "the bucket was not created with Object Lock") }
            try defaultRetention.check()
        }
    }

    /// Throws unless this record may replace `old` (the stored one): the name stays,
    /// versioning never returns to unversioned, Object Lock never changes (`.invalidArgument`),
    /// a bucket with Object Lock keeps versioning enabled (`.invalidBucketState`), and the
    /// rules of ``checkCreation()`` hold.
    func checkUpdate(of old: BucketRecord) throws(StorageError) {
        guard name == old.name else { throw StorageError(.invalidArgument, "a bucket update cannot rename the bucket") }
        if old.versioning != nil && versioning == nil {
            throw StorageError(.invalidArgument, "a versioned bucket cannot become unversioned (suspend versioning instead)")
        }
        if (objectLockEnabled ?? false) != (old.objectLockEnabled ?? false) {
            throw StorageError(.invalidArgument, "Object Lock is set when a bucket is created and never changes")
        }
        if old.hasObjectLock && versioning != .enabled {
            throw StorageError(.invalidBucketState, "versioning of a bucket with Object Lock cannot be suspended")
        }
        try checkCreation()
    }
}

/// A bucket's versioning state, as PutBucketVersioning names it.
public enum BucketVersioning: String, Codable, Sendable, Hashable {
    /// Every write makes a new version with its own id.
    case enabled = "Enabled"
    /// Writes make the `null` version, replacing the previous one; older versions stay.
    case suspended = "Suspended"
}
