import CofferCrypto
import CofferStorage
import Foundation
import NIOCore

/// Writes a stream of bytes into a new blob: it cuts them into 64 KiB packages, seals each
/// (sealed-object format) into storage, and computes the MD5 (ETag) and an optional checksum
/// of the plaintext on the way. Memory stays at one package. Used for uploads and copies.
final class BlobSink {
    private let writer: BlobWriter
    private let sealer: any PackageSealing
    private let chunkSize = SealedFormat.packageSize
    private let md5 = Digest(.md5)
    private var hasher: ChecksumHasher?
    private var chunk: [UInt8]
    private var index = 0
    private(set) var total: Int64 = 0

    init(store: ObjectStore, sealer: any PackageSealing, checksum: ChecksumAlgorithm?) throws {
        self.writer = try store.makeBlobWriter()
        self.sealer = sealer
        self.hasher = checksum.map { ChecksumHasher($0) }
        self.chunk = []
        chunk.reserveCapacity(chunkSize)
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        md5.update(bytes)
        hasher?.update(bytes)
        total += Int64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            // A full chunk is written only once more bytes follow, so the last chunk
            // written is always the one sealed as final.
            if chunk.count == chunkSize { try flush(isFinal: false) }
            let take = min(chunkSize - chunk.count, bytes.count - offset)
            chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            offset += take
        }
    }

    private func flush(isFinal: Bool) throws {
        try chunk.withUnsafeBytes { try writer.writeChunk(sealer.seal($0, index: index, isFinal: isFinal)) }
        index += 1
        chunk.removeAll(keepingCapacity: true)
    }

    /// Writes the final package (an empty blob still gets one, so that its emptiness is
    /// authenticated); returns the blob (pending until a record commits it), the MD5 and the
    /// checksum.
    func finish() throws -> (blob: BlobRef, md5: [UInt8], checksum: [UInt8]?) {
        if !chunk.isEmpty || index == 0 { try flush(isFinal: true) }
        let blob = try writer.finish(logicalSize: total, header: sealer.header)
        return (blob, md5.finalize(), hasher?.finalize())
    }

    func discard() { try? writer.discard() }
}

/// Streams a request body into a new blob through a `BlobSink`, enforcing the size limit
/// and the body's checksum.
struct BodyIngest {
    struct Result {
        var blob: BlobRef
        var md5: [UInt8]
        var checksum: (algorithm: ChecksumAlgorithm, value: [UInt8])?
    }

    let store: ObjectStore
    let sealer: any PackageSealing

    /// Reads `body` to its end into a new blob. On any failure the blob is discarded and
    /// the error rethrown; on success the blob is pending until the caller commits a record.
    func ingest(_ body: inout IncomingBody, checksum: ChecksumRequest?, maxSize: Int64) async throws -> Result {
        if let declared = body.declaredLength, declared > maxSize {
            throw S3Error(.entityTooLarge, extra: [("ProposedSize", String(declared)), ("MaxSizeAllowed", String(maxSize))])
        }
        let sink = try BlobSink(store: store, sealer: sealer, checksum: checksum?.algorithm)
        let finished: (blob: BlobRef, md5: [UInt8], checksum: [UInt8]?)
        do {
            while let buffer = try await body.next() {
                try buffer.withUnsafeReadableBytes { try sink.append($0) }
                if sink.total > maxSize { throw S3Error(.entityTooLarge, extra: [("MaxSizeAllowed", String(maxSize))]) }
            }
            finished = try sink.finish()
        } catch {
            sink.discard()
            throw error
        }
        if let checksum, let computed = finished.checksum {
            do {
                try checksum.verify(computed: computed, trailers: body.trailers)
            } catch {
                try? store.discardBlob(finished.blob)
                throw error
            }
        }
        return Result(blob: finished.blob, md5: finished.md5, checksum: finished.checksum.map { (checksum!.algorithm, $0) })
    }
}
