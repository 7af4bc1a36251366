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
