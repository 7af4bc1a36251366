import Foundation

/// The place of one version among the versions of its object key: milliseconds since 1970 in
/// the high bits, a sequence number in the low 16 bits. Each key's versions have strictly
/// increasing stamps in the order they were written: a new version takes the stamp of its
/// `lastModified` or, when that is not later (two writes in one millisecond, a clock set
/// back, another node's clock), the newest version's stamp plus one. The newest version of a
/// key is its current version (docs/storage-layout.md, "Versions").
///
/// Stamps stay below 2⁶³ so that records can store them as JSON integers.
public struct VersionStamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The stamp's value.
    public let rawValue: UInt64

    /// The largest stamp a version may have.
    public static let max = VersionStamp(unchecked: UInt64(Int64.max))

    /// Wraps a value; nil above ``max``.
    public init?(rawValue: UInt64) {
        guard rawValue <= UInt64(Int64.max) else { return nil }
        self.rawValue = rawValue
    }

    private init(unchecked rawValue: UInt64) { self.rawValue = rawValue }

    /// The first stamp of the millisecond of `date` (0 for dates before 1970).
    public init(date: Date) {
        let milliseconds = UInt64(Swift.max(0, Date.milliseconds(of: date)))
        rawValue = Swift.min(milliseconds, UInt64(Int64.max) >> 16) << 16
    }

    /// The stamp of a version written at `date` after `newest`, the newest version of its key
    /// (nil when the key has none): later than both. `.invalidArgument` once ``max`` is
    /// reached (not before the year 4000 with honest clocks).
    static func next(after newest: VersionStamp?, at date: Date) throws(StorageError) -> VersionStamp {
        let own = VersionStamp(date: date)
        guard let newest, newest >= own else { return own }
        guard newest < .max else { throw StorageError(.invalidArgument, "the version stamps of the key are exhausted") }
        return VersionStamp(unchecked: newest.rawValue + 1)
    }

    /// 8 bytes that sort newest first: `UInt64.max - rawValue`, big-endian.
    var descendingBytes: [UInt8] { KeyLayout.bigEndian(UInt64.max - rawValue) }

    /// The stamp of ``descendingBytes``; nil for any other length or a value above ``max``.
    init?(descendingBytes bytes: some Collection<UInt8>) {
        guard let inverted = KeyLayout.readBigEndian64(bytes) else { return nil }
        self.init(rawValue: UInt64.max - inverted)
    }

    public static func < (a: VersionStamp, b: VersionStamp) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(UInt64.self)
        guard let stamp = VersionStamp(rawValue: value) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "version stamp out of range"))
        }
        self = stamp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { String(rawValue) }
}

/// An S3 version id other than `null`, made by the store when it commits a version in a
/// versioning-enabled bucket: 32 characters of unpadded base64url (`A-Z a-z 0-9 - _`) encoding
/// 24 bytes, the version's ``VersionStamp`` (8 bytes, big-endian) and 16 random bytes.
///
/// The stamp tells the store where the version is (a lookup by id is one read); the random
/// bytes make ids unguessable and unique across nodes, and a lookup checks the whole id, so an
/// id with a right stamp and wrong random bytes names no version. `null`, the id of the null
/// version, is never a `VersionID` (see ``VersionSelector``).
public struct VersionID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The version's place among its key's versions.
    public let stamp: VersionStamp
    /// The 16 random bytes.
    let nonce: [UInt8]

    /// The length of every id's text.
    public static let textCount = 32

    init(stamp: VersionStamp, nonce: [UInt8]) {
        precondition(nonce.count == 16)
        self.stamp = stamp
        self.nonce = nonce
    }

    /// A new id for a version at `stamp`, its random bytes from `generator`.
    static func make(stamp: VersionStamp, using generator: inout some RandomNumberGenerator) -> VersionID {
        var nonce: [UInt8] = []
        nonce.reserveCapacity(16)
        for _ in 0..<2 {
            let random: UInt64 = generator.next()
            nonce.append(contentsOf: KeyLayout.bigEndian(random))
        }
        return VersionID(stamp: stamp, nonce: nonce)
    }

    /// Parses an id this store made; nil for anything else (`null` included). The text must be
    /// exactly what ``description`` writes (canonical base64url, no padding).
    public init?(_ text: String) {
        guard text.utf8.count == Self.textCount, let bytes = Base64URL.decode(text), bytes.count == 24,
              let raw = KeyLayout.readBigEndian64(bytes.prefix(8)), let stamp = VersionStamp(rawValue: raw)
        else { return nil }
        self.init(stamp: stamp, nonce: Array(bytes.suffix(16)))
        guard description == text else { return nil }
    }

    /// The id as clients see it.
    public var description: String {
        Base64URL.encode(KeyLayout.bigEndian(stamp.rawValue) + nonce)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = VersionID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a version id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Which version of a key an operation names: S3's `versionId` parameter, parsed.
public enum VersionSelector: Sendable, Hashable {
    /// No version id: the current version (for a deletion: add a delete marker in a versioned
    /// bucket, remove the object in an unversioned one).
    case current
    /// `versionId=null`: the null version (the one object of an unversioned bucket, and what a
    /// versioning-suspended bucket writes).
    case null
    /// A version id the store made.
    case id(VersionID)

    /// The selector for a `versionId` value: absent is ``current``, `null` is ``null``; nil when
    /// the value is no id this store makes (S3 answers `InvalidArgument`).
    public init?(versionId: String?) {
        guard let versionId else { self = .current; return }
        if versionId == "null" { self = .null; return }
        guard let id = VersionID(versionId) else { return nil }
        self = .id(id)
    }
}

/// Unpadded base64url (RFC 4648, section 5), for the 24 bytes of a version id.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let chunk = bytes[i..<min(i + 3, bytes.count)]
            var value: UInt32 = 0
            for byte in chunk { value = value << 8 | UInt32(byte) }
            value <<= UInt32(8 * (3 - chunk.count))
            for j in 0...chunk.count { out.append(alphabet[Int(value >> UInt32(18 - 6 * j) & 0x3F)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or nil for a character outside the alphabet or a length no
    /// unpadded encoding has. Leftover bits must be zero (canonical text only).
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for character in text.utf8 {
            guard let value = sextet(character) else { return nil }
            values.append(value)
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i < values.count {
            let group = values[i..<min(i + 4, values.count)]
            var value: UInt32 = 0
            for sextet in group { value = value << 6 | UInt32(sextet) }
            value <<= UInt32(6 * (4 - group.count))
            let byteCount = group.count - 1
            for j in 0..<byteCount { out.append(UInt8(truncatingIfNeeded: value >> UInt32(16 - 8 * j))) }
            if value & (0xFFFFFF >> UInt32(8 * byteCount)) != 0 { return nil }
            i += 4
        }
        return out
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
