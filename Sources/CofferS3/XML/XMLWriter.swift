/// A minimal streaming XML writer for S3 response documents. It writes the declaration,
/// escapes text and attribute values, and keeps no DOM.
public struct XMLWriter: Sendable {
    private(set) var output: String

    public init(declaration: Bool = true) {
        output = declaration ? #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" : ""
    }

    /// Writes `<name attrs>` ... `</name>` around the elements written by `body`.
    public mutating func element(_ name: String, attributes: [(String, String)] = [], _ body: (inout XMLWriter) -> Void) {
        output += "<\(name)"
        for (key, value) in attributes { output += " \(key)=\"\(Self.escape(value))\"" }
        output += ">"
        body(&self)
        output += "</\(name)>"
    }

    /// Writes `<name>text</name>`.
    public mutating func element(_ name: String, _ text: String) {
        output += "<\(name)>\(Self.escape(text))</\(name)>"
    }

    /// Writes `<name>text</name>` when `text` is not nil.
    public mutating func optionalElement(_ name: String, _ text: String?) {
        if let text { element(name, text) }
    }

    /// Writes escaped character data inside the current element.
    public mutating func text(_ text: String) { output += Self.escape(text) }

    public var document: String { output }

    public static func escape(_ text: String) -> String {
        var needs = false
        for byte in text.utf8 where byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte < 0x20 {
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
                if scalar.value < 0x20 {
                    out += "&#x\(String(scalar.value, radix: 16));"  // not legal XML 1.0, but never silently dropped
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
