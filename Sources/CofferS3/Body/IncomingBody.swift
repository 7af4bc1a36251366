import CofferSigV4
import CofferCrypto
import NIOCore

/// The decoded request body of one S3 call: it undoes `aws-chunked` framing (verifying
/// chunk signatures), checks the payload hash the request signed, and checks that exactly
/// the declared number of bytes arrived. Bytes are handed on as they arrive; the final
/// checks happen when the stream ends, before any caller commits what it wrote.
struct IncomingBody {
    private var source: RequestBodyStream.Iterator
    private var decoder: AWSChunkedDecoder?
    private var pending: [ByteBuffer] = []
    private var payloadHash: PayloadHashVerifier?
    private var finished = false

    /// The decoded length the client declared (Content-Length or x-amz-decoded-content-length).
    let declaredLength: Int64?
    private(set) var receivedLength: Int64 = 0
    /// Trailing headers of an aws-chunked body (e.g. `x-amz-checksum-crc32`), once finished.
    private(set) var trailers: [(name: String, value: String)] = []
    /// Trailers the client announced in `x-amz-trailer`.
    let declaredTrailers: [String]

    init(call: AuthorizedCall, requireLength: Bool) throws(S3Error) {
        try self.init(call: call.call, requireLength: requireLength)
    }

    /// The body of a call not yet authorised (the pipeline reads PutObjectTagging's tag set
    /// before it authorises, `S3Service+Pipeline.swift`); its signature checks are the same.
    init(call: S3Call, requireLength: Bool) throws(S3Error) {
        let request = call.request
        let contentLength = try Self.parseLength(request.header(.contentLength), code: .missingContentLength)
        let encodings = (request.header(.contentEncoding) ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let payload = call.auth?.payload
        let streaming: AWSChunkedDecoder.Mode?
        switch payload {
        case .streamingSigned?: streaming = .signed
        case .streamingSignedTrailer?: streaming = .signedWithTrailer
        case .streamingUnsignedTrailer?: streaming = .unsignedWithTrailer
        default: streaming = nil
        }
        declaredTrailers = (request.header(.xAmzTrailer) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if let streaming {
            // SDKs stream aws-chunked bodies with Transfer-Encoding: chunked; the decoded
            // length header is what S3 requires then.
            guard let decoded = try Self.parseLength(request.header(.xAmzDecodedContentLength), code: .missingContentLength) else {
                throw S3Error(.missingContentLength, "You must provide the x-amz-decoded-content-length header for aws-chunked uploads.")
            }
            declaredLength = decoded
            decoder = AWSChunkedDecoder(
                mode: streaming, signing: call.auth?.chunkSigningContext, decodedContentLength: decoded,
                declaredTrailers: declaredTrailers)
        } else {
            if encodings.contains("aws-chunked") {
                throw S3Error(.invalidArgument, "aws-chunked encoding requires a STREAMING-* x-amz-content-sha256 value.")
            }
            if requireLength && contentLength == nil { throw S3Error(.missingContentLength) }
            declaredLength = contentLength
            if case .hash(let hex)? = payload {
                payloadHash = PayloadHashVerifier(expectedHex: hex)
            }
        }
        source = call.body.makeAsyncIterator()
    }

    /// The next decoded bytes, or nil once the body ended and every check passed.
    mutating func next() async throws -> ByteBuffer? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if finished { return nil }
            guard var raw = try await nextRaw() else {
                try finish()
                return nil
            }
            if decoder != nil {
                do throws(SigV4Error) { try decoder!.decode(&raw, into: &pending) } catch { throw S3Error(error) }
                for buffer in pending { try account(buffer) }
            } else {
                try account(raw)
                pending.append(raw)
            }
        }
    }

    /// The next bytes as received. Whatever stops the transport mid-body (the client closed
    /// its side early, a reset, an idle timeout, the request's task cancelled) is the client's
    /// doing: S3 answers 400 IncompleteBody, never 500, and nothing is stored.
    private mutating func nextRaw() async throws(S3Error) -> ByteBuffer? {
        do {
            return try await source.next()
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.incompleteBody)
        }
    }

    private mutating func account(_ buffer: ByteBuffer) throws(S3Error) {
        receivedLength += Int64(buffer.readableBytes)
        if let declaredLength, receivedLength > declaredLength {
            throw S3Error(.invalidRequest, "The request body is longer than its declared length.")
        }
        if payloadHash != nil {
            buffer.withUnsafeReadableBytes { payloadHash!.update($0) }
        }
    }

    private mutating func finish() throws(S3Error) {
        finished = true
        do throws(SigV4Error) {
            if decoder != nil {
                trailers = try decoder!.finish()
            }
        } catch {
            throw S3Error(error)
        }
        if let declaredLength, receivedLength != declaredLength {
            throw S3Error(.incompleteBody)
        }
        do throws(SigV4Error) { try payloadHash?.finish() } catch { throw S3Error(error) }
    }

    /// Reads a whole small body (XML documents), refusing more than `limit` bytes.
    mutating func collect(limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while var buffer = try await next() {
            guard bytes.count + buffer.readableBytes <= limit else {
                throw S3Error(.malformedXML, "The XML you provided was larger than the maximum allowed size.")
            }
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return bytes
    }

    static func parseLength(_ value: String?, code: S3ErrorCode) throws(S3Error) -> Int64? {
        guard let value else { return nil }
        guard let length = Int64(value.trimmingCharacters(in: .whitespaces)), length >= 0 else {
            throw S3Error(.invalidArgument, "Invalid content length: \(value.prefix(32))")
        }
        return length
    }
}
