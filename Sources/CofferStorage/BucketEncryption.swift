/// A bucket's default encryption (S3's PutBucketEncryption), stored in
/// `BucketRecord.encryption`: the algorithm new objects get when a request names none, and
/// the encryption types the bucket refuses (S3's BlockedEncryptionTypes: today only SSE-C).
///
/// Stored as `{"algorithm", "kmsMasterKeyId"?, "bucketKeyEnabled"?, "blockedEncryptionTypes"}`,
/// the same fields a version-1 record kept as a JSON string in `settings["encryption"]`.
public struct BucketEncryption: Codable, Sendable, Hashable {
    /// `SSEAlgorithm` as S3 names it.
    public enum Algorithm: String, Codable, Sendable {
        case aes256 = "AES256"
        case awsKMS = "aws:kms"
        case awsKMSDSSE = "aws:kms:dsse"
    }

    /// An encryption type a bucket can block.
    public enum BlockedType: String, Codable, Sendable {
        case sseC = "SSE-C"
    }

    public var algorithm: Algorithm
    /// The KMS key new `aws:kms` objects get (nil: the AWS managed `aws/s3` key).
    public var kmsMasterKeyId: String?
    /// `BucketKeyEnabled` as given (nil when the configuration did not say).
    public var bucketKeyEnabled: Bool?
    /// Empty when nothing is blocked (`NONE` on the wire).
    public var blockedEncryptionTypes: [BlockedType]

    public init(algorithm: Algorithm, kmsMasterKeyId: String? = nil, bucketKeyEnabled: Bool? = nil, blockedEncryptionTypes: [BlockedType] = []) {
        self.algorithm = algorithm
        self.kmsMasterKeyId = kmsMasterKeyId
        self.bucketKeyEnabled = bucketKeyEnabled
        self.blockedEncryptionTypes = blockedEncryptionTypes
    }

    public var blocksSSEC: Bool { blockedEncryptionTypes.contains(.sseC) }
}
