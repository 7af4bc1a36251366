import CofferCrypto
import NIOCore

/// Decodes an `aws-chunked` request body (the three streaming `x-amz-content-sha256` modes),
/// incrementally and in bounded memory.
///
/// Feed it any split of the body with `decode(_:into:)` (byte by byte works); it appends the
/// decoded data as slices of the input, as soon as they arrive, and checks each chunk's
/// signature when the chunk ends. Data is therefore handed out before its chunk is verified:
/// the caller must commit nothing until `finish()` returns. Framing:
///
///     <hex-size>;chunk-signature=<64 hex>\r\n<data>\r\n      (signed modes)
///     <hex-size>\r\n<data>\r\n                               (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
///     0;chunk-signature=<sig>\r\n\r\n                         (end, STREAMING-AWS4-HMAC-SHA256-PAYLOAD)
///     0[;chunk-signature=<sig>]\r\n<name>:<value>\r\n...[x-amz-trailer-signature:<sig>\r\n]\r\n   (trailer modes)
///
/// Errors are S3's: a bad chunk or trailer signature is `SignatureDoesNotMatch`; broken framing,
/// a truncated body or a decoded length other than `x-amz-decoded-content-length` is
/// `IncompleteBody`; a chunk smaller than 8 KiB followed by another data chunk is
/// `InvalidChunkSizeError`; an undeclared, repeated or malformed trailer is `MalformedTrailerError`.
///
/// Not `Sendable` and not to be copied while in use (it owns a running digest): one per request.
public struct AWSChunkedDecoder {
    /// The smallest size S3 allows for a data chunk that is not the last one.
    public static let minimumChunkSize: Int64 = 8192
    static let maxHeaderLine = 1024
    static let maxTrailerBytes = 16 * 1024

    enum State {
        case header
        case data(remaining: Int64)
        case crlf(seen: Int, then: AfterCRLF)
        case trailers
        case done
    }

    enum AfterCRLF { case header, done }

    /// The three aws-chunked flavours, named after their `x-amz-content-sha256` values.
    public enum Mode: Sendable, Equatable {
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
        case signed
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
        case signedWithTrailer
        /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
        case unsignedWithTrailer

        /// The mode for a streaming `PayloadMode`; `nil` for `.hash` and `.unsigned`.
        public init?(_ payload: PayloadMode) {
            switch payload {
            case .streamingSigned: self = .signed
            case .streamingSignedTrailer: self = .signedWithTrailer
            case .streamingUnsignedTrailer: self = .unsignedWithTrailer
            case .hash, .unsigned: return nil
            }
        }
    }

    let mode: Mode
    let signing: ChunkSigningContext?
    let decodedContentLength: Int64?
    let declaredTrailers: [String]

    var state = State.header
    var line: [UInt8] = []
    var digest: Digest?
    var previousSignature: String
    var pendingSignature = ""
    var chunkIndex = 0
    var previousChunkSize: Int64?
    public internal(set) var decodedByteCount: Int64 = 0
    var trailers: [(name: String, value: String)] = []
    var trailerBytes = 0
    var trailerSignature: String?
    var sawBlankBeforeTrailers = false

    /// - Parameters:
    ///   - mode: which of the three streaming modes the request declared.
    ///   - signing: required for the two signed modes (`AuthenticatedRequest.chunkSigningContext`).
    ///   - decodedContentLength: `x-amz-decoded-content-length`, checked at the end when given.
    ///   - declaredTrailers: the names in `x-amz-trailer`, lower-cased.
    public init(mode: Mode, signing: ChunkSigningContext?, decodedContentLength: Int64?, declaredTrailers: [String]) {
        precondition(mode == .unsignedWithTrailer || signing != nil, "signed streaming needs a signing context")
        self.mode = mode
        self.signing = mode == .unsignedWithTrailer ? nil : signing
        self.decodedContentLength = decodedContentLength
        self.declaredTrailers = declaredTrailers.map { $0.lowercased() }
        self.previousSignature = signing?.seedSignature ?? ""
    }

    var isSigned: Bool { signing != nil }
    var hasTrailers: Bool { mode != .signed }

    static let incomplete = SigV4Error(.incompleteBody, "The request body terminated unexpectedly", source: .body)

    /// Consumes every readable byte of `input`, appending decoded data to `output`.
    public mutating func decode(_ input: inout ByteBuffer, into output: inout [ByteBuffer]) throws(SigV4Error) {
        while input.readableBytes > 0 {
            switch state {
            case .header:
                guard let header = try readLine(&input, limit: Self.maxHeaderLine) else { return }
                try startChunk(header)
            case .data(let remaining):
                let count = Int(min(remaining, Int64(input.readableBytes)))
                let slice = input.readSlice(length: count)!
                slice.withUnsafeReadableBytes { digest?.update($0) }
                output.append(slice)
                if remaining == Int64(count) {
                    try endChunk()
                    state = .crlf(seen: 0, then: .header)
                } else {
                    state = .data(remaining: remaining - Int64(count))
                }
            case .crlf(let seen, let then):
                let byte = input.readInteger(as: UInt8.self)!
                guard byte == (seen == 0 ? UInt8(ascii: "\r") : UInt8(ascii: "\n")) else { throw Self.incomplete }
                state = seen == 0 ? .crlf(seen: 1, then: then) : (then == .header ? .header : .done)
            case .trailers:
                guard let trailerLine = try readLine(&input, limit: Self.maxTrailerBytes) else { return }
                try handleTrailerLine(trailerLine)
            case .done:
                throw Self.incomplete
            }
        }
    }

    /// Ends the body: throws unless it ended exactly after a complete, verified final chunk
    /// (and trailer section), and returns the trailers in order (names lower-cased, without
    /// `x-amz-trailer-signature`). The caller compares `x-amz-checksum-*` values.
    public mutating func finish() throws(SigV4Error) -> [(name: String, value: String)] {
        guard case .done = state else { throw Self.incomplete }
        return trailers
    }
}

@available(*, unavailable)
extension AWSChunkedDecoder: Sendable {}
