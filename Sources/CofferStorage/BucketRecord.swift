import Foundation

/// A bucket, stored under `b bucket`.
public struct BucketRecord: StoredRecord {
    /// The bucket name (S3 naming rules are enforced by the S3 layer).
    public var name: String
    /// The owning user's name.
    public var owner: String
    /// The bucket's region.
    public var region: String
    /// Creation time (millisecond precision).
    public var createdAt: Date
    /// Generic settings reserved for later features (encryption configuration, policy...).
    public var settings: [String: String]

    /// Creates a record; `createdAt` is rounded to milliseconds so it round-trips exactly.
    public init(name: String, owner: String, region: String, createdAt: Date, settings: [String: String] = [:]) {
        self.name = name
        self.owner = owner
        self.region = region
        self.createdAt = createdAt.roundedToMilliseconds
        self.settings = settings
    }
}
