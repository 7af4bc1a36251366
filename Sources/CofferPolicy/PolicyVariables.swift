/// A policy string that may hold policy variables (`${aws:username}`), read once at parse time.
///
/// IAM's rules (IAM User Guide, "IAM policy elements: Variables and tags"):
/// - variables exist only under `"Version": "2012-10-17"`; under 2008-10-17 (or no Version)
///   `${...}` is literal text;
/// - `${key}` is replaced by the single value of the context key `key` (names are
///   case-insensitive); a key that is absent (or multivalued) has no value, and the policy value
///   holding it then matches nothing;
/// - `${key, 'default'}` uses `default` when the key has no value (`''` inside the quotes is one
///   quote);
/// - `${*}`, `${?}` and `${$}` are the literal characters `*`, `?` and `$`, for values where
///   those characters would otherwise be wildcards or start a variable;
/// - substitution happens once: a substituted value is literal text, never a wildcard.
struct Template: Sendable {
    enum Piece: Sendable {
        case text(String)
        /// `${*}`, `${?}` or `${$}`: one literal byte.
        case escaped(UInt8)
        /// `key` is lowercased for lookups; `written` is the key as the policy spells it.
        case variable(key: String, written: String, defaultValue: String?)
    }

    let source: String
    let pieces: [Piece]

    var hasVariables: Bool {
        pieces.contains { if case .variable = $0 { return true } else { return false } }
    }

    /// The context keys the variables read, as written.
    var variableKeys: [String] {
        pieces.compactMap { if case let .variable(_, written, _) = $0 { return written } else { return nil } }
    }

    /// The context keys the variables read, lowercased, with whether they have a default.
    var variableLookups: [(key: String, written: String, hasDefault: Bool)] {
        pieces.compactMap {
            if case let .variable(key, written, d) = $0 { return (key, written, d != nil) } else { return nil }
        }
    }

    init(_ source: String, variables: Bool) {
        self.source = source
        guard variables, source.utf8.contains(UInt8(ascii: "$")) else {
            pieces = [.text(source)]
            return
        }
        pieces = Self.split(Array(source.utf8))
    }

    private static func split(_ b: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        var text: [UInt8] = []
        var i = 0
        func flush() {
            if !text.isEmpty { pieces.append(.text(String(decoding: text, as: UTF8.self))); text.removeAll() }
        }
        while i < b.count {
            if b[i] == UInt8(ascii: "$"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "{"),
                let (piece, end) = variable(b, from: i + 2) {
                flush()
                pieces.append(piece)
                i = end
            } else {
                text.append(b[i])
                i += 1
            }
        }
        flush()
        return pieces
    }

    /// Reads a variable body after `${`; returns the piece and the index after `}`, or nil when
    /// the text is not a well-formed variable (it then stays literal).
    private static func variable(_ b: [UInt8], from start: Int) -> (Piece, Int)? {
        var i = start
        func skipSpaces() { while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 } }
        skipSpaces()
        let keyStart = i
        while i < b.count, b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: " "),
            b[i] != UInt8(ascii: "{"), b[i] != UInt8(ascii: "'") {
            i += 1
        }
        let key = Array(b[keyStart..<i])
        guard !key.isEmpty else { return nil }
        skipSpaces()
        guard i < b.count else { return nil }
        var defaultValue: String?
        if b[i] == UInt8(ascii: ",") {
            i += 1
            skipSpaces()
            guard i < b.count, b[i] == UInt8(ascii: "'") else { return nil }
            i += 1
            var value: [UInt8] = []
            while true {
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: "'") {
                    if i + 1 < b.count, b[i + 1] == UInt8(ascii: "'") {
                        value.append(UInt8(ascii: "'")); i += 2
                        continue
                    }
                    i += 1
                    break
                }
                value.append(b[i]); i += 1
            }
            defaultValue = String(decoding: value, as: UTF8.self)
            skipSpaces()
            guard i < b.count else { return nil }
        }
        guard b[i] == UInt8(ascii: "}") else { return nil }
        i += 1
        if key.count == 1, defaultValue == nil,
            key[0] == UInt8(ascii: "*") || key[0] == UInt8(ascii: "?") || key[0] == UInt8(ascii: "$") {
            return (.escaped(key[0]), i)
        }
        let written = String(decoding: key, as: UTF8.self)
        return (.variable(key: PolicyRequest.lower(written), written: written, defaultValue: defaultValue), i)
    }

    /// The value of one variable: the key's single value, else the default, else nil.
    @inline(__always) static func lookup(_ key: String, _ defaultValue: String?, in context: [String: [String]]) -> String? {
        if let v = context[key], v.count == 1 { return v[0] }
        return defaultValue
    }

    /// The string with variables substituted, or nil when a variable has no value.
    func resolve(in context: [String: [String]]) -> String? {
        var out = ""
        for p in pieces {
            switch p {
            case let .text(t): out += t
            case let .escaped(c): out.unicodeScalars.append(Unicode.Scalar(c))
            case let .variable(key, _, d):
                guard let v = Self.lookup(key, d, in: context) else { return nil }
                out += v
            }
        }
        return out
    }

    /// The glob units with variables substituted (substituted text and `${*}`-style escapes are
    /// literal), or nil when a variable has no value.
    func resolveUnits(in context: [String: [String]], wildcards: Bool) -> [GlobUnit]? {
        var out: [GlobUnit] = []
        for p in pieces {
            switch p {
            case let .text(t): out += GlobUnit.units(t, wildcards: wildcards)
            case let .escaped(c): out.append(.byte(c))
            case let .variable(key, _, d):
                guard let v = Self.lookup(key, d, in: context) else { return nil }
                out += GlobUnit.units(v, wildcards: false)
            }
        }
        return out
    }

    /// The units with every variable standing for "anything" (`*`): used by parse-time checks
    /// that ask whether a Resource could ever name the bucket.
    var unitsWithVariablesAsStars: [GlobUnit] {
        var out: [GlobUnit] = []
        for p in pieces {
            switch p {
            case let .text(t): out += GlobUnit.units(t, wildcards: true)
            case let .escaped(c): out.append(.byte(c))
            case .variable: out.append(.star)
            }
        }
        return out
    }

    /// The text with escapes applied and no variables (nil if there are variables).
    var literalText: String? {
        var out = ""
        for p in pieces {
            switch p {
            case let .text(t): out += t
            case let .escaped(c): out.unicodeScalars.append(Unicode.Scalar(c))
            case .variable: return nil
            }
        }
        return out
    }
}
