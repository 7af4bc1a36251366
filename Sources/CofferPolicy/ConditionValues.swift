/// Parsers for the typed condition values: numbers, dates, IP addresses and CIDR blocks,
/// base64. Written by hand so evaluation needs no Foundation and no allocation beyond the value.

/// An IPv4 or IPv6 address block. IPv4 is kept in its own family: IAM compares an IPv4
/// `aws:SourceIp` only with IPv4 blocks and an IPv6 one only with IPv6 blocks. An IPv4-mapped
/// IPv6 address (`::ffff:192.0.2.1`) in a request is read as the IPv4 address it carries.
struct IPBlock: Sendable, Equatable {
    var isV6: Bool
    var high: UInt64
    var low: UInt64
    var prefix: Int

    func contains(_ a: IPBlock) -> Bool {
        guard a.isV6 == isV6 else { return false }
        if !isV6 {
            let m: UInt64 = prefix == 0 ? 0 : ~UInt64(0) << UInt64(32 - prefix) & 0xFFFF_FFFF
            return a.low & m == low & m
        }
        let mh: UInt64 = prefix >= 64 ? ~0 : (prefix == 0 ? 0 : ~UInt64(0) << UInt64(64 - prefix))
        let ml: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? ~0 : ~UInt64(0) << UInt64(128 - prefix))
        return a.high & mh == high & mh && a.low & ml == low & ml
    }

    /// `192.0.2.0/24`, `192.0.2.7`, `2001:db8::/32`, `2001:db8::1`. A missing prefix means a
    /// single address.
    static func parse(_ text: String) -> IPBlock? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> IPBlock? {
        var end = b.count
        var prefix: Int?
        if let slash = b.firstIndex(of: UInt8(ascii: "/")) {
            guard slash + 1 < b.count, b.count - slash - 1 <= 3 else { return nil }
            var n = 0
            for k in (slash + 1)..<b.count {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                n = n * 10 + Int(b[k] - 0x30)
            }
            prefix = n
            end = slash
        }
        let s = UnsafeBufferPointer(rebasing: b[0..<end])
        if s.contains(UInt8(ascii: ":")) {
            guard let (h, l) = parseV6(s) else { return nil }
            if h == 0, l >> 32 == 0xFFFF, prefix == nil {
                return IPBlock(isV6: false, high: 0, low: l & 0xFFFF_FFFF, prefix: 32)
            }
            let p = prefix ?? 128
            guard p <= 128 else { return nil }
            return IPBlock(isV6: true, high: h, low: l, prefix: p)
        }
        guard let v4 = parseV4(s) else { return nil }
        let p = prefix ?? 32
        guard p <= 32 else { return nil }
        return IPBlock(isV6: false, high: 0, low: UInt64(v4), prefix: p)
    }

    private static func parseV4(_ s: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var v: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        for c in s {
            if c == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                v = v << 8 | part
                parts += 1
                part = 0
                digits = 0
                continue
            }
            guard c >= 0x30, c <= 0x39, digits < 3 else { return nil }
            part = part * 10 + UInt32(c - 0x30)
            digits += 1
            guard part <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return v << 8 | part
    }

    private static func hexValue(_ c: UInt8) -> UInt16? {
        switch c {
        case 0x30...0x39: UInt16(c - 0x30)
        case 0x41...0x46: UInt16(c - 0x41 + 10)
        case 0x61...0x66: UInt16(c - 0x61 + 10)
        default: nil
        }
    }

    private static func parseV6(_ s: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapAt: Int?
        var i = 0
        let n = s.count
        if n >= 2, s[0] == UInt8(ascii: ":"), s[1] == UInt8(ascii: ":") {
            gapAt = 0
            i = 2
        } else if n >= 1, s[0] == UInt8(ascii: ":") {
            return nil
        }
        while i < n {
            // One group, or an embedded IPv4 address that ends the text.
            var j = i
            while j < n, s[j] != UInt8(ascii: ":") { j += 1 }
            let g = UnsafeBufferPointer(rebasing: s[i..<j])
            if g.contains(UInt8(ascii: ".")) {
                guard j == n, let v4 = parseV4(g) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                i = j
                break
            }
            guard !g.isEmpty, g.count <= 4 else { return nil }
            var v: UInt16 = 0
            for c in g {
                guard let h = hexValue(c) else { return nil }
                v = v << 4 | h
            }
            groups.append(v)
            i = j
            if i < n {
                i += 1  // the colon
                if i < n, s[i] == UInt8(ascii: ":") {
                    guard gapAt == nil else { return nil }
                    gapAt = groups.count
                    i += 1
                } else if i == n {
                    return nil  // a trailing single colon
                }
            }
        }
        if let gap = gapAt {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(groups[k]) }
        for k in 4..<8 { l = l << 16 | UInt64(groups[k]) }
        return (h, l)
    }
}

enum ConditionNumber {
    /// A decimal number (`10`, `-3`, `2.5`, `1e3`). Hex, `inf` and `nan` are not numbers to IAM.
    static func parse(_ s: String) -> Double? {
        guard !s.isEmpty, s.utf8.allSatisfy({
            ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+")
                || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
        }) else { return nil }
        return Double(s)
    }
}

enum ConditionDate {
    /// Seconds since 1970-01-01T00:00:00Z for an ISO 8601 date (`2026-01-31`,
    /// `2026-01-31T12:00:00Z`, `2026-01-31T12:00:00.250+02:00`, `20260131T120000Z`) or for epoch
    /// seconds (`1767225600`), the two forms IAM's date operators accept.
    static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !b.isEmpty else { return nil }
        var epoch = true
        var epochValue: Int64 = 0
        for (k, c) in b.enumerated() {
            if c >= 0x30, c <= 0x39, epochValue < Int64.max / 20 {
                epochValue = epochValue * 10 + Int64(c - 0x30)
            } else if !(k == 0 && c == UInt8(ascii: "-") && b.count > 1) {
                epoch = false
                break
            }
        }
        // Epoch seconds, unless it is a basic-format date (8 digits, YYYYMMDD).
        if epoch, b.count != 8 { return Double(b[0] == UInt8(ascii: "-") ? -epochValue : epochValue) }
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func accept(_ c: UInt8) -> Bool {
            if i < b.count, b[i] == c { i += 1; return true }
            return false
        }
        guard let year = digits(4) else { return nil }
        let extended = accept(UInt8(ascii: "-"))
        guard let month = digits(2) else { return nil }
        if extended { guard accept(UInt8(ascii: "-")) else { return nil } }
        guard let day = digits(2), (1...12).contains(month), day >= 1, day <= daysIn(month, year) else { return nil }
        var seconds = Double(daysFromCivil(year, month, day)) * 86400
        if i == b.count { return seconds }
        guard accept(UInt8(ascii: "T")) || accept(UInt8(ascii: "t")) || accept(UInt8(ascii: " ")) else { return nil }
        guard let hour = digits(2), hour <= 24 else { return nil }
        var minute = 0, second = 0.0
        if extended ? accept(UInt8(ascii: ":")) : (i < b.count && b[i] >= 0x30 && b[i] <= 0x39) {
            guard let m = digits(2), m < 60 else { return nil }
            minute = m
            if extended ? accept(UInt8(ascii: ":")) : (i < b.count && b[i] >= 0x30 && b[i] <= 0x39) {
                guard let sec = digits(2), sec <= 60 else { return nil }
                second = Double(sec)
                if accept(UInt8(ascii: ".")) || accept(UInt8(ascii: ",")) {
                    var scale = 0.1
                    var any = false
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        second += Double(b[i] - 0x30) * scale
                        scale /= 10
                        i += 1
                        any = true
                    }
                    guard any else { return nil }
                }
            }
        }
        seconds += Double(hour * 3600 + minute * 60) + second
        if i == b.count { return seconds }
        if accept(UInt8(ascii: "Z")) || accept(UInt8(ascii: "z")) { return i == b.count ? seconds : nil }
        let sign: Double
        if accept(UInt8(ascii: "+")) { sign = 1 } else if accept(UInt8(ascii: "-")) { sign = -1 } else { return nil }
        guard let oh = digits(2), oh <= 23 else { return nil }
        var om = 0
        if i < b.count {
            _ = accept(UInt8(ascii: ":"))
            guard let m = digits(2), m < 60 else { return nil }
            om = m
        }
        guard i == b.count else { return nil }
        return seconds - sign * Double(oh * 3600 + om * 60)
    }

    private static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    private static func daysIn(_ m: Int, _ y: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

enum Base64 {
    /// Standard base64 (RFC 4648, padding optional); nil for anything else.
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): padding += 1; continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        guard padding <= 2, bits < 6 else { return nil }
        return out
    }
}
