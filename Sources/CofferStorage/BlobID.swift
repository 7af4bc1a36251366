/// The identity of a blob: 16 random bytes, written as 32 lowercase hex digits in records.
public struct BlobID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 16 identity bytes.
    public let bytes: [UInt8]

    /// Wraps 16 bytes; returns nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses 32 hex digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 32 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for i in stride(from: 0, to: 32, by: 2) {
            guard let hi = Self.nibble(digits[i]), let lo = Self.nibble(digits[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        self.bytes = bytes
    }

    /// A fresh identity for a blob written at `milliseconds` since 1970: those milliseconds
    /// in the first 6 bytes (big-endian), then 10 random bytes from `generator`. Blobs written
    /// later sort after earlier ones, so the chunks of new blobs land at the end of the chunk
    /// key space instead of all over it: LevelDB's compactions then mostly append (or move
    /// whole tables down) instead of merging new chunks into every level
    /// (docs/storage-layout.md). 80 random bits per millisecond: a repeat is not expected.
    public static func timeOrdered(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> BlobID {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: milliseconds >> UInt64(shift))) }
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 48, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return BlobID(bytes: bytes)!
    }

    /// The identity as 32 lowercase hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = BlobID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "blob id is not 32 hex digits"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A reference to a committed blob: the body (or part of it) stored as `chunkCount` chunks.
///
/// `size` is the logical (plaintext) byte count; chunk values may be larger (a later layer
/// stores sealed packages), so storage never derives one from the other.
public struct BlobRef: Hashable, Sendable, Codable {
    /// The blob's identity.
    public var id: BlobID
    /// Number of chunks, indexed 0..<chunkCount.
    public var chunkCount: Int
    /// Logical byte count of the blob's content.
    public var size: Int64
    /// An opaque header written by the layer that seals the chunks (the sealed-object format's
    /// per-blob salt and part number). Storage never interprets it; nil for a plain blob.
    public var header: String?

    /// Creates a reference.
    public init(id: BlobID, chunkCount: Int, size: Int64, header: String? = nil) {
        self.id = id
        self.chunkCount = chunkCount
        self.size = size
        self.header = header
    }
}
