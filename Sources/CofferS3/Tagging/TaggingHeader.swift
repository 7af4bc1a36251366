import CofferSigV4
import CofferStorage
import HTTPTypes

/// `x-amz-tagging`, the tags of PutObject, CreateMultipartUpload and CopyObject (with
/// `x-amz-tagging-directive: REPLACE`): URL query parameters, `key1=value1&key2=value2`, keys
/// and values percent-encoded as UTF-8 (`+` is a space). S3 takes `key` alone and `key=` as an
/// empty value and skips empty pieces (`a&&b`).
enum TaggingHeader {
    static let name = HTTPField.Name.xAmzTagging

    /// The header's tags in the order written, checked against the object rules. A header that
    /// is not such parameters (a piece with two `=`, an empty key, a bad escape, bytes that are
    /// not UTF-8) or that names a key twice is 400 InvalidArgument, as on S3; the tags
    /// themselves are then checked as PutObjectTagging checks them (`TagRules`).
    static func parse(_ header: String) throws(S3Error) -> [StoredTag] {
        let tags = try parseUnchecked(header)
        try TagRules.validate(tags, for: .object)
        return tags
    }

    /// The header's tags, checked for encoding and repeated keys only.
    static func parseUnchecked(_ header: String) throws(S3Error) -> [StoredTag] {
        var tags: [StoredTag] = []
        var seen = Set<String>()
        for piece in header.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2, !(parts.count == 2 && parts[0].isEmpty),
                  let key = PercentEncoding.decode(parts[0], plusAsSpace: true),
                  let value = parts.count == 2 ? PercentEncoding.decode(parts[1], plusAsSpace: true) : "",
                  seen.insert(key).inserted
            else { throw invalid(header) }
            tags.append(StoredTag(key: key, value: value))
        }
        return tags
    }

    /// The header form of `tags` (what the audit trail records, and the dry run prints).
    static func encode(_ tags: [StoredTag]) -> String {
        tags.map { PercentEncoding.encode($0.key, keepSlash: false) + "=" + PercentEncoding.encode($0.value, keepSlash: false) }
            .joined(separator: "&")
    }

    static func invalid(_ header: String) -> S3Error {
        S3Error(.invalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
                extra: [("ArgumentName", name.canonicalName), ("ArgumentValue", header)])
    }
}
