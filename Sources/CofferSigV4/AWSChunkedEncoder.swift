import CofferCrypto

/// Produces an `aws-chunked` body (the inverse of `AWSChunkedDecoder`), for Coffer's clients
/// and tests: signed chunks chained from the seed signature, or unsigned chunks with trailers.
public struct AWSChunkedEncoder: Sendable {
    public let signing: ChunkSigningContext?
    private var previousSignature: String

    /// `signing == nil` encodes `STREAMING-UNSIGNED-PAYLOAD-TRAILER` framing.
    public init(signing: ChunkSigningContext?) {
        self.signing = signing
        previousSignature = signing?.seedSignature ?? ""
    }

    /// One chunk. An empty `data` is the final chunk; in the trailer modes pass
    /// `trailerFollows: true` for it and send `trailer(_:)` next.
    public mutating func chunk(_ data: [UInt8], trailerFollows: Bool = false) -> [UInt8] {
        var out = Array(String(data.count, radix: 16).utf8)
        if let signing {
            let signature = signing.chunkSignature(previous: previousSignature, chunkSHA256Hex: Hex.encode(SHA256.hash(data)))
            previousSignature = signature
            out += Array(";chunk-signature=\(signature)".utf8)
        }
        out += [13, 10] + data
        if !(data.isEmpty && trailerFollows) { out += [13, 10] }
        return out
    }

    /// The trailer section after the final chunk: `name:value\r\n` each, the trailer signature
    /// when signing, and the closing `\r\n`.
    public mutating func trailer(_ trailers: [(name: String, value: String)]) -> [UInt8] {
        var text = trailers.map { "\($0.name):\($0.value)\r\n" }.joined()
        if let signing {
            text += "x-amz-trailer-signature:\(signing.trailerSignature(previous: previousSignature, trailers: trailers))\r\n"
        }
        return Array((text + "\r\n").utf8)
    }
}
