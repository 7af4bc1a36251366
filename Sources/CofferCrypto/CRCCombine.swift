/// Combines CRCs of two adjacent byte strings: `crc(A || B)` from `crc(A)`, `crc(B)` and
/// `B`'s length, without reading the bytes again (the method of zlib's `crc32_combine`).
/// Works for every reflected CRC whose initial value equals its final XOR (CRC-32,
/// CRC-32C, CRC-64/NVME). Used for FULL_OBJECT checksums of multipart uploads.
public enum CRCCombine {
    public static func combine(_ algorithm: ChecksumAlgorithm, _ first: [UInt8], _ second: [UInt8], secondLength: Int64) -> [UInt8]? {
        switch algorithm {
        case .crc32: bytes(Reflected<UInt32>(polynomial: 0xEDB8_8320).combine(word(first), word(second), secondLength))
        case .crc32c: bytes(Reflected<UInt32>(polynomial: 0x82F6_3B78).combine(word(first), word(second), secondLength))
        case .crc64nvme: bytes(Reflected<UInt64>(polynomial: 0x9A6C_9329_AC4B_C9B5).combine(word(first), word(second), secondLength))
        case .sha1, .sha256: nil
        }
    }

    private static func word<W: FixedWidthInteger>(_ bytes: [UInt8]) -> W {
        bytes.reduce(W.zero) { $0 << 8 | W($1) }
    }

    private static func bytes<W: FixedWidthInteger>(_ value: W) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    private struct Reflected<W: FixedWidthInteger & UnsignedInteger> {
        let polynomial: W
        var top: W { W(1) << (W.bitWidth - 1) }

        /// a * b modulo the polynomial, in the reflected bit order.
        func multiply(_ a: W, _ b: W) -> W {
            var m = top
            var p: W = 0
            var b = b
            while true {
                if a & m != 0 {
                    p ^= b
                    if a & (m - 1) == 0 { break }
                }
                m >>= 1
                b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
            }
            return p
        }

        /// x^(n * 2^k) modulo the polynomial.
        func xPower(_ n: Int64, _ k: Int) -> W {
            var table: [W] = []
            var p = top >> 1  // x^1
            for _ in 0..<64 {
                table.append(p)
                p = multiply(p, p)
            }
            var result = top  // x^0
            var n = n
            var k = k
            while n != 0 {
                if n & 1 != 0 { result = multiply(table[k & 63], result) }
                n >>= 1
                k += 1
            }
            return result
        }

        func combine(_ crc1: W, _ crc2: W, _ length2: Int64) -> W {
            multiply(xPower(length2, 3), crc1) ^ crc2
        }
    }
}
