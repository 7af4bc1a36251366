/// One tag of an object, a multipart upload or a bucket: a key and its value, as the client sent
/// them. Records keep tags in the order they were sent, because S3 answers them in that order.
///
/// Tags are metadata: they are stored in the clear in the record, like user metadata, and are
/// never sealed with the object's data key (docs/key-hierarchy.md). The S3 layer validates them
/// (S3's limits and characters) before they reach a record.
public struct StoredTag: Codable, Sendable, Hashable {
    /// The tag key (1 to 128 characters).
    public var key: String
    /// The tag value (0 to 256 characters).
    public var value: String

    /// Creates a tag.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
