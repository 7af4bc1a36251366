import HTTPTypes

/// `x-amz-tagging-directive` of CopyObject: whether the copy takes the source's tags (`COPY`,
/// the default) or the request's `x-amz-tagging` (`REPLACE`; no header: no tags).
enum TaggingDirective: String, Sendable {
    case copy = "COPY"
    case replace = "REPLACE"

    static let name = HTTPField.Name.xAmzTaggingDirective

    /// The directive a header value names (`COPY` without one); nil for any other value.
    static func parse(_ value: String?) -> TaggingDirective? {
        guard let value else { return .copy }
        return TaggingDirective(rawValue: value)
    }

    /// The request's directive; 400 InvalidArgument for a value S3 does not know, as for
    /// `x-amz-metadata-directive`.
    static func of(_ request: S3Request) throws(S3Error) -> TaggingDirective {
        let value = request.header(name)
        guard let directive = parse(value) else {
            throw S3Error(.invalidArgument, "Unknown tagging directive.", extra: [("ArgumentName", name.canonicalName), ("ArgumentValue", value ?? "")])
        }
        return directive
    }
}
