import Foundation

/// A SigV4 timestamp: `yyyyMMdd'T'HHmmss'Z'` (UTC), as in `X-Amz-Date`.
///
/// Parsing is strict and by hand (no `DateFormatter`): the verifier runs it on every request.
public struct AmzDate: Sendable, Hashable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let epochSeconds: Int64

    public init(epochSeconds: Int64) { self.epochSeconds = epochSeconds }

    public init(_ date: Date) { epochSeconds = Int64(date.timeIntervalSince1970.rounded(.down)) }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(epochSeconds)) }

    /// Parses `20130524T000000Z`; `nil` for anything else.
    public init?(iso8601Basic text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z"),
              let year = Self.digits(b, 0, 4), let month = Self.digits(b, 4, 2), let day = Self.digits(b, 6, 2),
              let hour = Self.digits(b, 9, 2), let minute = Self.digits(b, 11, 2), let second = Self.digits(b, 13, 2)
        else { return nil }
        guard let value = Self.epoch(year, month, day, hour, minute, second) else { return nil }
        epochSeconds = value
    }

    /// Parses an RFC 1123 `Date` header (`Fri, 24 May 2013 00:00:00 GMT`); `nil` for anything else.
    public init?(rfc1123 text: some StringProtocol) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" || parts[5] == "UTC",
              let day = Int(parts[1]), let month = Self.months.firstIndex(of: String(parts[2])),
              let year = Int(parts[3]) else { return nil }
        let time = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, time.allSatisfy({ $0.count == 2 }),
              let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]),
              let value = Self.epoch(year, month + 1, day, hour, minute, second) else { return nil }
        epochSeconds = value
    }

    /// `20130524T000000Z`.
    public var iso8601Basic: String {
        let (y, m, d, hh, mm, ss) = civil
        return pad(y, 4) + pad(m, 2) + pad(d, 2) + "T" + pad(hh, 2) + pad(mm, 2) + pad(ss, 2) + "Z"
    }

    /// `20130524`: the date part of the credential scope.
    public var dateStamp: String { String(iso8601Basic.prefix(8)) }

    /// `2013-05-24T00:00:00Z`, as S3 writes times into error documents.
    public var iso8601Extended: String {
        let (y, m, d, hh, mm, ss) = civil
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2))Z"
    }

    public var description: String { iso8601Basic }

    // MARK: Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms)

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for i in start..<(start + count) {
            guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
        }
        return value
    }

    private static func epoch(_ y: Int, _ m: Int, _ d: Int, _ hh: Int, _ mm: Int, _ ss: Int) -> Int64? {
        guard (1...12).contains(m), d >= 1, d <= daysInMonth(y, m), (0...23).contains(hh), (0...59).contains(mm),
              (0...59).contains(ss), (1...9999).contains(y) else { return nil }
        return Int64(daysFromCivil(y, m, d)) * 86400 + Int64(hh * 3600 + mm * 60 + ss)
    }

    private static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func daysFromCivil(_ year: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private var civil: (Int, Int, Int, Int, Int, Int) {
        var days = Int(epochSeconds / 86400)
        var rest = Int(epochSeconds % 86400)
        if rest < 0 { rest += 86400; days -= 1 }
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, rest / 3600, rest % 3600 / 60, rest % 60)
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
