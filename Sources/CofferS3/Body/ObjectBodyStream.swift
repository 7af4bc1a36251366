import CofferCrypto
import CofferStorage
import NIOCore

/// Streams the bytes `range` of a stored object: it finds the segment and package holding
/// the first byte, opens (verifies, then decrypts) only the packages the range covers, and
/// trims the first and last. No byte of a package is handed on before its tag verified.
struct ObjectBodyStream: Sendable {
    let reader: ObjectReader
    /// One opener per segment of the object.
    let openers: [any PackageOpening]
    let range: ClosedRange<Int64>?
    let chunkSize = SealedFormat.packageSize

    func responseBody() -> S3Response.Body {
        let length = range.map { Int($0.upperBound - $0.lowerBound + 1) } ?? Int(reader.record.size)
        return .stream(length: length) { writer in
            try await self.write(to: &writer)
        }
    }

    /// Calls `body` with each piece of plaintext of the range, in order.
    func forEachPiece(_ body: ([UInt8]) async throws -> Void) async throws {
        let record = reader.record
        guard record.size > 0 else { return }
        let first = range?.lowerBound ?? 0
        let last = range?.upperBound ?? record.size - 1
        var segmentStart: Int64 = 0
        for (segmentIndex, segment) in record.segments.enumerated() {
            let segmentEnd = segmentStart + segment.size  // exclusive
            defer { segmentStart = segmentEnd }
            guard segmentEnd > first, segmentStart <= last, segment.size > 0 else { continue }
            let localFirst = max(first, segmentStart) - segmentStart
            let localLast = min(last, segmentEnd - 1) - segmentStart
            let firstChunk = Int(localFirst / Int64(chunkSize))
            let lastChunk = Int(localLast / Int64(chunkSize))
            var index = firstChunk
            let cursor = try reader.chunks(segment: segmentIndex, from: firstChunk, upTo: min(lastChunk + 1, segment.chunkCount))
            while let stored = try await cursor.next() {
                let plain = try openers[segmentIndex].open(stored, index: index, isFinal: index == segment.chunkCount - 1)
                let chunkStart = Int64(index) * Int64(chunkSize)
                let lower = Int(max(localFirst - chunkStart, 0))
                let upper = Int(min(localLast - chunkStart, Int64(plain.count) - 1))
                guard lower <= upper else { throw StorageError(.corruption, "chunk \(index) is shorter than its object says") }
                try await body(lower == 0 && upper == plain.count - 1 ? plain : Array(plain[lower...upper]))
                if index == lastChunk { break }
                index += 1
            }
            guard index == lastChunk else { throw StorageError(.corruption, "object data ends early") }
        }
    }

    private func write(to writer: inout any ResponseBodySink) async throws {
        var w = writer
        try await forEachPiece { try await w.write(ByteBuffer(bytes: $0)) }
        writer = w
    }
}
