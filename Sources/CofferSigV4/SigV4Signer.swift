import CofferCrypto
import Foundation

/// Signs requests with AWS Signature Version 4 (header and presigned URL), with the same
/// canonicalisation the verifier uses: for Coffer's own clients (the benchmark, the KMS
/// client). Its correctness is pinned by AWS's published vectors, not by the verifier.
public struct SigV4Signer: Sendable {
    public let accessKeyId: String
    private let secretAccessKey: String
    public let region: String
    public let service: String

    /// Headers never signed: they are changed by proxies or added by HTTP stacks.
    static let unsignable: Set<String> = ["authorization", "user-agent", "expect", "connection", "transfer-encoding", "x-amzn-trace-id"]

    public init(credential: Credential, region: String, service: String) {
        accessKeyId = credential.accessKeyId
        secretAccessKey = credential.secretAccessKey
        self.region = region
        self.service = service
    }

    /// The result of signing: the request with `x-amz-date` (and, for S3,
    /// `x-amz-content-sha256`) and `Authorization` added, and what chunk signing needs.
    public struct Signed: Sendable {
        public var request: SigV4Request
        public var signature: String
        public var chunkSigningContext: ChunkSigningContext
    }

    /// Signs every header of `request` (except `unsignable` ones) for the `Authorization` header.
    /// - Parameter payloadHash: the hex SHA-256 of the body, or a `PayloadMode.headerValue`
    ///   such as `UNSIGNED-PAYLOAD` or `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    public func sign(_ request: SigV4Request, date: Date, payloadHash: String) -> Signed {
        let time = AmzDate(date)
        var request = request
        request.headers.removeAll { ["authorization", "x-amz-date"].contains($0.name.lowercased()) }
        request.headers.append(("x-amz-date", time.iso8601Basic))
        if service == "s3", request.header("x-amz-content-sha256") == nil {
            request.headers.append(("x-amz-content-sha256", payloadHash))
        }
        let signedHeaders = Set(request.headers.map { $0.name.lowercased() }).subtracting(Self.unsignable).sorted()
        let signedList = signedHeaders.joined(separator: ";")
        let key = signingKey(time)
        let signature = self.signature(
            request, canonicalQuery: SigV4Canonicalizer.canonicalQuery(rawQuery: request.rawQuery),
            signedHeaders: signedHeaders, payloadHash: payloadHash, time: time, key: key)
        request.headers.append(("Authorization",
                                "\(SigV4Canonicalizer.algorithm) Credential=\(accessKeyId)/\(scope(time)), SignedHeaders=\(signedList), Signature=\(signature)"))
        let context = ChunkSigningContext(signingKey: key, amzDate: time.iso8601Basic, scope: scope(time), seedSignature: signature)
        return Signed(request: request, signature: signature, chunkSigningContext: context)
    }

    /// Presigns `request` (signing only `host`, the payload `UNSIGNED-PAYLOAD`): returns the
    /// raw query to send, the original query with the `X-Amz-*` parameters appended.
    public func presign(_ request: SigV4Request, date: Date, expires: Int) -> String {
        let time = AmzDate(date)
        let encode = { (s: String) in SigV4Canonicalizer.uriEncode(Array(s.utf8), encodeSlash: true) }
        var query = request.rawQuery.isEmpty ? "" : request.rawQuery + "&"
        query += "X-Amz-Algorithm=\(SigV4Canonicalizer.algorithm)&X-Amz-Credential=\(encode("\(accessKeyId)/\(scope(time))"))"
            + "&X-Amz-Date=\(time.iso8601Basic)&X-Amz-Expires=\(expires)&X-Amz-SignedHeaders=host"
        var unsignedRequest = request
        unsignedRequest.rawQuery = query
        let signature = self.signature(
            unsignedRequest, canonicalQuery: SigV4Canonicalizer.canonicalQuery(rawQuery: query),
            signedHeaders: ["host"], payloadHash: PayloadMode.unsigned.headerValue, time: time, key: signingKey(time))
        return query + "&X-Amz-Signature=\(signature)"
    }

    private func scope(_ time: AmzDate) -> String {
        SigV4Canonicalizer.scope(date: time.dateStamp, region: region, service: service)
    }

    private func signingKey(_ time: AmzDate) -> SigningKey {
        SigV4Canonicalizer.deriveSigningKey(secret: secretAccessKey, date: time.dateStamp, region: region, service: service)
    }

    private func signature(
        _ request: SigV4Request, canonicalQuery: String, signedHeaders: [String], payloadHash: String, time: AmzDate, key: SigningKey
    ) -> String {
        let canonical = SigV4Canonicalizer.canonicalRequest(
            method: request.method,
            canonicalURI: SigV4Canonicalizer.canonicalURI(rawPath: request.rawPath, service: service),
            canonicalQuery: canonicalQuery,
            canonicalHeaders: SigV4Canonicalizer.canonicalHeaders(request.headers, signedHeaders: signedHeaders),
            signedHeaders: signedHeaders.joined(separator: ";"), payloadHash: payloadHash)
        let stringToSign = SigV4Canonicalizer.stringToSign(amzDate: time.iso8601Basic, scope: scope(time), canonicalRequest: canonical)
        return SigV4Canonicalizer.signature(key: key, stringToSign: stringToSign)
    }
}

extension SigV4Signer: CustomStringConvertible {
    public var description: String {
        "SigV4Signer(accessKeyId: \(accessKeyId), region: \(region), service: \(service), secretAccessKey: <redacted>)"
    }
}
