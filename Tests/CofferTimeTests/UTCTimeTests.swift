import CofferTime
import Foundation
import Testing

@Suite struct UTCTimeTests {
    /// An independent oracle: Foundation's calendar, in UTC.
    static func oracle(_ seconds: Int64) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    @Test(arguments: [Int64(0), -1, 86399, 86400, 951_782_400, 1_709_164_800, 1_800_000_000, 4_102_444_799, 253_402_300_799, -2_208_988_800])
    func fieldsAgreeWithFoundation(_ seconds: Int64) {
        let f = UTCTime(epochSeconds: seconds).fields
        let o = Self.oracle(seconds)
        #expect([f.year, f.month, f.day, f.hour, f.minute, f.second] == [o.year, o.month, o.day, o.hour, o.minute, o.second])
        #expect(f.weekday + 1 == o.weekday)
        #expect(UTCTime(year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute, second: f.second)?.epochSeconds == seconds)
    }

    @Test func everyDayOfFourHundredYearsRoundTrips() {
        var previous: Int64 = -1
        for year in [1600, 1900, 1970, 2000, 2024, 2100] {
            for month in 1...12 {
                for day in 1...31 {
                    guard let time = UTCTime(year: year, month: month, day: day) else {
                        #expect(day > 28, "\(year)-\(month)-\(day) refused")
                        continue
                    }
                    let f = time.fields
                    #expect(f.year == year && f.month == month && f.day == day)
                    if year >= 1970 { #expect(time.epochSeconds > previous || year == 1970 && month == 1 && day == 1); previous = time.epochSeconds }
                }
            }
        }
        #expect(UTCTime(year: 2024, month: 2, day: 29) != nil && UTCTime(year: 2100, month: 2, day: 29) == nil && UTCTime(year: 2000, month: 2, day: 29) != nil)
    }

    @Test func formats() {
        let time = UTCTime(epochSeconds: 1_369_353_600)  // 2013-05-24 00:00:00, a Friday
        #expect(time.iso8601Basic == "20130524T000000Z")
        #expect(time.iso8601Extended == "2013-05-24T00:00:00Z")
        #expect(time.iso8601Extended(milliseconds: 7) == "2013-05-24T00:00:00.007Z")
        #expect(time.rfc1123 == "Fri, 24 May 2013 00:00:00 GMT")
    }

    @Test func theThreeHTTPFormsAndISO() {
        let expected = UTCTime(year: 1994, month: 11, day: 6, hour: 8, minute: 49, second: 37)
        #expect(UTCTime(httpDate: "Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(UTCTime(httpDate: "Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(UTCTime(httpDate: "Sun Nov  6 08:49:37 1994") == expected)
        #expect(UTCTime(httpDate: "1994-11-06T08:49:37Z") == expected)
        #expect(UTCTime(httpDate: "1994-11-06T08:49:37.123Z") == expected)
        #expect(UTCTime(rfc850: "Thursday, 01-Jan-26 00:00:00 GMT")?.fields.year == 2026)
    }

    @Test(arguments: ["", "x", "Sun, 06 Nov 1994 08:49:37", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                      "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "1994-11-06T08:49:37", "1994-11-06T08:49:37.Z",
                      "1994-11-06T08:49:37.123456789012345678901234567890Z1", "20130524T000000", "2013052T000000Z", "99999999T999999Z",
                      "Sun, 99999999999999999999999 Nov 1994 08:49:37 GMT"])
    func badInputIsNilNeverACrash(_ text: String) {
        #expect(UTCTime(httpDate: text) == nil)
        #expect(UTCTime(iso8601Basic: text) == nil)
    }

    @Test func everyPrefixOfAValidDateIsRefused() {
        for text in ["Sun, 06 Nov 1994 08:49:37 GMT", "20130524T000000Z", "2013-05-24T00:00:00.5Z"] {
            let bytes = Array(text.utf8)
            for length in 0..<bytes.count {
                let prefix = String(decoding: bytes[..<length], as: UTF8.self)
                #expect(UTCTime(httpDate: prefix) == nil && UTCTime(iso8601Basic: prefix) == nil, "\(prefix)")
            }
        }
    }
}
