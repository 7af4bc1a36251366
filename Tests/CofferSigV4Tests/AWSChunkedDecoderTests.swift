import CofferCrypto
import Foundation
import NIOCore
import Testing
@testable import CofferSigV4

/// aws-chunked decoding against the S3 API reference's chunked upload examples, fed whole,
/// byte by byte and in random splits, and tampered with.
@Suite struct AWSChunkedDecoderTests {
    static let signed = ChunkedExample.load("chunked-put-object")
    static let trailer = ChunkedExample.load("chunked-put-object-trailer")
    static let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 66560)

    static func context(seed: String) -> ChunkSigningContext {
        ChunkSigningContext(
            signingKey: SigV4Canonicalizer.deriveSigningKey(secret: TestKeys.s3.secretAccessKey, date: "20130524", region: "us-east-1", service: "s3"),
            amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", seedSignature: seed)
    }

    static func decoder(_ example: ChunkedExample, length: Int64? = 66560) -> AWSChunkedDecoder {
        AWSChunkedDecoder(mode: example.trailerSignature == nil ? .signed : .signedWithTrailer,
                          signing: context(seed: example.seed), decodedContentLength: length,
                          declaredTrailers: example.trailerSignature == nil ? [] : ["x-amz-checksum-crc32c"])
    }

    /// Feeds `body` in pieces of the given sizes (the rest in one piece), then finishes.
    static func run(_ decoder: AWSChunkedDecoder, _ body: [UInt8], splits: [Int] = []) throws(SigV4Error) -> ([UInt8], [(name: String, value: String)]) {
        var decoder = decoder
        var output: [UInt8] = []
        var offset = 0
        var sizes = splits
        while offset < body.count {
            let size = sizes.isEmpty ? body.count - offset : min(sizes.removeFirst(), body.count - offset)
            var input = ByteBuffer(bytes: body[offset..<(offset + size)])
            var pieces: [ByteBuffer] = []
            try decoder.decode(&input, into: &pieces)
            #expect(input.readableBytes == 0)
            for piece in pieces { output += piece.readableBytesView }
            offset += size
        }
        return (output, try decoder.finish())
    }

    @Test func signedExampleChainIsThePublishedOne() {
        var encoder = AWSChunkedEncoder(signing: Self.context(seed: Self.signed.seed))
        var body: [UInt8] = []
        body += encoder.chunk(Array(Self.payload.prefix(65536)))
        body += encoder.chunk(Array(Self.payload.suffix(1024)))
        body += encoder.chunk([])
        #expect(body == Self.signed.body)
        #expect(body.count == 66824)
    }

    @Test func signedExampleWhole() throws {
        let (data, trailers) = try Self.run(Self.decoder(Self.signed), Self.signed.body)
        #expect(data == Self.payload)
        #expect(trailers.isEmpty)
    }

    @Test func signedExampleByteByByte() throws {
        let body = Self.signed.body
        let (data, _) = try Self.run(Self.decoder(Self.signed), body, splits: Array(repeating: 1, count: body.count))
        #expect(data == Self.payload)
    }

    @Test(arguments: 0..<20)
    func randomSplits(_ seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed))
        for example in [Self.signed, Self.trailer] {
            let body = example.body
            var splits: [Int] = []
            var total = 0
            while total < body.count {
                let size = Int(rng.next() % 200) + (rng.next() % 4 == 0 ? Int(rng.next() % 20000) : 0)
                splits.append(size)
                total += size
            }
            let (data, trailers) = try Self.run(Self.decoder(example), body, splits: splits)
            #expect(data == Self.payload)
            #expect(trailers.count == (example.trailerSignature == nil ? 0 : 1))
        }
    }

    @Test func trailerExample() throws {
        let (data, trailers) = try Self.run(Self.decoder(Self.trailer), Self.trailer.body, splits: [7, 65000, 3])
        #expect(data == Self.payload)
        #expect(trailers.map(\.name) == ["x-amz-checksum-crc32c"])
        #expect(trailers.first?.value == "sOO8/Q==")
        #expect(ChecksumHasher.checksum(.crc32c, Self.payload) == Base64.decode("sOO8/Q==")!)
    }

    @Test func flippedDataByteFailsTheSignature() {
        for position in [200, 65_712 + 10, 66_735] {
            var body = Self.signed.body
            body[position] ^= 0x01
            expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.signed), body, splits: [1000]) }
        }
    }

    @Test func tamperedTrailerFailsTheSignature() {
        let body = Array(String(decoding: Self.trailer.body, as: UTF8.self).replacingOccurrences(of: "sOO8/Q==", with: "sOO8/R==").utf8)
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.trailer), body) }
    }

    @Test func droppedFinalChunkIsIncomplete() {
        let body = Array(Self.signed.body.prefix(66824 - 86))
        #expect(String(decoding: Self.signed.body.suffix(86), as: UTF8.self).hasPrefix("0;chunk-signature="))
        expectSigV4Error(.incompleteBody) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.signed), body) }
    }

    @Test func truncatedAnywhereIsIncomplete() {
        for cut in [1, 50, 90, 1000, 65700, 66823] {
            expectSigV4Error(.incompleteBody) { () throws(SigV4Error) in
                try Self.run(Self.decoder(Self.signed), Array(Self.signed.body.prefix(cut)))
            }
        }
    }

    @Test func wrongDecodedLength() {
        expectSigV4Error(.incompleteBody) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.signed, length: 66561), Self.signed.body) }
        expectSigV4Error(.incompleteBody) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.signed, length: 1000), Self.signed.body) }
    }

    @Test func badFraming() {
        let text = String(decoding: Self.signed.body, as: UTF8.self)
        for bad in [text.replacingOccurrences(of: "10000;", with: "1000g;"),
                    text.replacingOccurrences(of: "10000;", with: ";"),
                    text.replacingOccurrences(of: "10000;chunk-signature=", with: "10000;chunk-signatur="),
                    "1" + String(repeating: "0", count: 2000) + "\r\n",
                    text + "x"] {
            expectSigV4Error(.incompleteBody) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.signed), Array(bad.utf8)) }
        }
    }

    @Test func smallChunkBeforeTheLast() {
        var encoder = AWSChunkedEncoder(signing: Self.context(seed: Self.signed.seed))
        let body = encoder.chunk(Array(Self.payload.prefix(1024))) + encoder.chunk(Array(Self.payload.prefix(65536))) + encoder.chunk([])
        let error = expectSigV4Error(.invalidChunkSizeError) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.signed), body) }
        #expect(error?.details.map(\.value) == ["2", "1024"])
    }

    @Test func unsignedTrailerMode() throws {
        let crc = ChecksumHasher(.crc32).finalizeBase64()
        var encoder = AWSChunkedEncoder(signing: nil)
        let body = encoder.chunk(Array(Self.payload.prefix(65536))) + encoder.chunk(Array(Self.payload.suffix(1024)))
            + encoder.chunk([], trailerFollows: true) + encoder.trailer([("x-amz-checksum-crc32", crc)])
        let decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer, signing: nil, decodedContentLength: 66560, declaredTrailers: ["x-amz-checksum-crc32"])
        let (data, trailers) = try Self.run(decoder, body, splits: Array(repeating: 1, count: 200))
        #expect(data == Self.payload)
        #expect(trailers.first?.name == "x-amz-checksum-crc32")
        #expect(trailers.first?.value == crc)
        // botocore's exact framing
        let literal = Array("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)
        let small = AWSChunkedDecoder(mode: .unsignedWithTrailer, signing: nil, decodedContentLength: 5, declaredTrailers: ["x-amz-checksum-crc32"])
        #expect(try Self.run(small, literal).1.first?.value == "NhCmhg==")
    }

    @Test func undeclaredOrMalformedTrailers() {
        func body(_ trailer: String) -> [UInt8] { Array("5\r\nhello\r\n0\r\n\(trailer)\r\n".utf8) }
        for trailer in ["x-amz-checksum-sha1:abc=\r\n", "no-colon\r\n", "x-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b\r\n", ":x\r\n"] {
            let decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer, signing: nil, decodedContentLength: 5, declaredTrailers: ["x-amz-checksum-crc32"])
            expectSigV4Error(.malformedTrailerError) { () throws(SigV4Error) in try Self.run(decoder, body(trailer)) }
        }
    }

    @Test func signedTrailerWithoutSignature() {
        let text = String(decoding: Self.trailer.body, as: UTF8.self)
        let cut = text.range(of: "x-amz-trailer-signature")!.lowerBound
        let body = Array((text[..<cut] + "\r\n").utf8)
        expectSigV4Error(.malformedTrailerError) { () throws(SigV4Error) in try Self.run(Self.decoder(Self.trailer), body) }
    }
}

/// A tiny deterministic generator for reproducible random splits.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
