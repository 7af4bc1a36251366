import CofferCrypto
import NIOCore

extension AWSChunkedDecoder {
    /// Reads up to and including the next `\r\n`, buffering partial lines across calls.
    /// Returns the line without its terminator, or `nil` when more input is needed.
    mutating func readLine(_ input: inout ByteBuffer, limit: Int) throws(SigV4Error) -> [UInt8]? {
        let view = input.readableBytesView
        if let newline = view.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex + 1
            guard line.count + length <= limit + 2 else { throw Self.incomplete }
            line += input.readBytes(length: length)!
            guard line.count >= 2, line[line.count - 2] == UInt8(ascii: "\r") else { throw Self.incomplete }
            defer { line.removeAll(keepingCapacity: true) }
            return Array(line.dropLast(2))
        }
        guard line.count + view.count <= limit + 1 else { throw Self.incomplete }
        line += input.readBytes(length: view.count)!
        return nil
    }

    /// Parses `<hex-size>[;chunk-signature=<sig>]` and starts the chunk.
    mutating func startChunk(_ header: [UInt8]) throws(SigV4Error) {
        let semicolon = header.firstIndex(of: UInt8(ascii: ";")) ?? header.endIndex
        let sizeDigits = header[..<semicolon]
        guard (1...16).contains(sizeDigits.count), sizeDigits.allSatisfy(\.isHexDigit),
              let size = UInt64(String(decoding: sizeDigits, as: UTF8.self), radix: 16), size <= UInt64(Int64.max)
        else { throw Self.incomplete }
        let chunkSize = Int64(size)
        chunkIndex += 1

        if isSigned {
            let prefix = Array(";chunk-signature=".utf8)
            let rest = header[semicolon...]
            guard rest.starts(with: prefix) else { throw Self.incomplete }
            pendingSignature = String(decoding: rest.dropFirst(prefix.count), as: UTF8.self)
        }

        if chunkSize > 0, let previous = previousChunkSize, previous < Self.minimumChunkSize {
            throw SigV4Error(.invalidChunkSizeError, extra: [("Chunk", String(chunkIndex)), ("BadChunkSize", String(previous))], source: .body)
        }
        let (total, overflow) = decodedByteCount.addingReportingOverflow(chunkSize)
        guard !overflow, decodedContentLength.map({ total <= $0 }) ?? true else { throw Self.incomplete }
        decodedByteCount = total
        previousChunkSize = chunkSize

        if isSigned { digest = Digest(.sha256) }
        if chunkSize > 0 {
            state = .data(remaining: chunkSize)
            return
        }
        // The final, empty chunk.
        try endChunk()
        if let expected = decodedContentLength, expected != decodedByteCount { throw Self.incomplete }
        state = hasTrailers ? .trailers : .crlf(seen: 0, then: .done)
    }

    /// Verifies the signature of the chunk that just ended and moves the chain on.
    mutating func endChunk() throws(SigV4Error) {
        guard let signing, let digest else { return }
        self.digest = nil
        let expected = signing.chunkSignature(previous: previousSignature, chunkSHA256Hex: Hex.encode(digest.finalize()))
        guard constantTimeEquals(expected, pendingSignature) else {
            throw SigV4Error(.signatureDoesNotMatch, extra: [("SignatureProvided", pendingSignature)], source: .body)
        }
        previousSignature = expected
    }

    /// One line of the trailer section: `name:value`, the signature line, or the empty end line.
    mutating func handleTrailerLine(_ text: [UInt8]) throws(SigV4Error) {
        let malformed = SigV4Error(.malformedTrailerError, source: .body)
        trailerBytes += text.count + 2
        guard trailerBytes <= Self.maxTrailerBytes else { throw malformed }
        if text.isEmpty {
            // Some encoders put the empty data line of the final chunk before the trailers.
            if trailers.isEmpty, trailerSignature == nil, !sawBlankBeforeTrailers, isSigned || !declaredTrailers.isEmpty {
                sawBlankBeforeTrailers = true
                return
            }
            try endTrailers()
            return
        }
        guard trailerSignature == nil, let colon = text.firstIndex(of: UInt8(ascii: ":")) else { throw malformed }
        let name = String(decoding: text[..<colon], as: UTF8.self).trimmingSpaces.lowercased()
        let value = String(decoding: text[(colon + 1)...], as: UTF8.self).trimmingSpaces
        guard !name.isEmpty else { throw malformed }
        if isSigned, name == "x-amz-trailer-signature" {
            trailerSignature = value
            return
        }
        guard declaredTrailers.contains(name), !trailers.contains(where: { $0.name == name }) else { throw malformed }
        trailers.append((name, value))
    }

    private mutating func endTrailers() throws(SigV4Error) {
        if let signing {
            guard let provided = trailerSignature else { throw SigV4Error(.malformedTrailerError, source: .body) }
            let expected = signing.trailerSignature(previous: previousSignature, trailers: trailers)
            guard constantTimeEquals(expected, provided) else {
                throw SigV4Error(.signatureDoesNotMatch, extra: [("SignatureProvided", provided)], source: .body)
            }
        }
        for name in declaredTrailers where !trailers.contains(where: { $0.name == name }) {
            throw SigV4Error(.malformedTrailerError, source: .body)
        }
        state = .done
    }
}

extension String {
    var trimmingSpaces: String {
        let bytes = Array(utf8)
        let isSpace = { (c: UInt8) in c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
