import Foundation

/// Why a request's SigV4 authentication, payload hash or aws-chunked framing was refused.
///
/// The codes are AWS's SigV4 failure codes as S3 names them; each API maps them once to its
/// own wire form (S3's XML errors in `CofferS3`, the JSON protocols' `__type`s in the front
/// door), by code, never by message. Messages and details never carry a secret or a signature
/// the server computed: only what the client sent (`SignatureProvided`, `AWSAccessKeyId`).
public struct SigV4Error: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The Authorization header does not parse, or its scope is wrong (region, terminator, date).
        case authorizationHeaderMalformed = "AuthorizationHeaderMalformed"
        /// The presigned-URL parameters do not parse, or their scope is wrong.
        case authorizationQueryParametersError = "AuthorizationQueryParametersError"
        /// The credential scope names another service than the endpoint's (`source` says
        /// whether the header or the query carried it).
        case wrongService = "WrongService"
        case invalidAccessKeyId = "InvalidAccessKeyId"
        case signatureDoesNotMatch = "SignatureDoesNotMatch"
        /// The signed time is too far from the server's clock.
        case requestTimeTooSkewed = "RequestTimeTooSkewed"
        /// A presigned URL past its expiry, or not yet valid.
        case expired = "Expired"
        /// Authentication that S3 refuses outright: no date, host unsigned, `x-amz-*` headers unsigned.
        case accessDenied = "AccessDenied"
        /// Two mechanisms at once, an unknown Authorization scheme, a bad `x-amz-content-sha256` value.
        case invalidArgument = "InvalidArgument"
        /// A mechanism the endpoint does not accept (SigV2 outside S3), or a missing required header.
        case invalidRequest = "InvalidRequest"
        case notImplemented = "NotImplemented"
        /// The body's SHA-256 is not the one the request signed.
        case xAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
        case invalidChunkSizeError = "InvalidChunkSizeError"
        case malformedTrailerError = "MalformedTrailerError"
        /// The aws-chunked body ended before its final chunk.
        case incompleteBody = "IncompleteBody"
    }

    /// Where the refused authentication was carried.
    public enum Source: Sendable, Equatable { case header, query, body }

    public var code: Code
    /// The message to show the client; nil for the API's default message of the code.
    public var message: String?
    /// Extra elements of the error (`AWSAccessKeyId`, `SignatureProvided`, `Region`, ...).
    public var details: [(name: String, value: String)]
    public var source: Source

    public init(_ code: Code, _ message: String? = nil, extra details: [(name: String, value: String)] = [], source: Source = .header) {
        self.code = code
        self.message = message
        self.details = details
        self.source = source
    }

    /// A header-signed request without a usable `Date` or `x-amz-date` (SigV4 and SigV2 alike).
    static let missingRequestTime = SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")

    /// The signed request time (`requestTime`, as the client sent it) is more than `maxSkew` from `now`.
    static func requestTimeTooSkewed(requestTime: String, now: Date, maxSkew: TimeInterval) -> SigV4Error {
        SigV4Error(.requestTimeTooSkewed, extra: [
            ("RequestTime", requestTime),
            ("ServerTime", AmzDate(now).iso8601Extended),
            ("MaxAllowedSkewMilliseconds", String(Int(maxSkew * 1000))),
        ])
    }

    public var description: String { "SigV4Error(\(code.rawValue)): \(message ?? "")" }
}
