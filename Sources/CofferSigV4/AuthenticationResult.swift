/// The outcome of `SigV4Verifier.verify`.
public enum AuthenticationResult: Sendable {
    /// No `Authorization` header and no `X-Amz-Algorithm` query parameter.
    case anonymous
    /// A valid signature by a known access key.
    case authenticated(AuthenticatedRequest)
}

/// How the request body is covered by the signature, from `x-amz-content-sha256`.
public enum PayloadMode: Sendable, Equatable {
    /// A hex SHA-256 digest (lower-case) the body must match: feed it to a `PayloadHashVerifier`.
    case hash(String)
    /// `UNSIGNED-PAYLOAD` (and presigned URLs without the header): the body is not covered.
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked with a signature per chunk.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then signed trailers.
    case streamingSignedTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned aws-chunked body with trailers.
    case streamingUnsignedTrailer

    /// Whether the body is `aws-chunked` and must go through an `AWSChunkedDecoder`.
    public var isStreaming: Bool {
        switch self {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: true
        case .hash, .unsigned: false
        }
    }

    /// The `x-amz-content-sha256` spelling of this mode.
    public var headerValue: String {
        switch self {
        case .hash(let hex): hex
        case .unsigned: "UNSIGNED-PAYLOAD"
        case .streamingSigned: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        case .streamingSignedTrailer: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        case .streamingUnsignedTrailer: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        }
    }

    static let invalidMessage = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
        + "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
        + "or a valid sha256 value."

    /// Parses an `x-amz-content-sha256` value; S3's `InvalidArgument` for anything else.
    public init(headerValue value: String) throws(SigV4Error) {
        switch value {
        case "UNSIGNED-PAYLOAD": self = .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": self = .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": self = .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": self = .streamingUnsignedTrailer
        case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
            throw SigV4Error(.notImplemented, "SigV4a streaming payloads are not implemented")
        default:
            guard value.utf8.count == 64, value.utf8.allSatisfy(\.isHexDigit) else {
                throw SigV4Error(.invalidArgument, Self.invalidMessage,
                              extra: [("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", value)])
            }
            self = .hash(value.lowercased())
        }
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

/// A request whose signature checked out (SigV4, or SigV2 where S3 accepts it).
///
/// `description` leaves out the signing key (it stands in for the secret for a day).
public struct AuthenticatedRequest: Sendable, CustomStringConvertible {
    public var accessKeyId: String
    public var userName: String
    /// Which signature version the request was signed with, and whether in the header or the query.
    public var mechanism: SignatureMechanism
    /// The request time that was signed (`X-Amz-Date`, `x-amz-date` or `Date`); nil for a
    /// SigV2 presigned URL, which signs only its expiry time.
    public var signingTime: AmzDate?
    /// The signature the client sent (SigV4: the seed of the chunk signature chain).
    public var signature: String
    public var payload: PayloadMode
    /// SigV4 only: the derived key, time and scope that aws-chunked chunk signatures are
    /// checked with. Nil for SigV2, which has no signed-chunk form.
    public var chunkSigningContext: ChunkSigningContext?

    public init(accessKeyId: String, userName: String, mechanism: SignatureMechanism, signingTime: AmzDate?, signature: String,
                payload: PayloadMode, chunkSigningContext: ChunkSigningContext?) {
        self.accessKeyId = accessKeyId
        self.userName = userName
        self.mechanism = mechanism
        self.signingTime = signingTime
        self.signature = signature
        self.payload = payload
        self.chunkSigningContext = chunkSigningContext
    }

    /// Whether the signature came in the query string (a presigned URL).
    public var isPresigned: Bool { mechanism.carrier == .queryString }

    /// SigV4's credential scope, `20130524/us-east-1/s3/aws4_request`; nil for SigV2.
    public var scope: String? { chunkSigningContext?.scope }

    public var description: String {
        "AuthenticatedRequest(accessKeyId: \(accessKeyId), userName: \(userName), mechanism: \(mechanism), "
            + "scope: \(scope ?? "none"), payload: \(payload.headerValue), signingKey: <redacted>)"
    }
}
