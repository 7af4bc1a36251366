import CofferTime
import Foundation

/// A SigV4 timestamp: `yyyyMMdd'T'HHmmss'Z'` (UTC), as in `X-Amz-Date`. The calendar work is
/// CofferTime's (`UTCTime`, Coffer's one date codec); parsing is strict and by hand: the
/// verifier runs it on every request.
public struct AmzDate: Sendable, Hashable, CustomStringConvertible {
    let time: UTCTime

    /// Seconds since 1970-01-01T00:00:00Z.
    public var epochSeconds: Int64 { time.epochSeconds }

    public init(epochSeconds: Int64) { time = UTCTime(epochSeconds: epochSeconds) }

    public init(_ date: Date) { time = UTCTime(date) }

    public var date: Date { time.date }

    /// Parses `20130524T000000Z`; `nil` for anything else.
    public init?(iso8601Basic text: some StringProtocol) {
        guard let time = UTCTime(iso8601Basic: text) else { return nil }
        self.time = time
    }

    /// Parses an RFC 1123 `Date` header (`Fri, 24 May 2013 00:00:00 GMT`); `nil` for anything else.
    public init?(rfc1123 text: some StringProtocol) {
        guard let time = UTCTime(rfc1123: text) else { return nil }
        self.time = time
    }

    /// `20130524T000000Z`.
    public var iso8601Basic: String { time.iso8601Basic }

    /// `20130524`: the date part of the credential scope.
    public var dateStamp: String { String(iso8601Basic.prefix(8)) }

    /// `2013-05-24T00:00:00Z`, as S3 writes times into error documents.
    public var iso8601Extended: String { time.iso8601Extended }

    public var description: String { iso8601Basic }
}
