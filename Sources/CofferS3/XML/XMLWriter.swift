/// A minimal streaming XML writer for S3 response documents. It writes the declaration,
/// escapes text and attribute values, and keeps no DOM.
public struct XMLWriter: Sendable {
    /// What becomes of a character XML 1.0 does not allow (C0 controls other than tab, line
    /// feed and carriage return; U+FFFE, U+FFFF).
    public enum InvalidCharacters: Sendable {
        /// Replaced by U+FFFD, so that every XML 1.0 parser reads the document: for errors
        /// and results that only echo what a request carried.
        case replaced
        /// Written as a character reference (`&#x1;`), as S3 writes object keys in listings
        /// and results: the key stays exact for lenient parsers, and clients that need a
        /// strict parser ask for `encoding-type=url`.
        case referenced
    }

    private(set) var output: String
    let invalidCharacters: InvalidCharacters

    public init(declaration: Bool = true, invalidCharacters: InvalidCharacters = .replaced) {
        output = declaration ? #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" : ""
        self.invalidCharacters = invalidCharacters
    }

    /// Writes `<name attrs>` ... `</name>` around the elements written by `body`.
    public mutating func element(_ name: String, attributes: [(String, String)] = [], _ body: (inout XMLWriter) -> Void) {
        output += "<\(name)"
        for (key, value) in attributes { output += " \(key)=\"\(Self.escape(value, invalidCharacters))\"" }
        output += ">"
        body(&self)
        output += "</\(name)>"
    }

    /// Writes `<name>text</name>`.
    public mutating func element(_ name: String, _ text: String) {
        output += "<\(name)>\(Self.escape(text, invalidCharacters))</\(name)>"
    }

    /// Writes `<name>text</name>` when `text` is not nil.
    public mutating func optionalElement(_ name: String, _ text: String?) {
        if let text { element(name, text) }
    }

    /// Writes escaped character data inside the current element.
    public mutating func text(_ text: String) { output += Self.escape(text, invalidCharacters) }

    public var document: String { output }

    public static func escape(_ text: String, _ invalidCharacters: InvalidCharacters = .replaced) -> String {
        var needs = false
        // 0xEF starts U+FFFE and U+FFFF (and other characters, checked below).
        for byte in text.utf8 where byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte < 0x20 || byte == 0xEF {
            needs = true
            break
        }
        guard needs else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\r", "\t": out += "&#\(scalar.value);"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    switch invalidCharacters {
                    case .replaced: out.unicodeScalars.append("\u{FFFD}")
                    case .referenced: out += "&#x\(String(scalar.value, radix: 16, uppercase: true));"
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
