import Foundation

/// One uploaded part of a multipart upload, stored under `p uploadId 0x00 number(u32 BE)`.
public struct PartRecord: StoredRecord {
    /// The upload the part belongs to.
    public var uploadId: String
    /// The part number (1...10000).
    public var number: Int
    /// The part's logical size.
    public var size: Int64
    /// The part's ETag, without quotes.
    public var etag: String
    /// Upload time (millisecond precision).
    public var lastModified: Date
    /// The part's checksum, if any.
    public var checksum: StoredChecksum?
    /// The blob holding the part's bytes.
    public var blob: BlobRef

    /// Creates a record; `lastModified` is rounded to milliseconds so it round-trips exactly.
    public init(
        uploadId: String, number: Int, size: Int64, etag: String, lastModified: Date,
        checksum: StoredChecksum? = nil, blob: BlobRef
    ) {
        self.uploadId = uploadId
        self.number = number
        self.size = size
        self.etag = etag
        self.lastModified = lastModified.roundedToMilliseconds
        self.checksum = checksum
        self.blob = blob
    }
}
