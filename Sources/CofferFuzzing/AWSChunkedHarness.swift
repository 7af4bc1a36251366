import CofferSigV4
import Foundation
import NIOCore

/// The aws-chunked decoder in its three modes (signed, signed with trailer, unsigned with
/// trailer), keyed as S3's published chunked-upload examples are, so their bodies verify.
///
/// Input: byte 0 picks the mode (bits 0-1) and whether `x-amz-decoded-content-length` is given
/// (bit 2 clear: bytes 1-3, big-endian); byte 4 is the piece size of the second, split feed;
/// the rest is the body. Invariants: feeding the body whole and in pieces gives the same data,
/// trailers and outcome; the decoded data never exceeds the body; a finished body's data equals
/// `decodedByteCount` and, when `finish()` succeeds with a declared length, has that length.
public enum AWSChunkedHarness {
    /// The examples' seed signatures (Tests/CofferSigV4Tests/Vectors/s3-examples/*.chunks.json).
    static let signedSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    static let trailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"

    static let context: ChunkSigningContext = {
        let signer = SigV4Signer(credential: SigV4Harness.s3Credential, region: "us-east-1", service: "s3")
        let request = SigV4Request(method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: "",
                                   headers: [("Host", "s3.amazonaws.com")])
        return signer.sign(request, date: SigV4Harness.fallbackTime, payloadHash: PayloadMode.streamingSigned.headerValue).chunkSigningContext
    }()

    static func signing(seed: String) -> ChunkSigningContext {
        ChunkSigningContext(signingKey: context.signingKey, amzDate: context.amzDate, scope: context.scope, seedSignature: seed)
    }

    public static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let options = input.byte()
        let lengthBytes = (input.byte(), input.byte(), input.byte())
        let pieceSize = Int(input.byte()) + 1
        let body = input.rest
        let length: Int64? = options & 4 != 0 ? nil
            : Int64(lengthBytes.0) << 16 | Int64(lengthBytes.1) << 8 | Int64(lengthBytes.2)
        let decoder: AWSChunkedDecoder
        switch options & 3 {
        case 0: decoder = AWSChunkedDecoder(mode: .signed, signing: signing(seed: signedSeed), decodedContentLength: length, declaredTrailers: [])
        case 1:
            decoder = AWSChunkedDecoder(mode: .signedWithTrailer, signing: signing(seed: trailerSeed), decodedContentLength: length,
                                        declaredTrailers: ["x-amz-checksum-crc32c"])
        default:
            decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer, signing: nil, decodedContentLength: length,
                                        declaredTrailers: ["x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha256"])
        }
        let whole = feed(decoder, body, pieceSize: body.count)
        let pieces = feed(decoder, body, pieceSize: pieceSize)
        FuzzCheck.require(whole == pieces, "whole and split feeds differ: \(whole.summary) vs \(pieces.summary)")
        FuzzCheck.require(whole.data.count <= body.count, "decoded \(whole.data.count) bytes from a \(body.count)-byte body")
        if whole.finished, let length {
            FuzzCheck.require(Int64(whole.data.count) == length, "finished with \(whole.data.count) bytes, \(length) declared")
        }
    }

    struct Result: Equatable {
        var data: [UInt8] = []
        var trailers: [String] = []
        var error: String?
        var finished = false
        var summary: String { "\(data.count) bytes, trailers \(trailers), error \(error ?? "none"), finished \(finished)" }
    }

    static func feed(_ decoder: AWSChunkedDecoder, _ body: [UInt8], pieceSize: Int) -> Result {
        var decoder = decoder
        var result = Result()
        var offset = 0
        do throws(SigV4Error) {
            while offset < body.count {
                let end = min(body.count, offset + max(pieceSize, 1))
                var buffer = ByteBuffer(bytes: body[offset..<end])
                var output: [ByteBuffer] = []
                try decoder.decode(&buffer, into: &output)
                FuzzCheck.require(buffer.readableBytes == 0, "decode left \(buffer.readableBytes) bytes unread")
                for piece in output { result.data += piece.readableBytesView }
                offset = end
            }
            result.trailers = try decoder.finish().map { "\($0.name):\($0.value)" }
            result.finished = true
            FuzzCheck.require(decoder.decodedByteCount == Int64(result.data.count),
                              "decodedByteCount \(decoder.decodedByteCount) but \(result.data.count) bytes handed out")
        } catch {
            // The error is part of the outcome; data handed out before it is not compared.
            result.error = error.code.rawValue
            result.data = []
        }
        return result
    }
}
