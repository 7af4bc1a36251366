import CofferCrypto
import CofferStorage
import Foundation
import HTTPTypes

/// The system and user metadata an upload carries, read from request headers and written
/// back on GET/HEAD.
struct ObjectHeaders {
    static let contentHeaderNames = ["content-type", "content-encoding", "content-disposition", "cache-control", "expires", "content-language"]
    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    ]
    /// S3's limit on user metadata: 2 KB of names and values.
    static let maxUserMetadataBytes = 2048

    var content: [String: String] = [:]
    var user: [String: String] = [:]
    var storageClass = "STANDARD"

    static func parse(_ request: S3Request) throws(S3Error) -> ObjectHeaders {
        var result = ObjectHeaders()
        for name in contentHeaderNames {
            guard var value = request.header(name) else { continue }
            if name == "content-encoding" {
                guard let stored = storedContentEncoding(value) else { continue }
                value = stored
            }
            result.content[name] = value
        }
        if result.content["content-type"] == nil { result.content["content-type"] = "binary/octet-stream" }
        var size = 0
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            guard name.hasPrefix("x-amz-meta-") else { continue }
            let key = String(name.dropFirst("x-amz-meta-".count))
            let value = field.withUnsafeBytesOfValue { MetadataValue.decode($0) }
            size += key.utf8.count + value.utf8.count
            if let existing = result.user[key] {
                result.user[key] = existing + "," + value
            } else {
                result.user[key] = value
            }
        }
        if size > maxUserMetadataBytes {
            throw S3Error(.metadataTooLarge, extra: [("Size", String(size)), ("MaxSizeAllowed", String(maxUserMetadataBytes))])
        }
        if let storageClass = request.header(.xAmzStorageClass) {
            guard storageClasses.contains(storageClass) else { throw S3Error(.invalidStorageClass, "The storage class you specified is not valid") }
            result.storageClass = storageClass
        }
        return result
    }

    /// The Content-Encoding to store for a received one: `aws-chunked` is transfer framing,
    /// never part of the stored object, so it is taken out of the list; everything else is
    /// kept exactly as sent (`deflate, gzip` stays `deflate, gzip`). Nil when nothing is left.
    static func storedContentEncoding(_ value: String) -> String? {
        let pieces = value.split(separator: ",", omittingEmptySubsequences: false)
        let kept = pieces.filter { $0.trimmingCharacters(in: .whitespaces).lowercased() != "aws-chunked" }
        if kept.count == pieces.count { return value.isEmpty ? nil : value }
        let rest = kept.joined(separator: ",").trimmingCharacters(in: .whitespaces)
        return rest.isEmpty ? nil : rest
    }

    /// The headers GET and HEAD answer with for `record`.
    static func responseFields(for record: ObjectRecord) -> HTTPFields {
        var fields = HTTPFields()
        fields[.eTag] = "\"\(record.etag)\""
        fields[.lastModified] = S3Date.http(record.lastModified)
        fields[.acceptRanges] = "bytes"
        for name in contentHeaderNames {
            if let value = record.contentHeaders[name], let field = HTTPField.Name(name) { fields[field] = value }
        }
        for (key, value) in record.userMetadata.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name("x-amz-meta-" + key) { fields[field] = MetadataValue.encode(value) }
        }
        if record.storageClass != "STANDARD" {
            fields[.xAmzStorageClass] = record.storageClass
        }
        return fields
    }
}

/// S3 keys: at most 1024 bytes of UTF-8.
enum ObjectKey {
    static func validate(_ key: String) throws(S3Error) {
        if key.utf8.count > 1024 {
            throw S3Error(.keyTooLongError, extra: [("Size", String(key.utf8.count)), ("MaxSizeAllowed", "1024")])
        }
    }
}

/// Parses and checks `Content-MD5`.
enum ContentMD5 {
    static func expected(_ request: S3Request) throws(S3Error) -> [UInt8]? {
        guard let value = request.header(.contentMd5) else { return nil }
        guard let bytes = Base64.decode(value.trimmingCharacters(in: .whitespaces)), bytes.count == 16 else {
            throw S3Error(.invalidDigest)
        }
        return bytes
    }

    static func verify(_ expected: [UInt8]?, computed: [UInt8]) throws(S3Error) {
        if let expected, !constantTimeEquals(expected, computed) {
            throw S3Error(.badDigest, extra: [("ExpectedDigest", Base64.encode(expected)), ("CalculatedDigest", Base64.encode(computed))])
        }
    }
}
