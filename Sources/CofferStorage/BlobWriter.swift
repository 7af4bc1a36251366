/// Writes one blob's packages (chunks). Obtain one from ``ObjectStore/makeBlobWriter()``.
///
/// Packages are numbered 0, 1, 2... in the order written; their values are opaque (plaintext
/// or sealed packages). They are buffered up to ``ObjectStore/Options/chunkBatchBytes`` and
/// written to the ``BlobStore`` one batch at a time, so memory stays at one batch. The blob
/// stays `pending` (collected at the next start-up) until a commit references it;
/// ``discard()`` reclaims it at once. Meant for one request at a time.
public actor BlobWriter {
    /// The blob being written.
    public nonisolated let id: BlobID
    private let store: ObjectStore
    private var buffer: [[UInt8]] = []
    private var bufferedBytes = 0
    private var written = 0
    private var state = State.open
    /// Tells the store this blob's commit is on its way, while the blob is small (one batch);
    /// withdrawn when it grows past one batch (a large upload commits much later) or fails.
    private var announcement: CommitAnnouncement?

    private enum State { case open, finished, failed, discarded }

    init(store: ObjectStore, id: BlobID, announcement: CommitAnnouncement? = nil) {
        self.store = store
        self.id = id
        self.announcement = announcement
    }

    /// Appends the next package.
    public func writeChunk(_ bytes: [UInt8]) async throws(StorageError) {
        try requireOpen()
        guard written + buffer.count < KeyLayout.maxChunkIndex else {
            throw StorageError(.invalidArgument, "blob \(id) has too many chunks")
        }
        buffer.append(bytes)
        bufferedBytes += bytes.count + KeyLayout.chunkKeyCount
        if bufferedBytes >= store.options.chunkBatchBytes {
            announcement?.withdraw()
            announcement = nil
            try await flush()
        }
    }

    /// Writes buffered packages and returns the reference to commit. `logicalSize` is the
    /// blob's plaintext byte count (package values may be larger).
    public func finish(logicalSize: Int64, header: String? = nil) async throws(StorageError) -> BlobRef {
        try requireOpen()
        guard logicalSize >= 0 else { throw StorageError(.invalidArgument, "negative blob size") }
        try await flush()
        state = .finished
        if let announcement {
            store.keepAnnouncement(announcement, for: id)
            self.announcement = nil
        }
        return BlobRef(id: id, chunkCount: written, size: logicalSize, header: header)
    }

    /// Abandons the blob and reclaims its packages now. Safe after
    /// ``finish(logicalSize:header:)`` as long as no commit referenced the blob (a committed
    /// blob is left alone).
    public func discard() async throws(StorageError) {
        guard state != .discarded else { return }
        announcement?.withdraw()
        announcement = nil
        buffer = []
        bufferedBytes = 0
        state = .discarded
        try await store.discard([id])
    }

    private func requireOpen() throws(StorageError) {
        guard state == .open else { throw StorageError(.invalidArgument, "blob \(id) is no longer open") }
    }

    private func flush() async throws(StorageError) {
        guard !buffer.isEmpty else { return }
        let packages = buffer, first = written
        buffer = []
        bufferedBytes = 0
        written += packages.count
        do throws(StorageError) {
            try await store.blobs.write(id, packages: packages, startingAt: first, durability: store.options.syncChunks ? .synced : .buffered)
        } catch {
            state = .failed
            announcement?.withdraw()
            announcement = nil
            throw error
        }
    }
}
