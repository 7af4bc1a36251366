import CofferStorage
import CofferTime
import Foundation
import HTTPTypes

extension HTTPField.Name {
    public static let xAmzObjectLockMode = HTTPField.Name("x-amz-object-lock-mode")!
    public static let xAmzObjectLockRetainUntilDate = HTTPField.Name("x-amz-object-lock-retain-until-date")!
    public static let xAmzObjectLockLegalHold = HTTPField.Name("x-amz-object-lock-legal-hold")!
    public static let xAmzBypassGovernanceRetention = HTTPField.Name("x-amz-bypass-governance-retention")!
}

/// The Object Lock a write asks for: PutObject's, CopyObject's and CreateMultipartUpload's
/// `x-amz-object-lock-mode` with `x-amz-object-lock-retain-until-date`, and
/// `x-amz-object-lock-legal-hold`, checked as S3 checks them. Without headers, a bucket's
/// default retention applies (``lock(in:at:)``).
struct ObjectLockHeaders: Equatable {
    var retention: ObjectRetention?
    var legalHold: LegalHold?

    /// Whether the request sends any of the three headers.
    var isEmpty: Bool { retention == nil && legalHold == nil }

    /// The actions S3 requires, beside the write's own, of a request that sends the headers
    /// (`s3:PutObjectRetention` for a retention, `s3:PutObjectLegalHold` for a legal hold),
    /// checked before the headers are.
    static func requiredActions(_ request: S3Request) -> [String] {
        let retention = request.header(.xAmzObjectLockMode) != nil || request.header(.xAmzObjectLockRetainUntilDate) != nil
        return (retention ? ["s3:PutObjectRetention"] : []) + (request.header(.xAmzObjectLockLegalHold) != nil ? ["s3:PutObjectLegalHold"] : [])
    }

    static func parse(_ request: S3Request, now: Date) throws(S3Error) -> ObjectLockHeaders {
        let modeText = request.header(.xAmzObjectLockMode)
        let dateText = request.header(.xAmzObjectLockRetainUntilDate)
        var headers = ObjectLockHeaders()
        switch (modeText, dateText) {
        case (nil, nil): break
        case (let modeText?, let dateText?):
            guard let mode = RetentionMode(rawValue: modeText) else {
                throw S3Error(.invalidArgument, "Unknown wormMode directive.",
                              extra: [("ArgumentName", "x-amz-object-lock-mode"), ("ArgumentValue", modeText)])
            }
            let until = try ObjectLockXML.date(dateText, argument: "x-amz-object-lock-retain-until-date")
            headers.retention = try ObjectLockXML.futureRetention(mode: mode, until: until, now: now)
        default:
            throw S3Error(.invalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
        }
        if let hold = request.header(.xAmzObjectLockLegalHold) {
            guard let legalHold = LegalHold(rawValue: hold) else {
                throw S3Error(.invalidArgument, "Legal Hold must be either of 'ON' or 'OFF'",
                              extra: [("ArgumentName", "x-amz-object-lock-legal-hold"), ("ArgumentValue", hold)])
            }
            headers.legalHold = legalHold
        }
        return headers
    }

    /// The retention and legal hold a new version written at `now` into `bucket` gets: the
    /// headers', else the bucket's default retention. Headers on a bucket without Object Lock
    /// are 400 InvalidRequest, as on S3.
    func lock(in bucket: BucketRecord, at now: Date) throws(S3Error) -> (retention: ObjectRetention?, legalHold: LegalHold?) {
        guard bucket.hasObjectLock else {
            guard isEmpty else { throw S3Error(.invalidRequest, "Bucket is missing Object Lock Configuration") }
            return (nil, nil)
        }
        return (retention ?? bucket.defaultRetention?.retention(from: now), legalHold)
    }

    /// S3 requires an integrity check (Content-MD5 or an `x-amz-checksum-*`) on a PutObject that
    /// sets a retention.
    func requireIntegrityCheck(_ request: S3Request) throws(S3Error) {
        guard retention != nil || legalHold != nil else { return }
        let checked = request.header(.contentMd5) != nil
            || request.headers.contains { $0.name.canonicalName.hasPrefix("x-amz-checksum-") && $0.name.canonicalName != "x-amz-checksum-mode" }
            || request.header(.xAmzSdkChecksumAlgorithm) != nil || request.header(.xAmzTrailer) != nil
        if !checked {
            throw S3Error(.invalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
        }
    }

    /// The lock headers of a GET or HEAD answer, for a version that has them: the retention's
    /// when `showRetention` (the caller may do `s3:GetObjectRetention`), the legal hold's when
    /// `showLegalHold` (`s3:GetObjectLegalHold`), as S3 answers them.
    static func responseFields(_ record: ObjectRecord, showRetention: Bool, showLegalHold: Bool, into fields: inout HTTPFields) {
        if showRetention, let retention = record.retention {
            fields[.xAmzObjectLockMode] = retention.mode.rawValue
            fields[.xAmzObjectLockRetainUntilDate] = S3Date.iso8601(retention.retainUntil)
        }
        if showLegalHold, let hold = record.legalHold { fields[.xAmzObjectLockLegalHold] = hold.rawValue }
    }

    /// Whether the request asks to bypass GOVERNANCE retention (`x-amz-bypass-governance-retention: true`).
    static func asksBypass(_ request: S3Request) -> Bool {
        request.header(.xAmzBypassGovernanceRetention)?.lowercased() == "true"
    }
}

/// The XML documents of Object Lock: `ObjectLockConfiguration`, `Retention`, `LegalHold`.
enum ObjectLockXML {
    /// An ISO 8601 date (`2030-01-01T00:00:00Z`, a fraction allowed), or 400 InvalidArgument.
    static func date(_ text: String, argument: String) throws(S3Error) -> Date {
        guard let time = UTCTime(iso8601Extended: text.trimmingCharacters(in: .whitespaces)) else {
            throw S3Error(.invalidArgument, "The retain until date must be provided in ISO 8601 format",
                          extra: [("ArgumentName", argument), ("ArgumentValue", text)])
        }
        return time.date
    }

    /// A retention that ends after `now`; S3 refuses a retain-until date in the past.
    static func futureRetention(mode: RetentionMode, until: Date, now: Date) throws(S3Error) -> ObjectRetention {
        guard until > now else { throw S3Error(.invalidArgument, "The retain until date must be in the future!") }
        return ObjectRetention(mode: mode, retainUntil: until)
    }

    /// `ObjectLockConfiguration`: `ObjectLockEnabled` Enabled, and an optional `Rule` with a
    /// `DefaultRetention` of `Mode` and `Days` or `Years` (never both). Returns the rule.
    static func parseConfiguration(_ bytes: [UInt8]) throws(S3Error) -> DefaultRetention? {
        guard let root = XMLElementNode.parse(bytes), root.name == "ObjectLockConfiguration",
              root.childText("ObjectLockEnabled") == "Enabled" else { throw S3Error(.malformedXML) }
        guard let rule = root.child("Rule") else { return nil }
        guard let retention = rule.child("DefaultRetention"), let modeText = retention.childText("Mode"),
              let mode = RetentionMode(rawValue: modeText) else { throw S3Error(.malformedXML) }
        let period: DefaultRetention.Period
        switch (retention.childText("Days"), retention.childText("Years")) {
        case (let days?, nil):
            guard let value = Int(days), value > 0 else { throw invalidPeriod }
            guard value <= DefaultRetention.maxDays else { throw periodTooLong }
            period = .days(value)
        case (nil, let years?):
            guard let value = Int(years), value > 0 else { throw invalidPeriod }
            guard value <= DefaultRetention.maxYears else { throw periodTooLong }
            period = .years(value)
        default: throw S3Error(.malformedXML)
        }
        return DefaultRetention(mode: mode, period: period)
    }

    private static let invalidPeriod = S3Error(.invalidArgument, "Default retention period must be a positive integer value.")
    private static let periodTooLong = S3Error(.invalidArgument, "Default retention period is too large: at most \(DefaultRetention.maxDays) days or \(DefaultRetention.maxYears) years.")

    static func writeConfiguration(_ rule: DefaultRetention?) -> XMLWriter {
        var xml = XMLWriter()
        xml.element("ObjectLockConfiguration", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("ObjectLockEnabled", "Enabled")
            guard let rule else { return }
            x.element("Rule") { r in
                r.element("DefaultRetention") { d in
                    d.element("Mode", rule.mode.rawValue)
                    switch rule.period {
                    case .days(let days): d.element("Days", String(days))
                    case .years(let years): d.element("Years", String(years))
                    }
                }
            }
        }
        return xml
    }

    /// `Retention`: `Mode` and `RetainUntilDate` together (a retention), or neither (none).
    static func parseRetention(_ bytes: [UInt8], now: Date) throws(S3Error) -> ObjectRetention? {
        guard let root = XMLElementNode.parse(bytes), root.name == "Retention" else { throw S3Error(.malformedXML) }
        switch (root.childText("Mode"), root.childText("RetainUntilDate")) {
        case (nil, nil): return nil
        case (let modeText?, let dateText?):
            guard let mode = RetentionMode(rawValue: modeText) else { throw S3Error(.malformedXML) }
            return try futureRetention(mode: mode, until: try date(dateText, argument: "RetainUntilDate"), now: now)
        default: throw S3Error(.malformedXML)
        }
    }

    static func writeRetention(_ retention: ObjectRetention) -> XMLWriter {
        var xml = XMLWriter()
        xml.element("Retention", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Mode", retention.mode.rawValue)
            x.element("RetainUntilDate", S3Date.iso8601(retention.retainUntil))
        }
        return xml
    }

    /// `LegalHold` with `Status` ON or OFF.
    static func parseLegalHold(_ bytes: [UInt8]) throws(S3Error) -> LegalHold {
        guard let root = XMLElementNode.parse(bytes), root.name == "LegalHold",
              let status = root.childText("Status").flatMap(LegalHold.init(rawValue:)) else { throw S3Error(.malformedXML) }
        return status
    }

    static func writeLegalHold(_ hold: LegalHold) -> XMLWriter {
        var xml = XMLWriter()
        xml.element("LegalHold", attributes: [("xmlns", S3XML.namespace)]) { $0.element("Status", hold.rawValue) }
        return xml
    }
}
