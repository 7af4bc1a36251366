import CofferCrypto

/// What a LevelDB MANIFEST says the database holds, read without opening the database: the
/// live table files (level, number, size), the log file to replay, the next file number and
/// the last sequence number. Coffer reads it before `leveldb_open`, which deletes every table
/// file the MANIFEST does not list: a MANIFEST that lost its newest edits would otherwise take
/// the tables of those edits with it (issue 12).
///
/// The MANIFEST is a LevelDB log file (leveldb's `doc/log_format.md`): 32 KiB blocks of
/// records, each `crc32c(masked) u32le, length u16le, type u8, data`, a record split over
/// blocks as FIRST, MIDDLE..., LAST. Each record's data is a `VersionEdit` (leveldb's
/// `db/version_edit.cc`): tagged fields, varint-encoded.
public struct LevelDBManifest: Sendable, Equatable {
    /// A table file the MANIFEST lists as live.
    public struct Table: Sendable, Hashable {
        public let level: Int
        public let number: UInt64
        public let size: UInt64
    }

    /// The live tables, by file number.
    public private(set) var tables: [UInt64: Table] = [:]
    /// The log file whose records are not yet in a table (0: none).
    public private(set) var logNumber: UInt64?
    /// The next file number LevelDB will use: every file it made has a smaller number.
    public private(set) var nextFileNumber: UInt64?
    /// The sequence number of the last write in a table.
    public private(set) var lastSequence: UInt64?
    /// The comparator the database was made with.
    public private(set) var comparator: String?
    /// Complete edits read.
    public private(set) var edits = 0
    /// Whether the file ended inside a record (a write torn by a crash; LevelDB ignores it).
    public private(set) var tornTail = false

    /// Parses a MANIFEST's bytes. Throws on a record whose checksum fails or an edit that does
    /// not decode, anywhere but in a torn last record.
    public init(bytes: [UInt8]) throws(ManifestError) {
        var reader = LogReader(bytes: bytes)
        while let record = try reader.next() {
            try apply(record)
            edits += 1
        }
        tornTail = reader.tornTail
    }

    private mutating func apply(_ record: ArraySlice<UInt8>) throws(ManifestError) {
        var input = Decoder(bytes: record)
        while !input.isAtEnd {
            switch try input.varint() {
            case 1: comparator = String(decoding: try input.lengthPrefixed(), as: UTF8.self)
            case 2: logNumber = try input.varint()
            case 3: nextFileNumber = try input.varint()
            case 4: lastSequence = try input.varint()
            case 5:  // compaction pointer: level, internal key
                _ = try input.varint()
                _ = try input.lengthPrefixed()
            case 6:  // deleted file: level, number
                _ = try input.varint()
                tables[try input.varint()] = nil
            case 7:  // new file: level, number, size, smallest key, largest key
                let level = try input.varint(), number = try input.varint(), size = try input.varint()
                _ = try input.lengthPrefixed()
                _ = try input.lengthPrefixed()
                guard level < 16 else { throw ManifestError("a new table at level \(level)") }
                tables[number] = Table(level: Int(level), number: number, size: size)
            case 9: _ = try input.varint()  // previous log number (unused since LevelDB 1.2)
            case let tag: throw ManifestError("an edit with the unknown tag \(tag)")
            }
        }
    }
}

/// A MANIFEST that cannot be read as LevelDB wrote it.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The records of a LevelDB log file.
private struct LogReader {
    static let blockSize = 32 * 1024
    static let headerSize = 7

    let bytes: [UInt8]
    var offset = 0
    var tornTail = false

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The next complete record; nil at the end (`tornTail` set when the end cut a record).
    mutating func next() throws(ManifestError) -> ArraySlice<UInt8>? {
        var assembled: [UInt8]? = nil
        while true {
            let leftInBlock = Self.blockSize - offset % Self.blockSize
            if leftInBlock < Self.headerSize {
                offset += leftInBlock  // the block's zero trailer
                continue
            }
            guard offset + Self.headerSize <= bytes.count else {
                tornTail = assembled != nil || offset < bytes.count
                return nil
            }
            let length = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8
            let type = bytes[offset + 6]
            let start = offset + Self.headerSize
            if type == 0 && length == 0 {
                // A zero header: space LevelDB preallocated and never wrote (mmap'ed writes).
                tornTail = assembled != nil || bytes[offset...].contains { $0 != 0 }
                return nil
            }
            guard length <= leftInBlock - Self.headerSize else { throw ManifestError("a record longer than its block at byte \(offset)") }
            guard start + length <= bytes.count else {
                tornTail = true
                return nil
            }
            let data = bytes[start..<start + length]
            guard Self.maskedCRC(type: type, data) == Self.storedCRC(bytes, at: offset) else {
                throw ManifestError("a record whose checksum fails at byte \(offset)")
            }
            offset = start + length
            switch (type, assembled) {
            case (1, nil): return data
            case (2, nil): assembled = Array(data)
            case (3, .some): assembled!.append(contentsOf: data)
            case (4, .some(let whole)): return (whole + data)[...]
            default: throw ManifestError("a record fragment of type \(type) out of order at byte \(offset - length - Self.headerSize)")
            }
        }
    }

    static func storedCRC(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    /// LevelDB's masked CRC-32C of the type byte and the data.
    static func maskedCRC(type: UInt8, _ data: ArraySlice<UInt8>) -> UInt32 {
        var hasher = ChecksumHasher(.crc32c)
        hasher.update([type])
        hasher.update(Array(data))
        let crc = hasher.finalize().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// Reads the fields of one edit.
private struct Decoder {
    var bytes: ArraySlice<UInt8>

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func varint() throws(ManifestError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard let byte = bytes.popFirst() else { throw ManifestError("an edit cut inside a number") }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw ManifestError("a number longer than 64 bits")
    }

    mutating func lengthPrefixed() throws(ManifestError) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.count) else { throw ManifestError("an edit cut inside a key") }
        defer { bytes = bytes.dropFirst(Int(length)) }
        return bytes.prefix(Int(length))
    }
}
