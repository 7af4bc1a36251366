import Foundation

extension SigV4Verifier {
    /// The three components of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    struct AuthorizationHeader {
        var credential: String
        var signedHeaders: String
        var signature: String
    }

    /// Parses the header: the algorithm, one space (or more), then the three `Name=value`
    /// components separated by commas with optional spaces after them. Nothing else.
    static func parseAuthorization(_ value: String) throws(SigV4Error) -> AuthorizationHeader {
        let trimmed = value.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else {
            throw unsupportedOrMalformed(String(trimmed))
        }
        let scheme = trimmed[..<space]
        guard scheme == SigV4Canonicalizer.algorithm else { throw unsupportedOrMalformed(String(scheme)) }
        var credential: String?, signedHeaders: String?, signature: String?
        let malformed = SigV4Error(.authorizationHeaderMalformed,
                                "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        for component in trimmed[space...].split(separator: ",", omittingEmptySubsequences: false) {
            let part = component.drop { $0 == " " }
            guard let eq = part.firstIndex(of: "=") else { throw malformed }
            let name = part[..<eq]
            let value = String(part[part.index(after: eq)...])
            switch name {
            case "Credential" where credential == nil: credential = value
            case "SignedHeaders" where signedHeaders == nil: signedHeaders = value
            case "Signature" where signature == nil: signature = value
            default: throw malformed
            }
        }
        guard let credential, let signedHeaders, let signature else { throw malformed }
        return AuthorizationHeader(credential: credential, signedHeaders: signedHeaders, signature: signature)
    }

    private static func unsupportedOrMalformed(_ scheme: String) -> SigV4Error {
        if scheme == SigV4Canonicalizer.algorithm {
            return SigV4Error(.authorizationHeaderMalformed,
                           "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        }
        if scheme == "AWS" { return unsupportedMechanism }
        return SigV4Error(.invalidArgument, "Unsupported Authorization Type", extra: [("ArgumentName", "Authorization")])
    }

    /// The request time: `x-amz-date`, else `Date` (RFC 1123). `x-amz-date` takes precedence
    /// when both are present; S3 reads it in ISO 8601 basic form (`20130524T000000Z`) or in
    /// the RFC 7231 form of the `Date` header (`Fri, 24 May 2013 00:00:00 GMT`, what clients
    /// that once signed with SigV2 still send). The string to sign holds the time in ISO 8601
    /// basic form either way.
    static func requestTime(_ request: SigV4Request) throws(SigV4Error) -> AmzDate {
        let missing = SigV4Error.missingRequestTime
        if let amz = request.header("x-amz-date") {
            let text = amz.trimmingCharacters(in: .whitespaces)
            guard let time = AmzDate(iso8601Basic: text) ?? AmzDate(rfc1123: text) else { throw missing }
            return time
        }
        if let date = request.header("date"), let time = AmzDate(rfc1123: date) { return time }
        throw missing
    }

    func verifyHeader(_ value: String, request: SigV4Request, now: Date, bodySHA256Hex: String?) throws(SigV4Error) -> AuthenticatedRequest {
        let header = try Self.parseAuthorization(value)
        _ = try parseScope(header.credential, time: nil, source: .header)
        let time = try Self.requestTime(request)
        let scope = try parseScope(header.credential, time: time, source: .header)
        let credential = try lookUp(scope.accessKeyId)

        if abs(now.timeIntervalSince(time.date)) > maxSkew {
            throw SigV4Error.requestTimeTooSkewed(
                requestTime: request.header("x-amz-date") ?? request.header("date") ?? time.iso8601Basic, now: now, maxSkew: maxSkew)
        }

        let signedHeaders = try parseSignedHeaders(header.signedHeaders, source: .header)
        try checkAllAmzHeadersSigned(request, signed: signedHeaders)

        let payload: PayloadMode
        let payloadHash: String
        if let declared = request.header("x-amz-content-sha256") {
            payload = try PayloadMode(headerValue: declared)
            payloadHash = declared
            if service != "s3", case .hash(let hex) = payload, let body = bodySHA256Hex, body.lowercased() != hex {
                throw SigV4Error(.xAmzContentSHA256Mismatch, extra: [
                    ("ClientComputedContentSHA256", hex), ("S3ComputedContentSHA256", body.lowercased()),
                ])
            }
        } else if service != "s3", let body = bodySHA256Hex {
            payload = .hash(body.lowercased())
            payloadHash = body.lowercased()
        } else {
            throw SigV4Error(.invalidRequest, "Missing required header for this request: x-amz-content-sha256")
        }

        let key = signingKey(for: credential, date: scope.date)
        try checkSignature(
            request, canonicalQuery: SigV4Canonicalizer.canonicalQuery(rawQuery: request.rawQuery),
            signedHeaders: signedHeaders, signedHeadersRaw: header.signedHeaders, payloadHash: payloadHash,
            time: time, key: key, provided: header.signature, accessKeyId: scope.accessKeyId)

        return AuthenticatedRequest(
            accessKeyId: credential.accessKeyId, userName: credential.userName, mechanism: SignatureMechanism(.v4, .header),
            signingTime: time, signature: header.signature, payload: payload,
            chunkSigningContext: chunkSigningContext(key: key, time: time, signature: header.signature))
    }
}
