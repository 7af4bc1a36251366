import CofferCrypto

/// CloudTrail event ids: random (version 4) UUIDs in lower case.
///
/// Drawn from `SystemRandomNumberGenerator` (the `getrandom` system call): Foundation's
/// `UUID()` opens, reads and closes `/dev/urandom` on every call on Linux, and every audited
/// request makes one.
public enum EventID {
    /// A fresh version-4 UUID, e.g. `3f2b8c1e-9d4a-4f6e-8b2c-1a2b3c4d5e6f`.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return format((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// The UUID text of 16 bytes with the version (4) and variant (10xx) bits set.
    static func format(_ bytes: [UInt8]) -> String {
        var bytes = bytes
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // variant 10xx
        let hex = Hex.encode(bytes)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            hex.utf8.dropFirst(range.lowerBound).prefix(range.count)
        }
        return groups.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "-")
    }
}
