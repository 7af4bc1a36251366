import Foundation
import HTTPTypes

/// The `Range: bytes=...` header of a GET, resolved against an object's size as S3 does:
/// one range only (anything else is ignored and the whole object served); a range that
/// starts past the end is unsatisfiable.
enum ByteRange: Equatable {
    case none
    case satisfiable(ClosedRange<Int64>)
    case unsatisfiable

    static func parse(_ header: String, size: Int64) -> ByteRange {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes=") else { return .none }
        let spec = text.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .none }
        let startText = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let endText = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ s: String) -> Int64? {
            guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int64(s) ?? Int64.max
        }
        if startText.isEmpty {
            guard let suffix = number(endText) else { return .none }
            if suffix == 0 || size == 0 { return .unsatisfiable }
            return .satisfiable(max(size - suffix, 0)...(size - 1))
        }
        guard let start = number(startText) else { return .none }
        if endText.isEmpty {
            return start < size ? .satisfiable(start...(size - 1)) : .unsatisfiable
        }
        guard let end = number(endText) else { return .none }
        if end < start { return .none }
        guard start < size else { return .unsatisfiable }
        return .satisfiable(start...min(end, size - 1))
    }
}

/// Evaluates GET/HEAD conditional headers in the order S3 documents (RFC 7232 §6).
enum Conditional {
    static func evaluate(_ request: S3Request, etag: String, lastModified: Date, responseFields: HTTPFields) throws(S3Error) {
        let quoted = "\"\(etag)\""
        func matches(_ header: String) -> Bool {
            header.split(separator: ",").contains { candidate in
                let c = candidate.trimmingCharacters(in: .whitespaces)
                return c == "*" || c == quoted || c == etag || c == "W/" + quoted
            }
        }
        // Last-Modified has one-second resolution on the wire.
        let modified = lastModified.timeIntervalSince1970.rounded(.down)
        var ifMatchPassed = false
        if let ifMatch = request.header("if-match") {
            guard matches(ifMatch) else { throw S3Error(.preconditionFailed, extra: [("Condition", "If-Match")]) }
            ifMatchPassed = true
        }
        if !ifMatchPassed, let text = request.header("if-unmodified-since"), let date = S3Date.parseHTTP(text) {
            if modified > date.timeIntervalSince1970 { throw S3Error(.preconditionFailed, extra: [("Condition", "If-Unmodified-Since")]) }
        }
        var notModifiedHeaders = HTTPFields()
        notModifiedHeaders[.eTag] = responseFields[.eTag]
        notModifiedHeaders[.lastModified] = responseFields[.lastModified]
        if let ifNoneMatch = request.header("if-none-match") {
            if matches(ifNoneMatch) { throw S3Error(.notModified, headers: notModifiedHeaders) }
        } else if let text = request.header("if-modified-since"), let date = S3Date.parseHTTP(text) {
            if modified <= date.timeIntervalSince1970 { throw S3Error(.notModified, headers: notModifiedHeaders) }
        }
    }
}
