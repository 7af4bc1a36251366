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

/// A request whose SigV4 signature checked out.
///
/// `description` leaves out the signing key (it stands in for the secret for a day).
public struct AuthenticatedRequest: Sendable, CustomStringConvertible {
    public var accessKeyId: String
    public var userName: String
    public var region: String
    public var service: String
    /// The request time that was signed (`X-Amz-Date`, or `Date`).
    public var signingTime: AmzDate
    /// The signature the client sent: the seed of the chunk signature chain.
    public var signature: String
    /// The derived key for `signingTime`'s day, region and service, for chunk verification.
    public var signingKey: SigningKey
    public var isPresigned: Bool
    public var payload: PayloadMode

    public init(accessKeyId: String, userName: String, region: String, service: String, signingTime: AmzDate,
                signature: String, signingKey: SigningKey, isPresigned: Bool, payload: PayloadMode) {
        self.accessKeyId = accessKeyId
        self.userName = userName
        self.region = region
        self.service = service
        self.signingTime = signingTime
        self.signature = signature
        self.signingKey = signingKey
        self.isPresigned = isPresigned
        self.payload = payload
    }

    /// `20130524/us-east-1/s3/aws4_request`.
    public var scope: String {
        SigV4Canonicalizer.scope(date: signingTime.dateStamp, region: region, service: service)
    }

    /// What an `AWSChunkedDecoder` needs to check the chunk signatures of this request.
    public var chunkSigningContext: ChunkSigningContext {
        ChunkSigningContext(signingKey: signingKey, amzDate: signingTime.iso8601Basic, scope: scope, seedSignature: signature)
    }

    public var description: String {
        "AuthenticatedRequest(accessKeyId: \(accessKeyId), userName: \(userName), scope: \(scope), "
            + "presigned: \(isPresigned), payload: \(payload.headerValue), signingKey: <redacted>)"
    }
}
