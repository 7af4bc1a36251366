import Foundation

/// Coffer's one date codec: a UTC time of whole seconds and every textual form Coffer's wire
/// and disk formats use (SigV4's `20130524T000000Z`, ISO 8601 `2013-05-24T00:00:00Z`, HTTP's
/// RFC 1123 dates, and the RFC 850 and asctime forms HTTP readers must accept). Pure
/// arithmetic on the proleptic Gregorian calendar (H. Hinnant's algorithms): no locale, no
/// time-zone database, no formatter objects, cheap enough for every request.
public struct UTCTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let epochSeconds: Int64

    public init(epochSeconds: Int64) { self.epochSeconds = epochSeconds }

    /// `date` rounded down to the second.
    public init(_ date: Date) { epochSeconds = Int64(date.timeIntervalSince1970.rounded(.down)) }

    /// A validated calendar time (years 1...9999, seconds 0...59); nil for an impossible one.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year, month),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        epochSeconds = Int64(Self.daysFromCivil(year, month, day)) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(epochSeconds)) }

    public static func < (lhs: UTCTime, rhs: UTCTime) -> Bool { lhs.epochSeconds < rhs.epochSeconds }

    /// The calendar fields; `weekday` 0 is Sunday.
    public var fields: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int) {
        var days = Int(epochSeconds / 86400)
        var rest = Int(epochSeconds % 86400)
        if rest < 0 { rest += 86400; days -= 1 }
        let (y, m, d) = Self.civilFromDays(days)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        return (y, m, d, rest / 3600, rest % 3600 / 60, rest % 60, weekday)
    }

    // MARK: Formats

    /// `20130524T000000Z` (SigV4's X-Amz-Date, file names).
    public var iso8601Basic: String {
        let f = fields
        return Self.pad(f.year, 4) + Self.pad(f.month, 2) + Self.pad(f.day, 2) + "T" + Self.pad(f.hour, 2) + Self.pad(f.minute, 2) + Self.pad(f.second, 2) + "Z"
    }

    /// `2013-05-24T00:00:00Z`.
    public var iso8601Extended: String { iso8601Extended(milliseconds: nil) }

    /// `2013-05-24T00:00:00.123Z` with `milliseconds`, as S3 writes times in XML bodies.
    public func iso8601Extended(milliseconds: Int?) -> String {
        let f = fields
        let fraction = milliseconds.map { "." + Self.pad($0, 3) } ?? ""
        return "\(Self.pad(f.year, 4))-\(Self.pad(f.month, 2))-\(Self.pad(f.day, 2))T\(Self.pad(f.hour, 2)):\(Self.pad(f.minute, 2)):\(Self.pad(f.second, 2))\(fraction)Z"
    }

    /// `Fri, 24 May 2013 00:00:00 GMT` (HTTP dates: Last-Modified, Date).
    public var rfc1123: String {
        let f = fields
        return "\(Self.dayNames[f.weekday]), \(Self.pad(f.day, 2)) \(Self.monthNames[f.month - 1]) \(Self.pad(f.year, 4)) \(Self.pad(f.hour, 2)):\(Self.pad(f.minute, 2)):\(Self.pad(f.second, 2)) GMT"
    }

    public var description: String { iso8601Extended }

    // MARK: Calendar arithmetic

    static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysFromCivil(_ year: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
