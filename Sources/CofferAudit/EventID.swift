/// CloudTrail event ids: random (version 4) UUIDs in lower case.
///
/// Drawn from `SystemRandomNumberGenerator` (the `getrandom` system call) and formatted by
/// hand: Foundation's `UUID()` opens, reads and closes `/dev/urandom` on every call on Linux,
/// and every audited request makes one.
public enum EventID {
    /// A fresh version-4 UUID, e.g. `3f2b8c1e-9d4a-4f6e-8b2c-1a2b3c4d5e6f`.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return format(high: generator.next(), low: generator.next())
    }

    /// The UUID text of 128 bits with the version (4) and variant (10xx) bits set.
    static func format(high: UInt64, low: UInt64) -> String {
        let high = (high & ~0xF000) | 0x4000  // version 4 in bits 12...15 of the third group
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10xx
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ word: UInt64, nibbles: Range<Int>) {
                for nibble in nibbles.reversed() {
                    buffer[index] = digits[Int((word >> UInt64(nibble * 4)) & 0xF)]
                    index += 1
                }
            }
            put(high, nibbles: 8..<16)
            buffer[index] = UInt8(ascii: "-"); index += 1
            put(high, nibbles: 4..<8)
            buffer[index] = UInt8(ascii: "-"); index += 1
            put(high, nibbles: 0..<4)
            buffer[index] = UInt8(ascii: "-"); index += 1
            put(low, nibbles: 12..<16)
            buffer[index] = UInt8(ascii: "-"); index += 1
            put(low, nibbles: 0..<12)
            return index
        }
    }
}
