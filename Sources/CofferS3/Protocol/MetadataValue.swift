import CofferCrypto

/// User metadata values (`x-amz-meta-*`) as S3 treats them (Amazon S3 User Guide, "Working
/// with object metadata", user-defined metadata): a value with non-US-ASCII characters is
/// "character decoded as per RFC 2047 before storing and encoded as per RFC 2047 to make
/// them mail-safe before returning"; a value of US-ASCII only is presented as is.
///
/// So the stored value is the Unicode text the client meant, whichever way it sent it: raw
/// UTF-8 bytes in the header, ISO-8859-1 bytes (what Python's `http.client` sends for a
/// `str` value), or RFC 2047 encoded-words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`). A
/// GET answers such a value as one `=?UTF-8?B?...?=` encoded-word, which every mail-header
/// decoder (Python's `email.header`, Java's `MimeUtility`) turns back into the same text.
enum MetadataValue {
    /// The text of a received header value's bytes: UTF-8 when they are valid UTF-8, else
    /// ISO-8859-1 (each byte one character), with RFC 2047 encoded-words decoded.
    static func decode(_ bytes: some Collection<UInt8>) -> String {
        let text = String(validating: bytes, as: UTF8.self) ?? String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
        return decodeEncodedWords(text)
    }

    /// The header value that answers `text`: as is when it is printable US-ASCII, else one
    /// RFC 2047 encoded-word of its UTF-8 in base64.
    static func encode(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return text }
        return "=?UTF-8?B?" + Base64.encode(Array(text.utf8)) + "?="
    }

    /// Replaces every well-formed encoded-word (`=?charset?B|Q?text?=`, charsets UTF-8,
    /// ISO-8859-1 and US-ASCII) with its text; white space between two adjacent encoded-words
    /// is dropped, as RFC 2047 section 6.2 says. Anything else stays as it is.
    static func decodeEncodedWords(_ text: String) -> String {
        guard text.contains("=?") else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        var pendingSpace: [UInt8] = []   // white space after a decoded word, dropped if another follows
        var lastWasWord = false
        while i < bytes.count {
            if let (decoded, end) = encodedWord(bytes, at: i) {
                if !lastWasWord { out += pendingSpace }
                pendingSpace = []
                out += decoded
                i = end
                lastWasWord = true
                continue
            }
            if lastWasWord, bytes[i] == 0x20 || bytes[i] == 0x09 {
                pendingSpace.append(bytes[i])
                i += 1
                continue
            }
            out += pendingSpace
            pendingSpace = []
            lastWasWord = false
            out.append(bytes[i])
            i += 1
        }
        out += pendingSpace
        return String(decoding: out, as: UTF8.self)
    }

    /// The decoded UTF-8 of the encoded-word starting at `start`, and the index after it.
    private static func encodedWord(_ bytes: [UInt8], at start: Int) -> ([UInt8], Int)? {
        guard start + 1 < bytes.count, bytes[start] == UInt8(ascii: "="), bytes[start + 1] == UInt8(ascii: "?") else { return nil }
        // =?charset?encoding?text?=
        var parts: [[UInt8]] = []
        var current: [UInt8] = []
        var i = start + 2
        while i < bytes.count, parts.count < 3 {
            let b = bytes[i]
            if b == UInt8(ascii: "?") {
                if parts.count == 2 {
                    guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "=") else { return nil }
                    parts.append(current)
                    i += 2
                    break
                }
                parts.append(current)
                current = []
            } else if b <= 0x20 || b >= 0x7f {
                return nil   // encoded-words hold no white space and only ASCII
            } else {
                current.append(b)
            }
            i += 1
        }
        guard parts.count == 3 else { return nil }
        let charset = String(decoding: parts[0], as: UTF8.self).lowercased().split(separator: "*").first.map(String.init) ?? ""
        let raw: [UInt8]
        switch String(decoding: parts[1], as: UTF8.self).uppercased() {
        case "B":
            guard let decoded = Base64.decode(String(decoding: parts[2], as: UTF8.self)) else { return nil }
            raw = decoded
        case "Q":
            guard let decoded = quotedPrintable(parts[2]) else { return nil }
            raw = decoded
        default:
            return nil
        }
        switch charset {
        case "utf-8", "utf8":
            guard let text = String(validating: raw, as: UTF8.self) else { return nil }
            return (Array(text.utf8), i)
        case "iso-8859-1", "latin1", "us-ascii":
            if charset == "us-ascii", raw.contains(where: { $0 >= 0x80 }) { return nil }
            return (Array(String(decoding: raw.map { UInt16($0) }, as: UTF16.self).utf8), i)
        default:
            return nil
        }
    }

    /// RFC 2047's "Q" encoding: `_` is a space, `=XX` a byte.
    private static func quotedPrintable(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while i < text.count {
            switch text[i] {
            case UInt8(ascii: "_"):
                out.append(0x20)
                i += 1
            case UInt8(ascii: "="):
                guard i + 2 < text.count, let hex = Hex.decode(String(decoding: text[(i + 1)...(i + 2)], as: UTF8.self)) else { return nil }
                out += hex
                i += 3
            default:
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}
