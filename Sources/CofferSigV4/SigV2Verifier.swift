import CofferCrypto
import CofferTime
import Foundation

/// Verifies AWS Signature Version 2 requests to S3, as S3 accepted them: the header form
/// `Authorization: AWS AKID:signature` and presigned URLs with `AWSAccessKeyId`, `Expires` and
/// `Signature` query parameters (what the aws CLI v1 presigns with by default). Both sign
/// `SigV2Canonicalizer`'s string to sign with HMAC-SHA1 under the secret key itself.
///
/// Pure logic, like `SigV4Verifier`: the clock is passed in and credentials come from a
/// `CredentialProvider`. Whether SigV2 is accepted at all is the caller's decision.
public struct SigV2Verifier: Sendable {
    /// The `Authorization` scheme of SigV2.
    static let scheme = "AWS"

    public let credentials: any CredentialProvider
    /// The largest accepted distance between a header-signed request's time and `now` (15 minutes).
    public let maxSkew: TimeInterval

    public init(credentials: any CredentialProvider, maxSkew: TimeInterval = 15 * 60) {
        self.credentials = credentials
        self.maxSkew = maxSkew
    }

    /// Authenticates a request that presents a SigV2 signature (see `SignatureMechanism`).
    ///
    /// - Parameter virtualHostBucket: the bucket the `Host` header names for a
    ///   virtual-hosted-style request (nil for path-style), which the signed resource begins with.
    /// - Throws: a ``SigV4Error`` with S3's code for the first problem found.
    public func verify(_ request: SigV4Request, virtualHostBucket: String?, now: Date) throws(SigV4Error) -> AuthenticatedRequest {
        if let authorization = request.header("authorization") {
            return try verifyHeader(authorization, request: request, virtualHostBucket: virtualHostBucket, now: now)
        }
        return try verifyQuery(request, virtualHostBucket: virtualHostBucket, now: now)
    }

    // MARK: Authorization header

    /// `AWS AKID:signature`: S3's `InvalidArgument` for anything else.
    static func parseAuthorization(_ value: String) throws(SigV4Error) -> (accessKeyId: String, signature: String) {
        let invalid = SigV4Error(.invalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                                 extra: [("ArgumentName", "Authorization"), ("ArgumentValue", value)])
        let trimmed = value.drop { $0 == " " }
        guard trimmed.hasPrefix(scheme + " ") else { throw invalid }
        let credentials = trimmed.dropFirst(scheme.count).drop { $0 == " " }
        guard let colon = credentials.firstIndex(of: ":") else { throw invalid }
        let accessKeyId = String(credentials[..<colon])
        let signature = String(credentials[credentials.index(after: colon)...])
        guard !accessKeyId.isEmpty, !signature.isEmpty, !signature.contains(" ") else { throw invalid }
        return (accessKeyId, signature)
    }

    /// The request time: `x-amz-date` when sent, else `Date`, in any HTTP date form (RFC 1123
    /// with `GMT` or a numeric zone such as `+0000`, RFC 850, asctime).
    static func requestTime(_ request: SigV4Request) throws(SigV4Error) -> (text: String, time: AmzDate) {
        guard let text = request.header("x-amz-date") ?? request.header("date"), let time = httpDate(text) else {
            throw SigV4Error.missingRequestTime
        }
        return (text, time)
    }

    /// Parses an HTTP date; RFC 2822's numeric zones (`+0000`, `-0500`) as well as `GMT`.
    static func httpDate(_ text: String) -> AmzDate? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let time = UTCTime(httpDate: trimmed) { return AmzDate(epochSeconds: time.epochSeconds) }
        guard let space = trimmed.lastIndex(of: " ") else { return nil }
        let zone = trimmed[trimmed.index(after: space)...]
        guard zone.utf8.count == 5, let sign = zone.first, sign == "+" || sign == "-",
              let hours = Int(zone.dropFirst().prefix(2)), let minutes = Int(zone.suffix(2)), hours < 24, minutes < 60,
              let time = UTCTime(rfc1123: trimmed[..<space] + " GMT") else { return nil }
        let offset = Int64(hours * 3600 + minutes * 60)
        return AmzDate(epochSeconds: time.epochSeconds - (sign == "+" ? offset : -offset))
    }

    func verifyHeader(_ value: String, request: SigV4Request, virtualHostBucket: String?, now: Date) throws(SigV4Error) -> AuthenticatedRequest {
        let (accessKeyId, provided) = try Self.parseAuthorization(value)
        let (timeText, time) = try Self.requestTime(request)
        let credential = try credentials.requireCredential(forAccessKeyId: accessKeyId)
        if abs(now.timeIntervalSince(time.date)) > maxSkew {
            throw SigV4Error.requestTimeTooSkewed(requestTime: timeText, now: now, maxSkew: maxSkew)
        }
        let payload = try Self.payloadMode(request)
        // With x-amz-date the Date position is empty: x-amz-date is signed among the x-amz-* headers.
        let dateLine = request.header("x-amz-date") == nil ? SigV2Canonicalizer.trimmed(timeText) : ""
        let stringToSign = SigV2Canonicalizer.stringToSign(request, dateLine: dateLine, virtualHostBucket: virtualHostBucket, amzQuery: false)
        try Self.checkSignature(stringToSign, credential: credential, provided: provided)
        return AuthenticatedRequest(accessKeyId: credential.accessKeyId, userName: credential.userName, mechanism: SignatureMechanism(.v2, .header),
                                    signingTime: time, signature: provided, payload: payload, chunkSigningContext: nil)
    }

    // MARK: Query string (presigned URL)

    func verifyQuery(_ request: SigV4Request, virtualHostBucket: String?, now: Date) throws(SigV4Error) -> AuthenticatedRequest {
        let query = request.queryParameters
        func parameter(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let accessKeyId = parameter("AWSAccessKeyId"), let provided = parameter("Signature"), let expiresText = parameter("Expires") else {
            throw SigV4Error(.accessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters", source: .query)
        }
        // Seconds since the epoch; S3 sets no upper bound on a SigV2 URL's life.
        guard !expiresText.isEmpty, expiresText.utf8.count <= 12, expiresText.utf8.allSatisfy({ (48...57).contains($0) }),
              let expires = Int64(expiresText) else {
            throw SigV4Error(.accessDenied, "Invalid date (should be seconds since epoch): \(expiresText)", source: .query)
        }
        if now.timeIntervalSince1970 > TimeInterval(expires) {
            throw SigV4Error(.expired, "Request has expired", extra: [
                ("Expires", AmzDate(epochSeconds: expires).iso8601Extended),
                ("ServerTime", AmzDate(now).iso8601Extended),
            ], source: .query)
        }
        let credential = try credentials.requireCredential(forAccessKeyId: accessKeyId)
        let payload = try Self.payloadMode(request)
        let stringToSign = SigV2Canonicalizer.stringToSign(request, dateLine: expiresText, virtualHostBucket: virtualHostBucket, amzQuery: true)
        try Self.checkSignature(stringToSign, credential: credential, provided: provided)
        return AuthenticatedRequest(accessKeyId: credential.accessKeyId, userName: credential.userName, mechanism: SignatureMechanism(.v2, .queryString),
                                    signingTime: nil, signature: provided, payload: payload, chunkSigningContext: nil)
    }

    // MARK: Shared steps

    /// SigV2 does not cover the body: it is unsigned unless the client declares its SHA-256 (or
    /// an unsigned aws-chunked body with trailers). Signed aws-chunked bodies need SigV4's key.
    static func payloadMode(_ request: SigV4Request) throws(SigV4Error) -> PayloadMode {
        guard let declared = request.header("x-amz-content-sha256") else { return .unsigned }
        let payload = try PayloadMode(headerValue: declared)
        switch payload {
        case .streamingSigned, .streamingSignedTrailer:
            throw SigV4Error(.invalidRequest, "\(declared) payloads require AWS Signature Version 4 (AWS4-HMAC-SHA256).")
        case .hash, .unsigned, .streamingUnsignedTrailer:
            return payload
        }
    }

    /// Recomputes the signature and compares it in constant time. S3's `SignatureDoesNotMatch`
    /// for SigV2 shows the string to sign it computed (nothing secret: it is made of the request).
    static func checkSignature(_ stringToSign: String, credential: Credential, provided: String) throws(SigV4Error) {
        let expected = SigV2Canonicalizer.signature(secret: credential.secretAccessKey, stringToSign: stringToSign)
        guard constantTimeEquals(expected, provided) else {
            throw SigV4Error(.signatureDoesNotMatch, extra: [
                ("AWSAccessKeyId", credential.accessKeyId), ("StringToSign", stringToSign), ("SignatureProvided", provided),
                ("StringToSignBytes", SigV2Canonicalizer.bytesDescription(stringToSign)),
            ])
        }
    }
}
