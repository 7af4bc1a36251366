/// Writes one blob's chunks. Obtain one from ``ObjectStore/makeBlobWriter()``.
///
/// Chunks are numbered 0, 1, 2... in the order written. Chunk values are opaque: they may be
/// plaintext or sealed packages. The blob stays `pending` (collected at the next start-up) until
/// a commit references it; ``discard()`` reclaims it at once.
///
/// Methods are serialised internally, but a writer is meant for one request at a time.
public final class BlobWriter: @unchecked Sendable {
    /// The blob being written.
    public let id: BlobID
    private let store: ObjectStore
    private let lock = MutexLock()
    private let batch = WriteBatch()
    private var chunkCount = 0
    private var state = State.open

    private enum State { case open, finished, discarded }

    init(store: ObjectStore, id: BlobID) {
        self.store = store
        self.id = id
    }

    /// Appends the next chunk. Buffered up to ``ObjectStore/Options/chunkBatchBytes``, then
    /// written unsynced.
    public func writeChunk(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        try lock.withLock { () throws(StorageError) in
            guard state == .open else { throw StorageError(.invalidArgument, "blob \(id) is no longer open") }
            guard chunkCount < KeyLayout.maxChunkIndex else { throw StorageError(.invalidArgument, "blob \(id) has too many chunks") }
            batch.put(KeyLayout.chunk(blob: id, index: chunkCount), bytes)
            chunkCount += 1
            if batch.byteCount >= store.options.chunkBatchBytes {
                try flush()
            }
        }
    }

    /// Appends the next chunk.
    public func writeChunk(_ bytes: [UInt8]) throws(StorageError) {
        var result: Result<Void, StorageError> = .success(())
        bytes.withUnsafeBytes { buffer in
            do throws(StorageError) { try writeChunk(buffer) } catch { result = .failure(error) }
        }
        try result.get()
    }

    /// Writes buffered chunks and returns the reference to commit. `logicalSize` is the blob's
    /// plaintext byte count (chunk values may be larger).
    public func finish(logicalSize: Int64, header: String? = nil) throws(StorageError) -> BlobRef {
        try lock.withLock { () throws(StorageError) -> BlobRef in
            guard state == .open else { throw StorageError(.invalidArgument, "blob \(id) is no longer open") }
            guard logicalSize >= 0 else { throw StorageError(.invalidArgument, "negative blob size") }
            try flush()
            state = .finished
            return BlobRef(id: id, chunkCount: chunkCount, size: logicalSize, header: header)
        }
    }

    /// Abandons the blob and reclaims its chunks now. Safe after ``finish(logicalSize:)`` as
    /// long as no commit referenced the blob (a committed blob is left alone).
    public func discard() throws(StorageError) {
        try lock.withLock { () throws(StorageError) in
            guard state != .discarded else { return }
            batch.clear()
            state = .discarded
            try store.discard([id])
        }
    }

    private func flush() throws(StorageError) {
        guard batch.count > 0 else { return }
        try store.db.write(batch, sync: store.options.syncChunks)
        batch.clear()
    }
}

extension ObjectStore {
    /// Starts a new blob: allocates a random id and records its `pending` marker before any data.
    public func makeBlobWriter() throws(StorageError) -> BlobWriter {
        var generator = SystemRandomNumberGenerator()
        let id = BlobID.random(using: &generator)
        try db.put(KeyLayout.blobMarker(id), [KeyLayout.BlobState.pending.rawValue], sync: false)
        return BlobWriter(store: self, id: id)
    }

    /// Reclaims blobs that were written but never committed (e.g. after a failed commit).
    /// Blobs that are not pending (committed, or already reclaimed) are left untouched.
    public func discard(_ blobs: [BlobID]) throws(StorageError) {
        for blob in blobs where try blobState(blob) == .pending {
            try db.put(KeyLayout.blobMarker(blob), [KeyLayout.BlobState.garbage.rawValue], sync: false)
            try Self.reclaim(db, blob: blob)
        }
    }

    /// Reads one chunk of a blob from the live database (no snapshot).
    public func readChunk(blob: BlobID, index: Int) throws(StorageError) -> [UInt8]? {
        guard index >= 0, index <= KeyLayout.maxChunkIndex else { return nil }
        return try db.get(KeyLayout.chunk(blob: blob, index: index))
    }
}
