/// Finds JSON objects with two member names that are different byte strings but equal Swift
/// `String`s (Swift compares strings by Unicode canonical equivalence, so `"\u{E9}"` and
/// `"e\u{301}"` are one dictionary key). KMS binds encryption contexts byte for byte; rather than
/// silently merging two such pairs into one, Coffer refuses the request.
///
/// A small tokenizer: it assumes the text already parsed as JSON (callers check that first)
/// and only looks at member names. Pure ASCII input cannot collide and returns at once.
public enum JSONKeyCollision {
    public static func exists(in bytes: [UInt8]) -> Bool {
        guard bytes.contains(where: { $0 >= 0x80 }) || containsUnicodeEscape(bytes) else { return false }
        // One frame per open object: member names seen (raw bytes) and whether a name comes next.
        var frames: [(names: [String: [UInt8]], expectingName: Bool)?] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append(([:], true))
                index += 1
            case UInt8(ascii: "["):
                frames.append(nil)
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = frames.popLast()
                index += 1
            case UInt8(ascii: ","):
                if let last = frames.last, last != nil { frames[frames.count - 1]!.expectingName = true }
                index += 1
            case UInt8(ascii: "\""):
                guard let (value, next) = string(bytes, from: index + 1) else { return false }
                index = next
                if let last = frames.last, let frame = last, frame.expectingName {
                    let name = String(decoding: value, as: UTF8.self)
                    if let seen = frame.names[name], seen != value { return true }
                    frames[frames.count - 1]!.names[name] = value
                    frames[frames.count - 1]!.expectingName = false
                }
            default:
                index += 1
            }
        }
        return false
    }

    static func containsUnicodeEscape(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                if bytes[index + 1] == UInt8(ascii: "u") { return true }
                index += 2
            } else {
                index += 1
            }
        }
        return false
    }

    /// The unescaped UTF-8 bytes of the string starting after its opening quote, and the index
    /// after its closing quote.
    static func string(_ bytes: [UInt8], from start: Int) -> ([UInt8], Int)? {
        var out: [UInt8] = []
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return (out, index + 1) }
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return nil }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "u"):
                guard var scalar = hex4(bytes, at: index) else { return nil }
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                   bytes[index + 1] == UInt8(ascii: "u"), let low = hex4(bytes, at: index + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                out += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            default: out.append(escape)
            }
        }
        return nil
    }

    static func hex4(_ bytes: [UInt8], at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
