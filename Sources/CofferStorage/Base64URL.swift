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
