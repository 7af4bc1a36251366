/// Coffer's own reader of the XML documents S3 requests carry: elements (with namespace
/// prefixes, reported by local name), attributes (checked, not kept), character data with the
/// five predefined entities and character references, CDATA sections, comments, and a leading
/// XML declaration. Anything else (a DTD, an entity declaration or an unknown entity, a
/// processing instruction, a second root, text outside the root, a prefix never declared,
/// characters XML forbids) makes the document malformed: no entity is ever declared, expanded
/// or resolved, so there is nothing for XXE or billion-laughs bodies to work with.
///
/// It replaced Foundation's XMLParser, which leaked memory on every malformed body and
/// crashed on some (docs/fuzzing.md, findings F1 to F3).
struct XMLReader {
    private let bytes: [UInt8]
    private var at = 0
    private static let maxDepth = 32

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The document's root element, or nil if the document is not well-formed.
    static func parse(_ bytes: [UInt8]) -> XMLElementNode? {
        var reader = XMLReader(bytes)
        return try? reader.document()
    }

    private struct Malformed: Error {}

    // MARK: Document

    private mutating func document() throws(Malformed) -> XMLElementNode {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { at = 3 }
        if starts(with: "<?xml"), at + 5 < bytes.count, Self.isSpace(bytes[at + 5]) { try declaration() }
        try miscellany()
        guard peek == UInt8(ascii: "<") else { throw Malformed() }
        let root = try element(depth: 1, namespaces: ["xml"])
        try miscellany()
        guard at == bytes.count else { throw Malformed() }
        return root
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`: only UTF-8 is accepted.
    private mutating func declaration() throws(Malformed) {
        at += 5
        guard let end = find("?>") else { throw Malformed() }
        let content = String(decoding: bytes[at..<end], as: UTF8.self).lowercased()
        if let range = content.range(of: "encoding") {
            let rest = content[range.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
            guard rest.hasPrefix("utf-8") || rest.hasPrefix("utf8") else { throw Malformed() }
        }
        at = end + 2
    }

    /// Whitespace and comments (before and after the root).
    private mutating func miscellany() throws(Malformed) {
        while at < bytes.count {
            if Self.isSpace(bytes[at]) {
                at += 1
            } else if starts(with: "<!--") {
                try comment()
            } else {
                return
            }
        }
    }

    private mutating func comment() throws(Malformed) {
        at += 4
        guard let end = find("--") else { throw Malformed() }
        guard end + 2 < bytes.count, bytes[end + 2] == UInt8(ascii: ">") else { throw Malformed() }  // "--" only ends one
        try Self.checkCharacters(bytes[at..<end])
        at = end + 3
    }

    // MARK: Elements

    private mutating func element(depth: Int, namespaces: Set<String>) throws(Malformed) -> XMLElementNode {
        guard depth <= Self.maxDepth else { throw Malformed() }
        at += 1  // "<"
        let qualified = try name()
        var inScope = namespaces
        var attributes: [(String, String)] = []
        while true {
            let hadSpace = skipSpace()
            guard let byte = peek else { throw Malformed() }
            if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") { break }
            guard hadSpace else { throw Malformed() }
            let attribute = try name()
            skipSpace()
            guard peek == UInt8(ascii: "=") else { throw Malformed() }
            at += 1
            skipSpace()
            let value = try attributeValue()
            guard !attributes.contains(where: { $0.0 == attribute }) else { throw Malformed() }
            attributes.append((attribute, value))
            if attribute.hasPrefix("xmlns:") {
                let prefix = String(attribute.dropFirst(6))
                guard !prefix.isEmpty, !value.isEmpty, prefix != "xmlns" else { throw Malformed() }
                inScope.insert(prefix)
            }
        }
        for (attribute, _) in attributes where attribute != "xmlns" && !attribute.hasPrefix("xmlns:") {
            try Self.checkPrefix(attribute, inScope)
        }
        let local = try Self.checkPrefix(qualified, inScope)
        var node = XMLElementNode(name: local, text: "", children: [])
        if peek == UInt8(ascii: "/") {
            at += 1
            guard peek == UInt8(ascii: ">") else { throw Malformed() }
            at += 1
            return node
        }
        at += 1  // ">"
        var text: [UInt8] = []
        while true {
            guard let byte = peek else { throw Malformed() }
            if byte == UInt8(ascii: "<") {
                if starts(with: "</") {
                    at += 2
                    guard try name() == qualified else { throw Malformed() }
                    skipSpace()
                    guard peek == UInt8(ascii: ">") else { throw Malformed() }
                    at += 1
                    break
                } else if starts(with: "<!--") {
                    try comment()
                } else if starts(with: "<![CDATA[") {
                    at += 9
                    guard let end = find("]]>") else { throw Malformed() }
                    try Self.checkCharacters(bytes[at..<end])
                    text += bytes[at..<end]
                    at = end + 3
                } else if starts(with: "<!") || starts(with: "<?") {
                    throw Malformed()  // a declaration or processing instruction inside the document
                } else {
                    node.children.append(try element(depth: depth + 1, namespaces: inScope))
                }
            } else if byte == UInt8(ascii: "&") {
                text += try reference()
            } else {
                let start = at
                while at < bytes.count, bytes[at] != UInt8(ascii: "<"), bytes[at] != UInt8(ascii: "&") { at += 1 }
                let run = bytes[start..<at]
                try Self.checkCharacters(run)
                if run.count >= 3, Self.contains(run, "]]>") { throw Malformed() }
                text += run
            }
        }
        node.text = Self.normalizedLineEnds(text)
        if !node.children.isEmpty { node.text = node.text.trimmingXMLSpace() }
        return node
    }

    /// A quoted attribute value (references expanded; `<` refused).
    private mutating func attributeValue() throws(Malformed) -> String {
        guard let quote = peek, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { throw Malformed() }
        at += 1
        var value: [UInt8] = []
        while true {
            guard let byte = peek else { throw Malformed() }
            if byte == quote { at += 1; break }
            if byte == UInt8(ascii: "<") { throw Malformed() }
            if byte == UInt8(ascii: "&") {
                value += try reference()
            } else {
                try Self.checkCharacters(bytes[at..<at + 1])
                value.append(byte)
                at += 1
            }
        }
        return String(decoding: value, as: UTF8.self)
    }

    /// `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#NN;` `&#xHH;`: the UTF-8 bytes they stand for.
    private mutating func reference() throws(Malformed) -> [UInt8] {
        at += 1
        guard let end = bytes[at...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw Malformed() }
        let body = String(decoding: bytes[at..<end], as: UTF8.self)
        at = end + 1
        switch body {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default:
            guard body.hasPrefix("#") else { throw Malformed() }  // no other entity exists
            let digits = body.dropFirst()
            let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, !digits.isEmpty, digits.first != "+", digits.first != "-",
                  let scalar = Unicode.Scalar(value), Self.isXMLCharacter(value) else { throw Malformed() }
            return Array(String(Character(scalar)).utf8)
        }
    }

    /// An XML name (as bytes up to a delimiter), checked for its first character.
    private mutating func name() throws(Malformed) -> String {
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if Self.isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
                || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "&") {
                break
            }
            at += 1
        }
        guard at > start else { throw Malformed() }
        let first = bytes[start]
        let startsWell = first >= 0x80 || first == UInt8(ascii: "_") || first == UInt8(ascii: ":")
            || (first | 0x20 >= UInt8(ascii: "a") && first | 0x20 <= UInt8(ascii: "z"))
        guard startsWell else { throw Malformed() }
        for byte in bytes[start..<at] where byte < 0x80 {
            let ok = (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            guard ok else { throw Malformed() }
        }
        return String(decoding: bytes[start..<at], as: UTF8.self)
    }

    /// The local part of `qualified`; its prefix, if any, must be declared in scope.
    @discardableResult
    private static func checkPrefix(_ qualified: String, _ inScope: Set<String>) throws(Malformed) -> String {
        let parts = qualified.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return qualified
        case 2:
            guard !parts[0].isEmpty, !parts[1].isEmpty, inScope.contains(String(parts[0])) else { throw Malformed() }
            return String(parts[1])
        default: throw Malformed()
        }
    }

    // MARK: Characters

    /// Refuses characters XML 1.0 does not allow (C0 controls but tab, LF and CR; U+FFFE/FFFF).
    private static func checkCharacters(_ run: ArraySlice<UInt8>) throws(Malformed) {
        var index = run.startIndex
        while index < run.endIndex {
            let byte = run[index]
            if byte < 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D { throw Malformed() }
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF.
            if byte == 0xEF, index + 2 < run.endIndex, run[index + 1] == 0xBF, run[index + 2] >= 0xBE { throw Malformed() }
            index += 1
        }
    }

    private static func isXMLCharacter(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    /// XML turns CR LF and a lone CR into LF.
    private static func normalizedLineEnds(_ text: [UInt8]) -> String {
        guard text.contains(0x0D) else { return String(decoding: text, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == 0x0D {
                out.append(0x0A)
                if index + 1 < text.count, text[index + 1] == 0x0A { index += 1 }
            } else {
                out.append(text[index])
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    private static func contains(_ run: ArraySlice<UInt8>, _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        return run.indices.contains { run[$0...].starts(with: pattern) }
    }

    // MARK: Cursor

    private var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    private func starts(with text: String) -> Bool { bytes[at...].starts(with: text.utf8) }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = at
        while at < bytes.count, Self.isSpace(bytes[at]) { at += 1 }
        return at > start
    }

    /// The index where `text` next occurs at or after the cursor.
    private func find(_ text: String) -> Int? {
        let pattern = Array(text.utf8)
        var index = at
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0], bytes[index...].starts(with: pattern) { return index }
            index += 1
        }
        return nil
    }
}

extension String {
    /// The string without leading and trailing XML whitespace (space, tab, CR, LF).
    func trimmingXMLSpace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
