import CofferCrypto
import Foundation

/// Verifies AWS Signature Version 4 requests: `Authorization` header auth and presigned URLs.
/// A Signature Version 2 request is refused as an unsupported mechanism (S3 routes it to
/// `SigV2Verifier` instead).
///
/// Pure logic: the clock is passed in, credentials come from a `CredentialProvider`, and the
/// result tells the HTTP layer how the body is covered (`PayloadMode`): it must still check a
/// `.hash` body with `PayloadHashVerifier` and decode streaming bodies with `AWSChunkedDecoder`.
///
/// For `service == "s3"`, header-signed requests must carry `x-amz-content-sha256`. For other
/// services (the KMS endpoint) the header is optional: pass the hex SHA-256 of the (buffered)
/// body as `bodySHA256Hex`, which is what the client signed.
public struct SigV4Verifier: Sendable {
    public let region: String
    public let service: String
    public let credentials: any CredentialProvider
    /// The largest accepted distance between the request time and `now` (S3: 15 minutes).
    public let maxSkew: TimeInterval
    let keys = SigningKeyCache()

    public init(region: String, service: String, credentials: any CredentialProvider, maxSkew: TimeInterval = 15 * 60) {
        self.region = region
        self.service = service
        self.credentials = credentials
        self.maxSkew = maxSkew
    }

    /// Authenticates `request` at time `now`.
    ///
    /// - Parameter bodySHA256Hex: for services other than S3, the hex SHA-256 of the body,
    ///   used when the request has no `x-amz-content-sha256` header. Ignored for S3.
    /// - Returns: `.anonymous` when the request carries no authentication at all.
    /// - Throws: a ``SigV4Error`` for the first problem found, in the order S3 checks.
    public func verify(_ request: SigV4Request, now: Date, bodySHA256Hex: String? = nil) throws(SigV4Error) -> AuthenticationResult {
        guard let mechanism = try SignatureMechanism.presented(by: request) else { return .anonymous }
        switch (mechanism.version, mechanism.carrier) {
        case (.v4, .header):
            let authorization = request.header("authorization") ?? ""
            return .authenticated(try verifyHeader(authorization, request: request, now: now, bodySHA256Hex: bodySHA256Hex))
        case (.v4, .queryString):
            return .authenticated(try verifyPresigned(request, query: request.queryParameters, now: now))
        case (.v2, _):
            // S3 verifies SigV2 with `SigV2Verifier`; the other endpoints never accepted it.
            throw Self.unsupportedMechanism
        }
    }

    static let unsupportedMechanism = SigV4Error(
        .invalidRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")

    // MARK: Shared steps

    /// Where an error is reported: the header or the query flavour of S3's messages.
    enum Source {
        case header, query

        func malformed(_ detail: String, code: SigV4Error.Code? = nil, extra: [(name: String, value: String)] = []) -> SigV4Error {
            switch self {
            case .header:
                SigV4Error(code ?? .authorizationHeaderMalformed, "The authorization header is malformed; \(detail)", extra: extra, source: .header)
            case .query:
                SigV4Error(code ?? .authorizationQueryParametersError, "Error parsing the X-Amz-Credential parameter; \(detail)", extra: extra, source: .query)
            }
        }
    }

    /// The parts of `AKID/20130524/us-east-1/s3/aws4_request`, checked against this endpoint.
    struct Scope {
        var accessKeyId: String
        var date: String
    }

    func parseScope(_ credential: String, time: AmzDate?, source: Source) throws(SigV4Error) -> Scope {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty, parts[1].utf8.count == 8, parts[1].utf8.allSatisfy({ (48...57).contains($0) }),
              !parts[2].isEmpty, !parts[3].isEmpty else {
            throw source.malformed("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        if parts[2] != region {
            throw source.malformed("the region '\(parts[2])' is wrong; expecting '\(region)'", extra: [("Region", region)])
        }
        if parts[3] != service {
            throw source.malformed("incorrect service \"\(parts[3])\". This endpoint belongs to \"\(service)\".", code: .wrongService)
        }
        if parts[4] != SigV4Canonicalizer.terminator {
            throw source.malformed("incorrect terminal \"\(parts[4])\". This endpoint uses \"aws4_request\".")
        }
        if let time, time.dateStamp != parts[1] {
            let detail = "Invalid credential date \"\(parts[1])\". This date is not the same as X-Amz-Date: \"\(time.dateStamp)\"."
            switch source {
            case .header: throw SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; \(detail)")
            case .query: throw SigV4Error(.authorizationQueryParametersError, detail, source: .query)
            }
        }
        return Scope(accessKeyId: parts[0], date: parts[1])
    }

    func lookUp(_ accessKeyId: String) throws(SigV4Error) -> Credential {
        try credentials.requireCredential(forAccessKeyId: accessKeyId)
    }

    /// Splits `host;x-amz-date` and checks that `host` is signed.
    func parseSignedHeaders(_ raw: String, source: Source) throws(SigV4Error) -> [String] {
        let names = raw.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard !raw.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
            throw source == .header
                ? SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; the SignedHeaders are malformed.")
                : SigV4Error(.authorizationQueryParametersError, "X-Amz-SignedHeaders is malformed.", source: .query)
        }
        guard names.contains("host") else {
            throw SigV4Error(.accessDenied, "Host must be signed: 'host' is missing from the SignedHeaders.")
        }
        return names
    }

    /// S3 refuses `x-amz-*` headers that the client did not sign.
    func checkAllAmzHeadersSigned(_ request: SigV4Request, signed: [String]) throws(SigV4Error) {
        guard service == "s3" else { return }
        var unsigned: [String] = []
        for header in request.headers {
            let name = header.name.lowercased()
            if name.hasPrefix("x-amz-"), !signed.contains(name), !unsigned.contains(name) { unsigned.append(name) }
        }
        if !unsigned.isEmpty {
            throw SigV4Error(.accessDenied, "There were headers present in the request which were not signed",
                          extra: [("HeadersNotSigned", unsigned.joined(separator: ", "))])
        }
    }

    /// Recomputes the signature and compares it in constant time.
    func checkSignature(
        _ request: SigV4Request, canonicalQuery: String, signedHeaders: [String], signedHeadersRaw: String,
        payloadHash: String, time: AmzDate, key: SigningKey, provided: String, accessKeyId: String
    ) throws(SigV4Error) {
        let canonical = SigV4Canonicalizer.canonicalRequest(
            method: request.method,
            canonicalURI: SigV4Canonicalizer.canonicalURI(rawPath: request.rawPath, service: service),
            canonicalQuery: canonicalQuery,
            canonicalHeaders: SigV4Canonicalizer.canonicalHeaders(request.headers, signedHeaders: signedHeaders),
            signedHeaders: signedHeadersRaw.lowercased(),
            payloadHash: payloadHash)
        let scope = SigV4Canonicalizer.scope(date: time.dateStamp, region: region, service: service)
        let stringToSign = SigV4Canonicalizer.stringToSign(amzDate: time.iso8601Basic, scope: scope, canonicalRequest: canonical)
        let expected = SigV4Canonicalizer.signature(key: key, stringToSign: stringToSign)
        guard constantTimeEquals(expected, provided) else {
            throw SigV4Error(.signatureDoesNotMatch, extra: [("AWSAccessKeyId", accessKeyId), ("SignatureProvided", provided)])
        }
    }

    /// What the request's aws-chunked body, if any, is verified with.
    func chunkSigningContext(key: SigningKey, time: AmzDate, signature: String) -> ChunkSigningContext {
        ChunkSigningContext(signingKey: key, amzDate: time.iso8601Basic,
                            scope: SigV4Canonicalizer.scope(date: time.dateStamp, region: region, service: service), seedSignature: signature)
    }

    func signingKey(for credential: Credential, date: String) -> SigningKey {
        keys.signingKey(secret: credential.secretAccessKey, date: date, region: region, service: service)
    }
}
