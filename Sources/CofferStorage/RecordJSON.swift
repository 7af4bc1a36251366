/// The JSON of hot records (`ObjectRecord`), written and read by hand.
///
/// Every object PUT encodes one record and decodes the one it replaces, every GET decodes one
/// and a listing page up to a thousand: through Foundation's `Codable` machinery that was about
/// a tenth of a small PUT's CPU. These two types write and read the same JSON directly. The
/// output is what `JSONEncoder` writes with `.sortedKeys` and `.withoutEscapingSlashes` (a
/// test compares them byte for byte), and the reader accepts any RFC 8259 document, so records
/// written either way read back either way.

/// Appends JSON to a byte array. Object keys are written in the order given: callers write
/// them sorted, as `JSONEncoder`'s `.sortedKeys` does.
struct RecordJSONWriter {
    private(set) var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// An object key; the value written next belongs to it.
    mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) { separate(); appendQuoted(value); needsComma = true }

    mutating func integer(_ value: some BinaryInteger) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    mutating func field(_ name: String, _ value: some BinaryInteger) { key(name); integer(value) }
    mutating func field(_ name: String, ifPresent value: String?) { if let value { field(name, value) } }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    /// A string-to-string object, keys sorted by their UTF-8 bytes (as `.sortedKeys`).
    mutating func field(_ name: String, _ dictionary: [String: String]) {
        key(name)
        beginObject()
        for (k, v) in dictionary.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { field(k, v) }
        endObject()
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// A string literal, escaped as `JSONEncoder` escapes (quote, backslash and control
    /// characters; never `/`, never non-ASCII).
    private mutating func appendQuoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A pull reader of one JSON document: the caller walks objects and arrays in the shape it
/// expects and skips what it does not know. Strict RFC 8259: any syntax error, invalid UTF-8
/// or unpaired surrogate throws; so does anything after the document. Public for the small
/// JSON documents stored inside records (the sealed format's seal header).
public struct RecordJSONReader {
    public struct Malformed: Error {}

    private let bytes: [UInt8]
    private var index: Int
    /// Nesting depth, bounded so that hostile input cannot exhaust the stack in `skipValue`.
    private var depth = 0
    private static let maxDepth = 64

    public init(_ bytes: [UInt8], from start: Int = 0) {
        self.bytes = bytes
        self.index = start
    }

    /// The document is complete: only whitespace remains.
    public mutating func finish() throws(Malformed) {
        skipWhitespace()
        guard index == bytes.count else { throw Malformed() }
    }

    // MARK: Objects and arrays

    public mutating func beginObject() throws(Malformed) { try open(UInt8(ascii: "{")) }
    public mutating func beginArray() throws(Malformed) { try open(UInt8(ascii: "[")) }

    /// The next key of the object being read, or nil at its end.
    public mutating func nextKey() throws(Malformed) -> String? {
        guard try nextMember(closing: UInt8(ascii: "}")) else { return nil }
        let key = try string()
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Whether the array being read has another element (positioned at it), false at its end.
    public mutating func nextElement() throws(Malformed) -> Bool {
        try nextMember(closing: UInt8(ascii: "]"))
    }

    /// Whether the next value is `null` (consumed if so).
    public mutating func null() throws(Malformed) -> Bool {
        skipWhitespace()
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    // MARK: Scalars

    public mutating func string() throws(Malformed) -> String {
        skipWhitespace()
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.validated(bytes[start..<index])
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw Malformed() }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try Self.validated(out[...])
            case UInt8(ascii: "\\"):
                try unescape(into: &out)
            case 0x00..<0x20:
                throw Malformed()
            default:
                out.append(byte)
            }
        }
        throw Malformed()
    }

    /// An integer (no fraction, no exponent) that fits `Int64`.
    public mutating func int64() throws(Malformed) -> Int64 {
        skipWhitespace()
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let digit = Int64(bytes[index] - UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw Malformed() }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { throw Malformed() }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { throw Malformed() }
        return value
    }

    /// `true` or `false`.
    public mutating func bool() throws(Malformed) -> Bool {
        skipWhitespace()
        if peek() == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    public mutating func int() throws(Malformed) -> Int {
        guard let value = Int(exactly: try int64()) else { throw Malformed() }
        return value
    }

    /// A string-to-string object.
    public mutating func stringDictionary() throws(Malformed) -> [String: String] {
        var result: [String: String] = [:]
        try beginObject()
        while let key = try nextKey() { result[key] = try string() }
        return result
    }

    /// Skips one value of any kind (an unknown key's).
    public mutating func skipValue() throws(Malformed) {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"):
            try beginObject()
            while try nextKey() != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            while try nextElement() { try skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case .some: try skipNumber()
        case .none: throw Malformed()
        }
    }

    // MARK: Internals

    private mutating func open(_ byte: UInt8) throws(Malformed) {
        skipWhitespace()
        try expect(byte)
        depth += 1
        guard depth <= Self.maxDepth else { throw Malformed() }
        first = true
    }

    /// True before each member of the innermost container; consumes the separator, or the
    /// closing bracket (returning false).
    private var first = true
    private mutating func nextMember(closing: UInt8) throws(Malformed) -> Bool {
        skipWhitespace()
        if peek() == closing {
            index += 1
            depth -= 1
            first = false
            return false
        }
        if first {
            first = false
        } else {
            try expect(UInt8(ascii: ","))
            skipWhitespace()
            guard peek() != closing else { throw Malformed() }  // no trailing comma
        }
        return true
    }

    private mutating func skipNumber() throws(Malformed) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let lead = peek(), lead >= UInt8(ascii: "0"), lead <= UInt8(ascii: "9") else { throw Malformed() }
        if lead == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw Malformed() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw Malformed() }
        }
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    private mutating func literal(_ word: StaticString) throws(Malformed) {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count else { throw Malformed() }
        let matches = word.withUTF8Buffer { expected in
            (0..<length).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw Malformed() }
        index += length
    }

    private mutating func unescape(into out: inout [UInt8]) throws(Malformed) {
        guard index < bytes.count else { throw Malformed() }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if (0xD800..<0xDC00).contains(scalar) {
                try literal("\\u")
                let low = UInt32(try hex4())
                guard (0xDC00..<0xE000).contains(low) else { throw Malformed() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Malformed() }
            out.append(contentsOf: String(Character(unicode)).utf8)
        default:
            throw Malformed()
        }
    }

    private mutating func hex4() throws(Malformed) -> UInt16 {
        guard index + 4 <= bytes.count else { throw Malformed() }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw Malformed()
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private static func validated(_ slice: ArraySlice<UInt8>) throws(Malformed) -> String {
        guard let text = String(validating: slice, as: UTF8.self) else { throw Malformed() }
        return text
    }

    private mutating func expect(_ byte: UInt8) throws(Malformed) {
        guard peek() == byte else { throw Malformed() }
        index += 1
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}
