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

    /// Creates a record; `createdAt` is rounded to milliseconds so it round-trips exactly.
    public init(
        name: String, owner: String, region: String, createdAt: Date, policy: String? = nil, encryption: BucketEncryption? = nil,
        tags: [StoredTag]? = nil
    ) {
        self.name = name
        self.owner = owner
        self.region = region
        self.createdAt = createdAt.roundedToMilliseconds
        self.policy = policy
        self.encryption = encryption
        self.tags = tags.flatMap { $0.isEmpty ? nil : $0 }
    }
}
