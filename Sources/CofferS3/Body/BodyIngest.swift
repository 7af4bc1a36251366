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

    init(store: ObjectStore, sealer: any PackageSealing, checksum: ChecksumAlgorithm?, announcement: CommitAnnouncement? = nil) async throws {
        self.writer = try await store.makeBlobWriter(announcement: announcement)
        self.sealer = sealer
        self.hasher = checksum.map { ChecksumHasher($0) }
        self.chunk = []
        chunk.reserveCapacity(chunkSize)
    }

    func append(_ buffer: ByteBuffer) async throws {
        try await append(count: buffer.readableBytes) { body in buffer.withUnsafeReadableBytes(body) }
    }

    func append(_ bytes: [UInt8]) async throws {
        try await append(count: bytes.count) { body in bytes.withUnsafeBytes(body) }
    }

    /// Appends `count` bytes that `withBytes` lends.
    private func append(count: Int, _ withBytes: ((UnsafeRawBufferPointer) -> Void) -> Void) async throws {
        withBytes { bytes in
            md5.update(bytes)
            hasher?.update(bytes)
        }
        total += Int64(count)
        var offset = 0
        while offset < count {
            // A full chunk is written only once more bytes follow, so the last chunk
            // written is always the one sealed as final.
            if chunk.count == chunkSize { try await flush(isFinal: false) }
            let take = min(chunkSize - chunk.count, count - offset)
            withBytes { bytes in chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take])) }
            offset += take
        }
    }

    private func flush(isFinal: Bool) async throws {
        let sealed = try chunk.withUnsafeBytes { try sealer.seal($0, index: index, isFinal: isFinal) }
        try await writer.writeChunk(sealed)
        index += 1
        chunk.removeAll(keepingCapacity: true)
    }

    /// Writes the final package (an empty blob still gets one, so that its emptiness is
    /// authenticated); returns the blob (pending until a record commits it), the MD5 and the
    /// checksum.
    func finish() async throws -> (blob: BlobRef, md5: [UInt8], checksum: [UInt8]?) {
        if !chunk.isEmpty || index == 0 { try await flush(isFinal: true) }
        let blob = try await writer.finish(logicalSize: total, header: sealer.header)
        return (blob, md5.finalize(), hasher?.finalize())
    }

    func discard() async { try? await writer.discard() }
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
    /// The request's commit announcement (``ObjectStore/announceCommit()``), if it made one.
    var announcement: CommitAnnouncement?

    /// Reads `body` to its end into a new blob. On any failure the blob is discarded and
    /// the error rethrown; on success the blob is pending until the caller commits a record.
    func ingest(_ body: inout IncomingBody, checksum: ChecksumRequest?, maxSize: Int64) async throws -> Result {
        if let declared = body.declaredLength, declared > maxSize {
            throw S3Error(.entityTooLarge, extra: [("ProposedSize", String(declared)), ("MaxSizeAllowed", String(maxSize))])
        }
        let sink = try await BlobSink(store: store, sealer: sealer, checksum: checksum?.algorithm, announcement: announcement)
        let finished: (blob: BlobRef, md5: [UInt8], checksum: [UInt8]?)
        do {
            while let buffer = try await body.next() {
                try await sink.append(buffer)
                if sink.total > maxSize { throw S3Error(.entityTooLarge, extra: [("MaxSizeAllowed", String(maxSize))]) }
            }
            finished = try await sink.finish()
        } catch {
            await sink.discard()
            throw error
        }
        if let checksum, let computed = finished.checksum {
            do {
                try checksum.verify(computed: computed, trailers: body.trailers)
            } catch {
                try? await store.discardBlob(finished.blob)
                throw error
            }
        }
        return Result(blob: finished.blob, md5: finished.md5, checksum: finished.checksum.map { (checksum!.algorithm, $0) })
    }
}
