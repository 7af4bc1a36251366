import CofferCrypto

/// What verifying (or producing) an aws-chunked signature chain needs: the request's signing
/// key, time and scope, and the seed signature (the request's own signature).
///
/// `description` leaves out the signing key.
public struct ChunkSigningContext: Sendable, CustomStringConvertible {
    public var signingKey: SigningKey
    /// `20130524T000000Z`.
    public var amzDate: String
    /// `20130524/us-east-1/s3/aws4_request`.
    public var scope: String
    public var seedSignature: String

    public init(signingKey: SigningKey, amzDate: String, scope: String, seedSignature: String) {
        self.signingKey = signingKey
        self.amzDate = amzDate
        self.scope = scope
        self.seedSignature = seedSignature
    }

    /// The signature of a chunk whose data hashes to `chunkSHA256Hex`:
    /// `AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous>\n<sha256("")>\n<sha256(data)>`.
    public func chunkSignature(previous: String, chunkSHA256Hex: String) -> String {
        let stringToSign = "AWS4-HMAC-SHA256-PAYLOAD\n\(amzDate)\n\(scope)\n\(previous)\n"
            + "\(SigV4Canonicalizer.emptySHA256)\n\(chunkSHA256Hex)"
        return SigV4Canonicalizer.signature(key: signingKey, stringToSign: stringToSign)
    }

    /// The signature of the trailer section: `AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<previous>\n<sha256(trailers)>`
    /// where the trailers are hashed as `name:value\n` each, in order.
    public func trailerSignature(previous: String, trailers: [(name: String, value: String)]) -> String {
        let canonical = trailers.map { "\($0.name):\($0.value)\n" }.joined()
        let stringToSign = "AWS4-HMAC-SHA256-TRAILER\n\(amzDate)\n\(scope)\n\(previous)\n\(Hex.encode(SHA256.hash(canonical)))"
        return SigV4Canonicalizer.signature(key: signingKey, stringToSign: stringToSign)
    }

    public var description: String {
        "ChunkSigningContext(amzDate: \(amzDate), scope: \(scope), seedSignature: \(seedSignature), signingKey: <redacted>)"
    }
}
