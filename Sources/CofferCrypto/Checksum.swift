import Foundation
import COpenSSL

/// The checksum algorithms S3 accepts in `x-amz-checksum-*` headers and trailers.
public enum ChecksumAlgorithm: String, Sendable, CaseIterable, Codable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// The header that carries this checksum, e.g. `x-amz-checksum-crc32`.
    public var headerName: String { "x-amz-checksum-\(rawValue.lowercased())" }

    /// Parses `CRC32`, `crc32`, ... as SDKs send in `x-amz-sdk-checksum-algorithm`.
    public init?(name: some StringProtocol) {
        self.init(rawValue: name.uppercased())
    }

    public init?(headerName: some StringProtocol) {
        let lower = headerName.lowercased()
        guard lower.hasPrefix("x-amz-checksum-") else { return nil }
        self.init(name: lower.dropFirst("x-amz-checksum-".count))
    }

    public var digestByteCount: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        }
    }

    public func makeHasher() -> ChecksumHasher { ChecksumHasher(self) }
}

/// A running checksum of one of the S3 algorithms; `finalize()` returns the big-endian digest
/// bytes whose base64 S3 puts on the wire.
public struct ChecksumHasher {
    private enum State {
        case crc32(UInt32)
        case crc32c(UInt32)
        case crc64(UInt64)
        case digest(Digest)
    }

    public let algorithm: ChecksumAlgorithm
    private var state: State

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: state = .crc32(0)
        case .crc32c: state = .crc32c(0)
        case .crc64nvme: state = .crc64(0)
        case .sha1: state = .digest(Digest(.sha1))
        case .sha256: state = .digest(Digest(.sha256))
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc32(let crc):
            var value = UInt(crc)
            var offset = 0
            while offset < bytes.count {
                let n = min(bytes.count - offset, Int(UInt32.max))
                value = COpenSSL.crc32(value, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self), UInt32(n))
                offset += n
            }
            state = .crc32(UInt32(truncatingIfNeeded: value))
        case .crc32c(let crc):
            state = .crc32c(CRC32C.update(crc, bytes))
        case .crc64(let crc):
            state = .crc64(CRC64NVME.update(crc, bytes))
        case .digest(let digest):
            digest.update(bytes)
        }
    }

    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> [UInt8] {
        switch state {
        case .crc32(let crc), .crc32c(let crc):
            return withUnsafeBytes(of: crc.bigEndian) { Array($0) }
        case .crc64(let crc):
            return withUnsafeBytes(of: crc.bigEndian) { Array($0) }
        case .digest(let digest):
            return digest.finalize()
        }
    }

    public func finalizeBase64() -> String { Base64.encode(finalize()) }

    public static func checksum<Bytes: ContiguousBytes>(_ algorithm: ChecksumAlgorithm, _ bytes: Bytes) -> [UInt8] {
        var hasher = ChecksumHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// Slicing-by-8 table-driven reflected CRCs.
private struct ReflectedCRCTables<Word: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    let tables: [[Word]]

    init(polynomial: Word) {
        var first = [Word](repeating: 0, count: 256)
        for i in 0..<256 {
            var crc = Word(i)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            first[i] = crc
        }
        var tables = [first]
        for k in 1..<8 {
            var table = [Word](repeating: 0, count: 256)
            for i in 0..<256 {
                let previous = tables[k - 1][i]
                table[i] = (previous >> 8) ^ first[Int(truncatingIfNeeded: previous & 0xff)]
            }
            tables.append(table)
        }
        self.tables = tables
    }

    func update(_ crc: Word, _ bytes: UnsafeRawBufferPointer) -> Word {
        var value = ~crc
        var i = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while i + 8 <= count {
                var chunk = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                chunk ^= UInt64(truncatingIfNeeded: value)
                let b = { (shift: UInt64) in Int(truncatingIfNeeded: (chunk >> shift) & 0xff) }
                value = t7[b(0)] ^ t6[b(8)] ^ t5[b(16)] ^ t4[b(24)] ^ t3[b(32)] ^ t2[b(40)] ^ t1[b(48)] ^ t0[b(56)]
                i += 8
            }
            while i < count {
                value = (value >> 8) ^ t0[Int(truncatingIfNeeded: (value ^ Word(bytes[i])) & 0xff)]
                i += 1
            }
        }
        return ~value
    }
}

enum CRC32C {
    private static let tables = ReflectedCRCTables<UInt32>(polynomial: 0x82F6_3B78)
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 { tables.update(crc, bytes) }
}

enum CRC64NVME {
    private static let tables = ReflectedCRCTables<UInt64>(polynomial: 0x9A6C_9329_AC4B_C9B5)
    static func update(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 { tables.update(crc, bytes) }
}
