import Foundation

extension ObjectStore {
    /// The pending marker `node` writes: the state byte, then the node name when the store is
    /// shared (``Options/node``).
    static func pendingMarker(node: String) -> [UInt8] { [KeyLayout.BlobState.pending.rawValue] + Array(node.utf8) }

    /// The pending marker this store writes.
    var pendingMarker: [UInt8] { Self.pendingMarker(node: options.node) }
    static let garbageMarker: [UInt8] = [KeyLayout.BlobState.garbage.rawValue]

    /// Announces a write whose synced commit will follow soon (a small PUT or part that has
    /// begun): commits made meanwhile may wait a moment for it, to share its log sync
    /// (``CommitAnnouncement``). Hand it to ``makeBlobWriter(announcement:)``; it ends with the
    /// commit, with a blob larger than one batch, or when released.
    public func announceCommit() -> CommitAnnouncement {
        metadata.announceCommit()
    }

    /// Starts a new blob: allocates a random id and records its `pending` marker before any
    /// data. The writer carries `announcement` (or a new one) to the blob's commit.
    public func makeBlobWriter(announcement: CommitAnnouncement? = nil) async throws(StorageError) -> BlobWriter {
        var generator = SystemRandomNumberGenerator()
        let id = BlobID.timeOrdered(milliseconds: UInt64(max(0, Date.milliseconds(of: Date()))), using: &generator)
        // 80 random bits per millisecond: a repeat is not expected, so the marker is written
        // without first reading that it is absent. That read of a missing key would also cost
        // LevelDB a "seek" on every PUT, and enough of them trigger compactions that slowed
        // the large writes that followed (docs/benchmarks.md).
        var batch = MetadataBatch()
        batch.put(KeyLayout.blobMarker(id), pendingMarker)
        try await metadata.commit(batch, durability: .buffered)
        return BlobWriter(store: self, id: id, announcement: announcement ?? metadata.announceCommit())
    }

    /// Keeps the announcement of a finished blob for the commit that will reference it.
    func keepAnnouncement(_ announcement: CommitAnnouncement, for blob: BlobID) {
        let now = ContinuousClock.now
        let expired: [CommitAnnouncement] = announcements.withLock { entries in
            entries[blob] = (announcement, now)
            let stale = entries.filter { now - $0.value.since > Self.announcementLifetime }
            for key in stale.keys { entries[key] = nil }
            return stale.values.map(\.announcement)
        }
        for announcement in expired { announcement.withdraw() }
    }

    /// Takes the kept announcements of `blobs` (for the commit that references them).
    func takeAnnouncements(_ blobs: some Sequence<BlobID>) -> [CommitAnnouncement] {
        announcements.withLock { entries in blobs.compactMap { entries.removeValue(forKey: $0)?.announcement } }
    }

    /// Reclaims blobs that were written but never committed (e.g. after a failed commit).
    /// Blobs that are not pending (committed, or already reclaimed) are left untouched.
    public func discard(_ ids: [BlobID]) async throws(StorageError) {
        for announcement in takeAnnouncements(ids) { announcement.withdraw() }
        for blob in ids {
            let marker = KeyLayout.blobMarker(blob)
            guard try await metadata.get(marker) == pendingMarker else { continue }
            var batch = MetadataBatch()
            batch.require(.equals(marker, pendingMarker))
            batch.put(marker, Self.garbageMarker)
            do throws(StorageError) {
                try await metadata.commit(batch, durability: .buffered)
            } catch where error.code == .conditionFailed {
                continue // committed (or discarded) meanwhile
            }
            try await reclaim([blob])
        }
    }

    /// Reads package `index` of a blob from the live store (no read view); nil if absent.
    public func readChunk(blob: BlobID, index: Int) async throws(StorageError) -> [UInt8]? {
        guard index >= 0, index <= KeyLayout.maxChunkIndex else { return nil }
        return try await blobs.read(blob, packages: index..<(index + 1)).first
    }

    /// Reclaims blobs that a committed batch marked as garbage.
    func reclaim(_ ids: some Sequence<BlobID>) async throws(StorageError) {
        for id in ids {
            try await Self.reclaim(id, metadata, blobs)
        }
    }

    /// Deletes a blob's packages, then its marker: a marker disappears only after its
    /// packages, so a crash in between leaves the marker for the next start-up.
    static func reclaim(_ blob: BlobID, _ metadata: any MetadataStore, _ blobs: any BlobStore) async throws(StorageError) {
        try await blobs.delete(blob)
        var batch = MetadataBatch()
        batch.delete(KeyLayout.blobMarker(blob))
        try await metadata.commit(batch, durability: .buffered)
    }

    /// Throws unless `marker` (the stored value of a blob's marker) says pending.
    func requirePending(_ marker: [UInt8]?, _ blob: BlobID) throws(StorageError) {
        guard marker == pendingMarker else {
            throw StorageError(.invalidRecord, "blob \(blob) is not a pending blob")
        }
    }

    /// Adds garbage markers for `blobs` to `batch`.
    static func markGarbage(_ blobs: some Sequence<BlobID>, in batch: inout MetadataBatch) {
        for blob in blobs {
            batch.put(KeyLayout.blobMarker(blob), garbageMarker)
        }
    }

    /// Every blob whose marker's value `matches`.
    static func markedBlobs(_ metadata: any MetadataReader, matching matches: ([UInt8]) -> Bool) async throws(StorageError) -> [BlobID] {
        var cursor = ScanCursor(reader: metadata, prefix: KeyLayout.allBlobMarkers)
        var ids: [BlobID] = []
        while let entry = try await cursor.next() {
            guard matches(entry.value), let id = BlobID(bytes: Array(entry.key.dropFirst())) else { continue }
            ids.append(id)
        }
        return ids
    }

    /// Every blob marked `state` (pending: by any node).
    static func markedBlobs(_ metadata: any MetadataReader, state: KeyLayout.BlobState) async throws(StorageError) -> [BlobID] {
        try await markedBlobs(metadata) { value in BlobMarkerState(value: value) == (state == .pending ? .pending : .garbage) }
    }

    // MARK: Statistics (scans; for tests and benchmarks)

    /// Number of packages in the whole blob store.
    public func chunkCount() async throws(StorageError) -> Int {
        try await blobs.packageCount()
    }

    /// Number of blobs written but not yet committed or discarded.
    public func pendingBlobCount() async throws(StorageError) -> Int {
        try await Self.markedBlobs(metadata, state: .pending).count
    }

    /// Number of blobs marked garbage and not yet reclaimed.
    public func garbageBlobCount() async throws(StorageError) -> Int {
        try await Self.markedBlobs(metadata, state: .garbage).count
    }
}
