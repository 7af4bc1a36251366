import Foundation

/// Object Lock's values, as S3 names them (docs/storage-layout.md, "Object Lock"): a version's
/// retention and legal hold (``ObjectRecord/retention``, ``ObjectRecord/legalHold``) and a
/// bucket's default retention (``BucketRecord/defaultRetention``). The rules that change and
/// enforce them are ``ObjectLockRules``.

/// A retention mode (`x-amz-object-lock-mode`).
public enum RetentionMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// Protects until the date from everyone but callers who bypass governance retention.
    case governance = "GOVERNANCE"
    /// Protects until the date from everyone: never shortened, removed or weakened meanwhile.
    case compliance = "COMPLIANCE"
}

/// A version's retention: its mode and the moment it ends (stored as `{"mode", "retainUntil"}`,
/// the date in milliseconds since 1970). A retention protects the version while
/// `retainUntil` is later than the moment asked about, and nothing after.
public struct ObjectRetention: Codable, Sendable, Hashable {
    public var mode: RetentionMode
    /// The end of the retention (millisecond precision).
    public var retainUntil: Date

    /// Creates a retention; `retainUntil` is rounded to milliseconds so it round-trips exactly.
    public init(mode: RetentionMode, retainUntil: Date) {
        self.mode = mode
        self.retainUntil = retainUntil.roundedToMilliseconds
    }

    /// Whether the retention still protects its version at `date`.
    public func isInForce(at date: Date) -> Bool { retainUntil > date }
}

/// A version's legal hold (`x-amz-object-lock-legal-hold`); stored as `"ON"` or `"OFF"`.
/// A record never given one has none (nil), which protects as `OFF` does.
public enum LegalHold: String, Codable, Sendable, Hashable {
    case on = "ON"
    case off = "OFF"
}

/// A bucket's default retention (PutObjectLockConfiguration's `Rule`): the mode and the period,
/// in days or in years, never both. Stored as `{"days", "mode"}` or `{"mode", "years"}`.
public struct DefaultRetention: Codable, Sendable, Hashable {
    /// A retention period.
    public enum Period: Sendable, Hashable {
        case days(Int)
        case years(Int)
    }

    /// The longest periods the store accepts (100 years either way).
    public static let maxDays = 36_500
    public static let maxYears = 100

    public var mode: RetentionMode
    public var period: Period

    public init(mode: RetentionMode, period: Period) {
        self.mode = mode
        self.period = period
    }

    /// The retention a version written at `date` gets: `date` plus the period, in UTC calendar
    /// days or years.
    public func retention(from date: Date) -> ObjectRetention {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = switch period {
        case .days(let days): DateComponents(day: days)
        case .years(let years): DateComponents(year: years)
        }
        let until = calendar.date(byAdding: components, to: date) ?? .distantFuture
        return ObjectRetention(mode: mode, retainUntil: until)
    }

    /// Throws `.invalidArgument` unless the period is positive and at most 100 years.
    func check() throws(StorageError) {
        switch period {
        case .days(let days) where (1...Self.maxDays).contains(days): return
        case .years(let years) where (1...Self.maxYears).contains(years): return
        default: throw StorageError(.invalidArgument, "a default retention period is 1 to \(Self.maxDays) days or 1 to \(Self.maxYears) years")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case mode, days, years
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mode = try container.decode(RetentionMode.self, forKey: .mode)
        let days = try container.decodeIfPresent(Int.self, forKey: .days)
        let years = try container.decodeIfPresent(Int.self, forKey: .years)
        switch (days, years) {
        case (let days?, nil): period = .days(days)
        case (nil, let years?): period = .years(years)
        default:
            throw DecodingError.dataCorruptedError(forKey: .days, in: container, debugDescription: "a default retention has days or years, not both")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        switch period {
        case .days(let days): try container.encode(days, forKey: .days)
        case .years(let years): try container.encode(years, forKey: .years)
        }
    }
}

/// What protects a version from a removal or a retention change (carried by a `.objectLocked`
/// ``StorageError``, for the S3 layer to answer 403 AccessDenied and to audit).
public enum ObjectLockProtection: Sendable, Hashable, CustomStringConvertible {
    /// A retention in force (a COMPLIANCE one, or a GOVERNANCE one not bypassed).
    case retention(ObjectRetention)
    /// A legal hold that is ON.
    case legalHold

    public var description: String {
        switch self {
        case .retention(let retention):
            "\(retention.mode.rawValue) retention until \(Date.milliseconds(of: retention.retainUntil)) ms"
        case .legalHold: "legal hold"
        }
    }
}

/// A lock change of one version (PutObjectRetention, PutObjectLegalHold): its record before and
/// after, as committed, for the S3 layer to audit.
public struct VersionChange: Sendable, Equatable {
    public var before: ObjectRecord
    public var after: ObjectRecord

    public init(before: ObjectRecord, after: ObjectRecord) {
        self.before = before
        self.after = after
    }
}
