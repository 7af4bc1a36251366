/// The signature a request presents, before it is checked: which AWS signature version, and
/// whether the `Authorization` header or the query string carries it.
///
/// S3 tells them apart by form alone: `Authorization: AWS4-HMAC-SHA256 ...` or `X-Amz-*`
/// query parameters are Signature Version 4; `Authorization: AWS AKID:signature` or the
/// `AWSAccessKeyId`/`Signature` query parameters are Signature Version 2. The policy context
/// (`s3:signatureversion`, `s3:authType`) and the audit trail name the mechanism from here.
public struct SignatureMechanism: Sendable, Hashable, CustomStringConvertible {
    public enum Version: Sendable, Hashable {
        /// HMAC-SHA1 over S3's string to sign (the legacy `AWS` scheme).
        case v2
        /// `AWS4-HMAC-SHA256`.
        case v4
    }

    public enum Carrier: Sendable, Hashable {
        /// The `Authorization` header.
        case header
        /// Query parameters: a presigned URL.
        case queryString
    }

    public var version: Version
    public var carrier: Carrier

    public init(_ version: Version, _ carrier: Carrier) {
        self.version = version
        self.carrier = carrier
    }

    public var description: String {
        "\(version == .v2 ? "SigV2" : "SigV4") \(carrier == .header ? "header" : "query string")"
    }

    /// The mechanism `request` presents; nil when it carries no signature at all (anonymous).
    ///
    /// - Throws: S3's `InvalidArgument` for a request that carries both an `Authorization`
    ///   header and query-string authentication.
    public static func presented(by request: SigV4Request) throws(SigV4Error) -> SignatureMechanism? {
        let query = request.queryParameters
        let v4Query = query.contains { $0.name == "X-Amz-Algorithm" || $0.name == "X-Amz-Credential" || $0.name == "X-Amz-Signature" }
        let v2Query = query.contains { $0.name == "AWSAccessKeyId" || $0.name == "Signature" }
        if let authorization = request.header("authorization") {
            if v4Query || v2Query {
                throw SigV4Error(.invalidArgument,
                                 "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                                 extra: [("ArgumentName", "Authorization"), ("ArgumentValue", "null")])
            }
            return SignatureMechanism(isSigV2Scheme(authorization) ? .v2 : .v4, .header)
        }
        if v4Query { return SignatureMechanism(.v4, .queryString) }
        if v2Query { return SignatureMechanism(.v2, .queryString) }
        return nil
    }

    /// Whether an `Authorization` value uses SigV2's scheme: `AWS` then a space (or nothing).
    static func isSigV2Scheme(_ authorization: String) -> Bool {
        let trimmed = authorization.drop { $0 == " " }
        return trimmed.prefix { $0 != " " } == SigV2Verifier.scheme
    }
}
