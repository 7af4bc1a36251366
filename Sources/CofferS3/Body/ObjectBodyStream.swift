import CofferCrypto
import CofferStorage
import NIOCore

/// A stored package of an object that could not be read or did not open (a damaged table
/// block, a missing chunk, a failed GCM tag): the object is damaged, not the request. Names the
/// object and the package for the operator; never any of the object's bytes.
struct DamagedObjectError: Error, CustomStringConvertible {
    let bucket: String
    let key: String
    let segment: Int
    let blob: BlobID
    let package: Int
    let cause: any Error

    var description: String {
        "object \(bucket)/\(key): package \(package) of segment \(segment) (blob \(blob)) cannot be read: \(cause)"
    }
}

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

    /// The whole range in memory, for bodies small enough to read before answering: a damaged
    /// package is then an error answer (500) instead of a body cut short after its 200.
    func collect() async throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: range.map { Int($0.upperBound - $0.lowerBound + 1) } ?? Int(reader.record.size))
        try await forEachPiece { buffer.writeBytes($0) }
        return buffer
    }

    /// Calls `body` with each piece of plaintext of the range, in order. A package that cannot
    /// be read or opened throws ``DamagedObjectError``; errors of `body` pass through as they are.
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
            func damaged(_ cause: any Error) -> DamagedObjectError {
                DamagedObjectError(bucket: record.bucket, key: record.key, segment: segmentIndex, blob: segment.id, package: index, cause: cause)
            }
            let cursor: ChunkCursor
            do { cursor = try reader.chunks(segment: segmentIndex, from: firstChunk, upTo: min(lastChunk + 1, segment.chunkCount)) } catch { throw damaged(error) }
            while true {
                let piece: [UInt8]
                do {
                    guard let stored = try await cursor.next() else { break }
                    let plain = try openers[segmentIndex].open(stored, index: index, isFinal: index == segment.chunkCount - 1)
                    let chunkStart = Int64(index) * Int64(chunkSize)
                    let lower = Int(max(localFirst - chunkStart, 0))
                    let upper = Int(min(localLast - chunkStart, Int64(plain.count) - 1))
                    guard lower <= upper else { throw StorageError(.corruption, "chunk \(index) is shorter than its object says") }
                    piece = lower == 0 && upper == plain.count - 1 ? plain : Array(plain[lower...upper])
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw damaged(error)
                }
                try await body(piece)
                if index == lastChunk { break }
                index += 1
            }
            guard index == lastChunk else { throw damaged(StorageError(.corruption, "object data ends early")) }
        }
    }

    /// Bodies longer than this many packages are read ahead (`ReadAhead.swift`).
    static let readAheadAbovePackages = 2
    /// Plaintext handed from the producer to the writer at a time (one hand-over, not one
    /// per package), and how many such batches may wait.
    static let readAheadBatchBytes = 256 << 10
    static let readAheadBatches = 2

    private func write(to writer: inout any ResponseBodySink) async throws {
        var w = writer
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? reader.record.size
        if length <= Int64(Self.readAheadAbovePackages * chunkSize) {
            try await forEachPiece { try await w.write(ByteBuffer(bytes: $0)) }
        } else {
            try await writeReadingAhead(to: &w)
        }
        writer = w
    }

    /// Opens packages on `ReadAheadExecutor` threads while the previous ones are written, in
    /// batches of `readAheadBatchBytes`, at most `readAheadBatches` ahead (bounded memory). A failure on either side stops both: a producer
    /// error reaches the writer after the pieces before it, a writer error cancels the
    /// producer, and the producer is always awaited before this returns.
    private func writeReadingAhead(to w: inout any ResponseBodySink) async throws {
        let buffer = ReadAheadBuffer<ByteBuffer>(capacity: Self.readAheadBatches)
        let stream = self
        let producer = Task(executorPreference: ReadAheadExecutor.shared) {
            do {
                let batchBytes = Self.readAheadBatchBytes
                var batch = ByteBufferAllocator().buffer(capacity: batchBytes)
                try await stream.forEachPiece { piece in
                    batch.writeBytes(piece)
                    if batch.readableBytes >= batchBytes {
                        try await buffer.send(batch)
                        batch = ByteBufferAllocator().buffer(capacity: batchBytes)
                    }
                }
                if batch.readableBytes > 0 { try await buffer.send(batch) }
                buffer.finish()
            } catch {
                buffer.finish(throwing: error)
            }
        }
        do {
            while let batch = try await buffer.next() {
                try await w.write(batch)
            }
        } catch {
            buffer.cancel()
            producer.cancel()
            await producer.value
            throw error
        }
        await producer.value
    }
}
