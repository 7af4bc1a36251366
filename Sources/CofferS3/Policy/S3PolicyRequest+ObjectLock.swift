import CofferStorage
import Foundation

/// The Object Lock condition keys S3 puts in a request's context (S3 User Guide, "Object Lock
/// considerations", and the Service Authorization Reference): what the request asks to lock,
/// from the `x-amz-object-lock-*` headers of a write, or the body of PutObjectRetention and
/// PutObjectLegalHold. The server and `coffer policy simulate` both derive them here.
extension S3PolicyRequest {
    /// `s3:object-lock-mode`, `s3:object-lock-retain-until-date` (as sent),
    /// `s3:object-lock-remaining-retention-days` (whole days from `now` to that date, rounded
    /// up; 0 when it has passed) and `s3:object-lock-legal-hold`, for what the request names.
    /// Values the operation would refuse are still the request's: the refusal comes after.
    public static func objectLockContext(_ request: S3Request, operation: S3Operation, body: [UInt8]?, now: Date) -> [String: [String]] {
        var mode: String?, until: String?, hold: String?
        switch operation.spec.objectLock {
        case nil: return [:]
        case .headers?:
            mode = request.header(.xAmzObjectLockMode)
            until = request.header(.xAmzObjectLockRetainUntilDate)
            hold = request.header(.xAmzObjectLockLegalHold)
        case .retentionBody?:
            guard let body, let root = XMLElementNode.parse(body), root.name == "Retention" else { return [:] }
            mode = root.childText("Mode")
            until = root.childText("RetainUntilDate")
        case .legalHoldBody?:
            guard let body, let root = XMLElementNode.parse(body), root.name == "LegalHold" else { return [:] }
            hold = root.childText("Status")
        }
        var context: [String: [String]] = [:]
        if let mode { context["s3:object-lock-mode"] = [mode] }
        if let until {
            context["s3:object-lock-retain-until-date"] = [until]
            if let date = try? ObjectLockXML.date(until, argument: "") {
                let days = max(0, (date.timeIntervalSince(now) / 86_400).rounded(.up))
                context["s3:object-lock-remaining-retention-days"] = [String(Int64(days))]
            }
        }
        if let hold { context["s3:object-lock-legal-hold"] = [hold] }
        return context
    }
}
