import CofferStorage
import Foundation
import HTTPTypes

/// Every conditional header S3 reads, parsed in one place: the reads' `If-*` (RFC 7232 in the
/// order S3 documents), a copy's `x-amz-copy-source-if-*`, and the conditional writes.
struct ConditionalHeaders {
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: Date?
    var ifUnmodifiedSince: Date?

    /// The headers named `<prefix>if-match`, ... (`""` for the request's own, or
    /// `x-amz-copy-source-` for a copy's source). Unparseable dates are ignored, as S3 does.
    init(_ request: S3Request, prefix: String = "") {
        ifMatch = request.header(prefix + "if-match")
        ifNoneMatch = request.header(prefix + "if-none-match")
        ifModifiedSince = request.header(prefix + "if-modified-since").flatMap(S3Date.parseHTTP)
        ifUnmodifiedSince = request.header(prefix + "if-unmodified-since").flatMap(S3Date.parseHTTP)
    }

    /// Whether a comma-separated ETag list names `etag` (or `*`); `allowWeak` also accepts `W/"..."`.
    static func list(_ header: String, matches etag: String, allowWeak: Bool) -> Bool {
        let quoted = "\"\(etag)\""
        return header.split(separator: ",").contains { candidate in
            let c = candidate.trimmingCharacters(in: .whitespaces)
            return c == "*" || c == quoted || c == etag || (allowWeak && c == "W/" + quoted)
        }
    }

    /// Last-Modified has one-second resolution on the wire.
    static func seconds(_ date: Date) -> TimeInterval { date.timeIntervalSince1970.rounded(.down) }
}

/// GET and HEAD: 412 PreconditionFailed or 304 Not Modified, in the order S3 documents.
enum Conditional {
    static func evaluate(_ request: S3Request, etag: String, lastModified: Date, responseFields: HTTPFields) throws(S3Error) {
        let headers = ConditionalHeaders(request)
        let modified = ConditionalHeaders.seconds(lastModified)
        var ifMatchPassed = false
        if let ifMatch = headers.ifMatch {
            guard ConditionalHeaders.list(ifMatch, matches: etag, allowWeak: true) else {
                throw S3Error(.preconditionFailed, extra: [("Condition", "If-Match")])
            }
            ifMatchPassed = true
        }
        if !ifMatchPassed, let date = headers.ifUnmodifiedSince, modified > date.timeIntervalSince1970 {
            throw S3Error(.preconditionFailed, extra: [("Condition", "If-Unmodified-Since")])
        }
        var notModifiedHeaders = HTTPFields()
        notModifiedHeaders[.eTag] = responseFields[.eTag]
        notModifiedHeaders[.lastModified] = responseFields[.lastModified]
        if let ifNoneMatch = headers.ifNoneMatch {
            if ConditionalHeaders.list(ifNoneMatch, matches: etag, allowWeak: true) { throw S3Error(.notModified, headers: notModifiedHeaders) }
        } else if let date = headers.ifModifiedSince, modified <= date.timeIntervalSince1970 {
            throw S3Error(.notModified, headers: notModifiedHeaders)
        }
    }
}

/// `x-amz-copy-source-if-*`: every failure is 412 PreconditionFailed on a copy.
enum CopyConditions {
    static func evaluate(_ request: S3Request, record: ObjectRecord) throws(S3Error) {
        let headers = ConditionalHeaders(request, prefix: "x-amz-copy-source-")
        let modified = ConditionalHeaders.seconds(record.lastModified)
        if let ifMatch = headers.ifMatch, !ConditionalHeaders.list(ifMatch, matches: record.etag, allowWeak: false) {
            throw S3Error(.preconditionFailed, extra: [("Condition", "x-amz-copy-source-If-Match")])
        }
        if headers.ifMatch == nil, let date = headers.ifUnmodifiedSince, modified > date.timeIntervalSince1970 {
            throw S3Error(.preconditionFailed, extra: [("Condition", "x-amz-copy-source-If-Unmodified-Since")])
        }
        if let ifNoneMatch = headers.ifNoneMatch, ConditionalHeaders.list(ifNoneMatch, matches: record.etag, allowWeak: false) {
            throw S3Error(.preconditionFailed, extra: [("Condition", "x-amz-copy-source-If-None-Match")])
        }
        if headers.ifNoneMatch == nil, let date = headers.ifModifiedSince, modified <= date.timeIntervalSince1970 {
            throw S3Error(.preconditionFailed, extra: [("Condition", "x-amz-copy-source-If-Modified-Since")])
        }
    }
}

/// S3's conditional writes on PutObject and CompleteMultipartUpload: `If-None-Match: *`
/// (create only) and `If-Match: <etag>` (replace only that version).
enum ConditionalWrite {
    static func parse(_ request: S3Request) throws(S3Error) -> WritePrecondition {
        let headers = ConditionalHeaders(request)
        if headers.ifNoneMatch != nil && headers.ifMatch != nil {
            throw S3Error(.notImplemented, "Multiple conditional request headers present in the request")
        }
        if let value = headers.ifNoneMatch {
            guard value.trimmingCharacters(in: .whitespaces) == "*" else {
                throw S3Error(.notImplemented, "A header you provided implies functionality that is not implemented", extra: [("Header", "If-None-Match")])
            }
            return .absent
        }
        if let value = headers.ifMatch {
            let etag = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return .etagMatches(etag)
        }
        return .none
    }
}
