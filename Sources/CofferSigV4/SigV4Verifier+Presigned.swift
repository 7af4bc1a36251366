import Foundation

extension SigV4Verifier {
    /// The longest validity of a presigned URL S3 accepts: seven days.
    public static let maxPresignedExpiry = 604_800

    func verifyPresigned(_ request: SigV4Request, query: [(name: String, value: String)], now: Date) throws(SigV4Error) -> AuthenticatedRequest {
        func parameter(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let algorithm = parameter("X-Amz-Algorithm"), let credentialText = parameter("X-Amz-Credential"),
              let dateText = parameter("X-Amz-Date"), let expiresText = parameter("X-Amz-Expires"),
              let signedHeadersText = parameter("X-Amz-SignedHeaders"), let signature = parameter("X-Amz-Signature") else {
            throw SigV4Error(.authorizationQueryParametersError,
                          "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard algorithm == SigV4Canonicalizer.algorithm else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", source: .query)
        }
        _ = try parseScope(credentialText, time: nil, source: .query)
        guard let time = AmzDate(iso8601Basic: dateText) else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", source: .query)
        }
        let expires = try Self.parseExpires(expiresText)
        let scope = try parseScope(credentialText, time: time, source: .query)
        let credential = try lookUp(scope.accessKeyId)

        if time.date.timeIntervalSince(now) > maxSkew {
            throw SigV4Error(.expired, "Request is not valid yet", source: .query)
        }
        if now.timeIntervalSince(time.date) > TimeInterval(expires) {
            throw SigV4Error(.expired, "Request has expired", extra: [
                ("X-Amz-Expires", expiresText),
                ("Expires", AmzDate(epochSeconds: time.epochSeconds + Int64(expires)).iso8601Extended),
                ("ServerTime", AmzDate(now).iso8601Extended),
            ], source: .query)
        }

        let signedHeaders = try parseSignedHeaders(signedHeadersText, source: .query)
        try checkAllAmzHeadersSigned(request, signed: signedHeaders)

        let payload: PayloadMode
        let payloadHash: String
        if let declared = request.header("x-amz-content-sha256") {
            payload = try PayloadMode(headerValue: declared)
            payloadHash = declared
        } else {
            payload = .unsigned
            payloadHash = PayloadMode.unsigned.headerValue
        }

        let key = signingKey(for: credential, date: scope.date)
        try checkSignature(
            request, canonicalQuery: SigV4Canonicalizer.canonicalQuery(rawQuery: request.rawQuery, excluding: ["X-Amz-Signature"]),
            signedHeaders: signedHeaders, signedHeadersRaw: signedHeadersText, payloadHash: payloadHash,
            time: time, key: key, provided: signature, accessKeyId: scope.accessKeyId)

        return AuthenticatedRequest(
            accessKeyId: credential.accessKeyId, userName: credential.userName, mechanism: SignatureMechanism(.v4, .queryString),
            signingTime: time, signature: signature, payload: payload,
            chunkSigningContext: chunkSigningContext(key: key, time: time, signature: signature))
    }

    /// `X-Amz-Expires`: whole seconds, 1 through 604800.
    static func parseExpires(_ text: String) throws(SigV4Error) -> Int {
        guard let value = Int(text) else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Expires should be a number", source: .query)
        }
        guard value >= 0 else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Expires must be non-negative", source: .query)
        }
        guard value <= maxPresignedExpiry else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds) that is 604800", source: .query)
        }
        guard value > 0 else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Expires must be greater than 0", source: .query)
        }
        return value
    }
}
