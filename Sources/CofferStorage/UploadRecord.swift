import Foundation

/// An in-progress multipart upload, stored under `u bucket 0x00 key 0x00 uploadId`, with an
/// index entry under `U uploadId` (record version 2; version 1 is read by `RecordVersion1.swift`).
public struct UploadRecord: StoredRecord {
    public static var recordVersion: UInt8 { 2 }

    /// The bucket name.
    public var bucket: String
    /// The object key the upload will create.
    public var key: String
    /// The upload id: non-empty printable ASCII without spaces. Uploads of one key are listed
    /// in upload-id byte order, so ids should sort by initiation time.
    public var uploadId: String
    /// Initiation time (millisecond precision).
    public var initiated: Date
    /// The initiating user's name.
    public var owner: String
    /// Content headers to give the object, lowercased names.
    public var contentHeaders: [String: String]
    /// User metadata to give the object.
    public var userMetadata: [String: String]
    /// The checksum algorithm requested at creation, if any.
    public var checksumAlgorithm: String?
    /// The checksum type requested at creation, if any.
    public var checksumType: String?
    /// The storage class, e.g. `STANDARD`.
    public var storageClass: String
    /// How the upload's data key is kept; the completed object inherits it.
    public var encryption: ObjectEncryption?
    /// The tags to give the object (`x-amz-tagging` on CreateMultipartUpload), in the order
    /// sent; nil when none.
    public var tags: [StoredTag]?
    /// The nonce of the object the upload will make (``ObjectRecord/versionNonce``), drawn when
    /// the upload is created: every part is sealed binding it, and completion gives it to the
    /// object. nil for uploads created before sealed-object format version 2.
    public var versionNonce: VersionNonce?
    /// The Object Lock retention the completed object gets (CreateMultipartUpload's
    /// `x-amz-object-lock-*` headers, or the bucket's default retention when it was created);
    /// nil for none. Only in a bucket with Object Lock.
    public var retention: ObjectRetention?
    /// The legal hold the completed object gets; nil for none.
    public var legalHold: LegalHold?

    /// Creates a record; `initiated` is rounded to milliseconds so it round-trips exactly.
    public init(
        bucket: String, key: String, uploadId: String, initiated: Date, owner: String,
        contentHeaders: [String: String] = [:], userMetadata: [String: String] = [:],
        checksumAlgorithm: String? = nil, checksumType: String? = nil,
        storageClass: String = "STANDARD", encryption: ObjectEncryption? = nil, tags: [StoredTag]? = nil,
        versionNonce: VersionNonce? = nil
    ) {
        self.bucket = bucket
        self.key = key
        self.uploadId = uploadId
        self.initiated = initiated.roundedToMilliseconds
        self.owner = owner
        self.contentHeaders = contentHeaders
        self.userMetadata = userMetadata
        self.checksumAlgorithm = checksumAlgorithm
        self.checksumType = checksumType
        self.storageClass = storageClass
        self.encryption = encryption
        self.tags = tags.flatMap { $0.isEmpty ? nil : $0 }
        self.versionNonce = versionNonce
    }
}

/// The `U uploadId` index entry: where to find an upload's record.
struct UploadIndexRecord: StoredRecord {
    var bucket: String
    var key: String
}
