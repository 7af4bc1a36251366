import CofferTime
import Foundation

/// The UTC timestamps of the trail: `2026-11-25T12:00:00Z` in records and digests,
/// `20261125T120000Z` in file names, written with CofferTime's `UTCTime` (Coffer's one date
/// codec); parsing accepts the ISO 8601 forms a user types (fractions, offsets, bare dates).
public enum AuditTimestamp {
    /// `2026-11-25T12:00:00Z` (whole seconds, rounded down).
    public static func iso8601(_ date: Date) -> String { UTCTime(date).iso8601Extended }

    /// `20261125T120000Z`, the form used in log file names.
    public static func compact(_ date: Date) -> String { UTCTime(date).iso8601Basic }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` or a bare date `YYYY-MM-DD` (midnight UTC).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), let month = number(5..<7),
              bytes[7] == UInt8(ascii: "-"), let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        if bytes.count == 10 { return date(year, month, day, 0, 0, 0, 0) }
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"), let minute = number(14..<16),
              bytes[16] == UInt8(ascii: ":"), let second = number(17..<19), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let h = number(index + 1..<index + 3), bytes[index + 3] == UInt8(ascii: ":"),
                  let m = number(index + 4..<index + 6), h < 24, m < 60 else { return nil }
            offset = (h * 3600 + m * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        return date(year, month, day, hour, minute, second, fraction)?.addingTimeInterval(TimeInterval(-offset))
    }

    /// The time of a validated calendar day plus a time of day (a leap second 60 counts as the
    /// next second, as the arithmetic has it); nil for a day the calendar does not have.
    private static func date(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, _ fraction: Double) -> Date? {
        guard let midnight = UTCTime(year: year, month: month, day: day) else { return nil }
        let seconds = midnight.epochSeconds + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
