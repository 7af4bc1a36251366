extension UTCTime {
    /// `20130524T000000Z`, strictly.
    public init?(iso8601Basic text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z"),
              let year = Self.digits(b, 0, 4), let month = Self.digits(b, 4, 2), let day = Self.digits(b, 6, 2),
              let hour = Self.digits(b, 9, 2), let minute = Self.digits(b, 11, 2), let second = Self.digits(b, 13, 2)
        else { return nil }
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// `2013-05-24T00:00:00Z` or `2013-05-24T00:00:00.123Z` (the fraction is dropped).
    public init?(iso8601Extended text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b.last == UInt8(ascii: "Z"),
              let year = Self.digits(b, 0, 4), let month = Self.digits(b, 5, 2), let day = Self.digits(b, 8, 2),
              let hour = Self.digits(b, 11, 2), let minute = Self.digits(b, 14, 2), let second = Self.digits(b, 17, 2)
        else { return nil }
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21,
                  b[20..<(b.count - 1)].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        }
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// `Fri, 24 May 2013 00:00:00 GMT` (RFC 1123; `UTC` accepted for `GMT`).
    public init?(rfc1123 text: some StringProtocol) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].hasSuffix(","), Self.dayNames.contains(String(parts[0].dropLast())),
              parts[5] == "GMT" || parts[5] == "UTC", let day = Int(parts[1]),
              let month = Self.monthNames.firstIndex(of: String(parts[2])), parts[3].count == 4, let year = Int(parts[3])
        else { return nil }
        self.init(year: year, month: month + 1, day: day, clock: parts[4])
    }

    /// `Friday, 24-May-13 00:00:00 GMT` (RFC 850; two-digit years are 1970...2069, as RFC 7231
    /// asks readers to interpret them near the present).
    public init?(rfc850 text: some StringProtocol) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0].hasSuffix(","), parts[3] == "GMT" else { return nil }
        let date = parts[1].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, let day = Int(date[0]), let month = Self.monthNames.firstIndex(of: String(date[1])),
              date[2].count == 2, let short = Int(date[2]) else { return nil }
        self.init(year: short < 70 ? 2000 + short : 1900 + short, month: month + 1, day: day, clock: parts[2])
    }

    /// `Fri May 24 00:00:00 2013` (C's asctime).
    public init?(asctime text: some StringProtocol) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 5, Self.dayNames.contains(String(parts[0])), let month = Self.monthNames.firstIndex(of: String(parts[1])),
              let day = Int(parts[2]), parts[4].count == 4, let year = Int(parts[4]) else { return nil }
        self.init(year: year, month: month + 1, day: day, clock: parts[3])
    }

    /// Any date an HTTP header may carry (RFC 1123, RFC 850, asctime), or an ISO 8601 time
    /// (which S3 also accepts in conditional headers).
    public init?(httpDate text: some StringProtocol) {
        guard let parsed = UTCTime(rfc1123: text) ?? UTCTime(rfc850: text) ?? UTCTime(asctime: text)
            ?? UTCTime(iso8601Extended: text) else { return nil }
        self = parsed
    }

    private init?(year: Int, month: Int, day: Int, clock: some StringProtocol) {
        let time = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, time.allSatisfy({ $0.count == 2 }),
              let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]) else { return nil }
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// The decimal number of `count` (at most 4) digits at `start`; nil for anything else.
    static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard (1...4).contains(count), start + count <= b.count else { return nil }
        var value = 0
        for i in start..<(start + count) {
            guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
        }
        return value
    }
}
