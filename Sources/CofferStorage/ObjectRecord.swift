import Foundation

/// A checksum stored with an object or part.
public struct StoredChecksum: Codable, Sendable, Hashable {
    /// The algorithm, e.g. `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`.
    public var algorithm: String
    /// The checksum value, base64.
    public var value: String
    /// `FULL_OBJECT` or `COMPOSITE`.
    public var type: String

    /// Creates a checksum.
    public init(algorithm: String, value: String, type: String) {
        self.algorithm = algorithm
        self.value = value
        self.type = type
    }
}

/// A summary of one part of an object completed by multipart upload.
public struct PartSummary: Codable, Sendable, Hashable {
    /// The part number (1...10000).
    public var number: Int
    /// The part's logical size.
    public var size: Int64
    /// The part's ETag, without quotes.
    public var etag: String
    /// The part's checksum value (base64), if one was supplied.
    public var checksum: String?

    /// Creates a part summary.
    public init(number: Int, size: Int64, etag: String, checksum: String? = nil) {
        self.number = number
        self.size = size
        self.etag = etag
        self.checksum = checksum
    }
}

/// An object version, stored under `o bucket 0x00 key` while it is the current version, and
/// under `v` once a newer version replaced it in a versioned bucket; or a delete marker, stored
/// under `d` while it is current and under `v` after (record version 2; version 1 is read by
/// `RecordVersion1.swift`; docs/storage-layout.md, "Versions").
///
/// The body is the concatenation of `segments`, each blob's chunks in order. Every blob is
/// owned by exactly one record: removing a version reclaims the blobs it alone referenced.
public struct ObjectRecord: StoredRecord {
    public static var recordVersion: UInt8 { 2 }

    /// The bucket name.
    public var bucket: String
    /// The object key (arbitrary UTF-8).
    public var key: String
    /// The logical size of the body.
    public var size: Int64
    /// The ETag, without quotes.
    public var etag: String
    /// Last modification time (millisecond precision).
    public var lastModified: Date
    /// The owning user's name.
    public var owner: String
    /// Stored content headers with lowercased names (content-type, content-encoding, ...).
    public var contentHeaders: [String: String]
    /// User metadata: `x-amz-meta-*` names without the prefix, lowercased.
    public var userMetadata: [String: String]
    /// The object's checksum, if any.
    public var checksum: StoredChecksum?
    /// Parts of an object completed by multipart upload.
    public var parts: [PartSummary]?
    /// The blobs whose concatenation is the body.
    public var segments: [BlobRef]
    /// The storage class, e.g. `STANDARD`.
    public var storageClass: String
    /// How the object's data key is kept (nil only for records of a store that seals nothing,
    /// such as storage tests; the S3 layer refuses to serve such a record).
    public var encryption: ObjectEncryption?
    /// The object's tags in the order they were set; nil when it has none (never empty, so a
    /// record without tags is the bytes it was before tags existed).
    public var tags: [StoredTag]?
    /// The version id the store gave this version in a versioning-enabled bucket; nil for the
    /// `null` version (every object of an unversioned bucket, every record written before
    /// versioning existed, and what a versioning-suspended bucket writes). Set by the store
    /// when it commits: the value a caller passes is ignored.
    public var versionId: VersionID?
    /// The version's place among its key's versions (equal to `versionId.stamp` when there is
    /// an id), set by the store in a versioned bucket; nil on records of buckets never
    /// versioned, whose place is ``stamp``'s default.
    public var versionStamp: VersionStamp?
    /// true for a delete marker (no body: no segments, no parts, size 0), nil otherwise.
    public var deleteMarker: Bool?
    /// The version's Object Lock retention, nil when it has none (only in a bucket with Object
    /// Lock; changed by ``ObjectStore/putRetention(bucket:key:version:retention:bypassGovernance:now:note:)``).
    public var retention: ObjectRetention?
    /// The version's legal hold, nil when it was never given one (only in a bucket with Object
    /// Lock; changed by ``ObjectStore/putLegalHold(bucket:key:version:on:note:)``).
    public var legalHold: LegalHold?
    /// The 16 random bytes the S3 layer drew for the write that made this version, before it
    /// sealed anything: every package of the version binds them (sealed-object format
    /// version 2), and in a versioning-enabled bucket the store makes them the random part of
    /// ``versionId``. nil on records written before format version 2 (their blobs are version
    /// 1) and on delete markers. Kept by every rewrite of the record (tags, key rotation).
    public var versionNonce: VersionNonce?

    /// Whether this record is a delete marker.
    public var isDeleteMarker: Bool { deleteMarker == true }

    /// Whether this is the `null` version.
    public var isNullVersion: Bool { versionId == nil }

    /// The nonce this version's packages bind: ``versionNonce``, which must be the random part
    /// of ``versionId`` when the version has one (the store made it so), so that a record given
    /// another version's nonce along with its data still names its own. nil when the record
    /// has none; `.invalidRecord` when the two disagree (a damaged or tampered record).
    public func boundVersionNonce() throws(StorageError) -> VersionNonce? {
        guard let versionNonce else { return nil }
        if let versionId, versionId.nonce != versionNonce.bytes {
            throw StorageError(.invalidRecord, "the version nonce of \(bucket)/\(key) is not its version id's")
        }
        return versionNonce
    }

    /// The version id as S3 shows it: the id, or `null`.
    public var versionIdText: String { versionId?.description ?? "null" }

    /// The version's place among its key's versions: ``versionStamp``, or for a record that
    /// has none (written in a bucket never versioned) the first stamp of its `lastModified`
    /// millisecond. Such a record is its key's only version until the bucket is versioned, and
    /// every version written after it gets a later stamp.
    public var stamp: VersionStamp { versionStamp ?? VersionStamp(date: lastModified) }

    /// A delete marker for `key`, made by `owner` at `date` (the store gives it its version).
    public static func deleteMarker(bucket: String, key: String, owner: String, date: Date) -> ObjectRecord {
        var record = ObjectRecord(bucket: bucket, key: key, size: 0, etag: "", lastModified: date, owner: owner, segments: [])
        record.deleteMarker = true
        return record
    }

    /// Creates a record; `lastModified` is rounded to milliseconds so it round-trips exactly.
    public init(
        bucket: String, key: String, size: Int64, etag: String, lastModified: Date, owner: String,
        contentHeaders: [String: String] = [:], userMetadata: [String: String] = [:],
        checksum: StoredChecksum? = nil, parts: [PartSummary]? = nil, segments: [BlobRef],
        storageClass: String = "STANDARD", encryption: ObjectEncryption? = nil, tags: [StoredTag]? = nil,
        versionNonce: VersionNonce? = nil
    ) {
        self.bucket = bucket
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified.roundedToMilliseconds
        self.owner = owner
        self.contentHeaders = contentHeaders
        self.userMetadata = userMetadata
        self.checksum = checksum
        self.parts = parts
        self.segments = segments
        self.storageClass = storageClass
        self.encryption = encryption
        self.tags = tags.flatMap { $0.isEmpty ? nil : $0 }
        self.versionNonce = versionNonce
    }
}
