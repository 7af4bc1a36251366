/// One element of a wildcard pattern before compilation.
enum GlobUnit: Sendable, Equatable {
    case byte(UInt8)
    /// `*`: zero or more characters.
    case star
    /// `?`: exactly one character (one Unicode scalar, not one byte).
    case one

    /// The units of `text`, with `*` and `?` as wildcards when `wildcards` is true.
    static func units(_ text: String, wildcards: Bool) -> [GlobUnit] {
        var out: [GlobUnit] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            if wildcards, b == UInt8(ascii: "*") { out.append(.star) }
            else if wildcards, b == UInt8(ascii: "?") { out.append(.one) }
            else { out.append(.byte(b)) }
        }
        return out
    }
}

/// A precompiled wildcard pattern matched over UTF-8 bytes: no regex engine, no allocation per
/// match. Used for Action (case-insensitive), Resource and StringLike/ArnLike values
/// (case-sensitive).
struct Glob: Sendable {
    private static let star: UInt16 = 256
    /// A `*` in one of the first five segments of a Resource ARN that is not the segment's last
    /// character: IAM lets it match within its segment only, so it never consumes a colon.
    private static let starInSegment: UInt16 = 257
    private static let one: UInt16 = 258

    private enum Kind: Sendable {
        case matchAll
        case literal([UInt8])
        case pattern
    }

    private let kind: Kind
    private let tokens: [UInt16]
    private let hasSegmentStar: Bool
    /// The pattern is stored lowercased (ASCII) and text bytes are folded while matching.
    let caseInsensitive: Bool

    /// Compiles `units`. With `arnSegments`, stars inside the first five colon-separated segments
    /// follow IAM's Resource rule: a `*` that is the last character of its segment may expand
    /// across colons, any other `*` there stays within its segment. The sixth segment (the
    /// resource, which may itself contain colons) has unrestricted stars.
    init(units: [GlobUnit], caseInsensitive: Bool = false, arnSegments: Bool = false) {
        self.caseInsensitive = caseInsensitive
        var tokens: [UInt16] = []
        tokens.reserveCapacity(units.count)
        var segment = 0
        var segmentStar = false
        var onlyStars = !units.isEmpty
        var literal = true
        for (k, u) in units.enumerated() {
            switch u {
            case var .byte(b):
                onlyStars = false
                if b == UInt8(ascii: ":") { segment += 1 }
                if caseInsensitive, b >= 0x41, b <= 0x5A { b += 0x20 }
                tokens.append(UInt16(b))
            case .one:
                onlyStars = false
                literal = false
                tokens.append(Self.one)
            case .star:
                literal = false
                let last = k + 1 == units.count || units[k + 1] == .byte(UInt8(ascii: ":"))
                if arnSegments, segment < 5, !last {
                    tokens.append(Self.starInSegment)
                    segmentStar = true
                } else {
                    tokens.append(Self.star)
                }
            }
        }
        self.tokens = tokens
        self.hasSegmentStar = segmentStar
        if onlyStars && !segmentStar {
            kind = .matchAll
        } else if literal {
            kind = .literal(tokens.map { UInt8($0) })
        } else {
            kind = .pattern
        }
    }

    init(_ pattern: String, caseInsensitive: Bool = false, arnSegments: Bool = false) {
        self.init(units: GlobUnit.units(pattern, wildcards: true), caseInsensitive: caseInsensitive, arnSegments: arnSegments)
    }

    /// A pattern that matches exactly `text` (no wildcards).
    init(literal text: String) {
        self.init(units: GlobUnit.units(text, wildcards: false))
    }

    var matchesEverything: Bool {
        if case .matchAll = kind { return true }
        return false
    }

    func matches(_ text: String) -> Bool {
        if case .matchAll = kind { return true }
        var text = text
        return text.withUTF8 { matches($0) }
    }

    func matches(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        switch kind {
        case .matchAll:
            return true
        case let .literal(l):
            guard l.count == t.count else { return false }
            if caseInsensitive {
                for k in 0..<l.count where l[k] != Self.fold(t[k]) { return false }
                return true
            }
            return l.withUnsafeBufferPointer { p in
                p.count == 0 || memcmpEqual(p.baseAddress!, t.baseAddress!, p.count)
            }
        case .pattern:
            return tokens.withUnsafeBufferPointer { p in
                hasSegmentStar ? Self.matchRecursive(p, 0, t, 0, prefixOnly: false, caseInsensitive)
                    : Self.matchLinear(p, t, caseInsensitive)
            }
        }
    }

    /// True when some string that starts with `prefix` matches the pattern: used to decide
    /// whether a Resource can ever name something inside a bucket.
    func canMatchSomething(startingWith prefix: String) -> Bool {
        if case .matchAll = kind { return true }
        var prefix = prefix
        return prefix.withUTF8 { t in
            tokens.withUnsafeBufferPointer { p in Self.matchRecursive(p, 0, t, 0, prefixOnly: true, caseInsensitive) }
        }
    }

    @inline(__always) private static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    /// The index after the UTF-8 scalar that starts at `i`.
    @inline(__always) private static func nextScalar(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        var j = i + 1
        while j < t.count, t[j] & 0xC0 == 0x80 { j += 1 }
        return j
    }

    /// The classic linear wildcard match with one backtrack point: correct when every star can
    /// absorb any character, since the most recent star subsumes the earlier ones.
    private static func matchLinear(_ p: UnsafeBufferPointer<UInt16>, _ t: UnsafeBufferPointer<UInt8>, _ ci: Bool) -> Bool {
        var pi = 0, ti = 0
        var starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count {
                let c = p[pi]
                if c == star {
                    starP = pi; starT = ti; pi += 1
                    continue
                }
                if c == one {
                    pi += 1; ti = nextScalar(t, ti)
                    continue
                }
                let b = ci ? fold(t[ti]) : t[ti]
                if UInt16(b) == c {
                    pi += 1; ti += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            starT = nextScalar(t, starT)
            ti = starT
            pi = starP + 1
        }
        while pi < p.count, p[pi] == star { pi += 1 }
        return pi == p.count
    }

    /// Backtracking match for patterns with segment-bound stars (and for prefix questions).
    private static func matchRecursive(
        _ p: UnsafeBufferPointer<UInt16>, _ pi0: Int, _ t: UnsafeBufferPointer<UInt8>, _ ti0: Int,
        prefixOnly: Bool, _ ci: Bool
    ) -> Bool {
        var pi = pi0, ti = ti0
        while pi < p.count {
            let c = p[pi]
            if c == star || c == starInSegment {
                var k = ti
                while true {
                    if matchRecursive(p, pi + 1, t, k, prefixOnly: prefixOnly, ci) { return true }
                    if k >= t.count { return false }
                    if c == starInSegment, t[k] == UInt8(ascii: ":") { return false }
                    k = nextScalar(t, k)
                }
            }
            if ti >= t.count { return prefixOnly }
            if c == one {
                pi += 1; ti = nextScalar(t, ti)
                continue
            }
            let b = ci ? fold(t[ti]) : t[ti]
            guard UInt16(b) == c else { return false }
            pi += 1; ti += 1
        }
        return ti == t.count
    }
}

@inline(__always) private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    for k in 0..<n where a[k] != b[k] { return false }
    return true
}
