extension LevelDB {
    /// What ``copyStore(from:into:batchBytes:)`` wrote and what it left out.
    public struct StoreCopyCounts: Sendable, Hashable, Codable {
        /// The store format of the copy (`m format`, docs/storage-layout.md).
        public var storeFormat = Int(KeyLayout.formatVersion)
        /// Entries copied, by kind of key (``recordKind(ofPrefix:)``: `buckets`, `objects`,
        /// `uploads`, `uploadIndex`, `parts`, `meta`, `kmsKeys`, `kmsAliases`, `auditNotes`,
        /// `other`). Chunks are counted in ``chunks``.
        public var records: [String: Int] = [:]
        /// Blobs whose chunks were copied.
        public var blobs = 0
        /// Chunks (packages) copied.
        public var chunks = 0
        /// Key and value bytes copied.
        public var bytes = 0
        /// Blobs left out, with their chunks and markers: a pending or garbage marker says that
        /// no record references them (an upload in flight, or garbage not yet reclaimed).
        public var blobsLeftOut = 0

        public init() {}
    }

    /// Copies the Coffer store that `snapshot` sees into `destination` (a new, empty database):
    /// every key with its value, byte for byte, except the chunks and markers of blobs that
    /// carry a `g` marker. Those are what a server reclaims when it starts, since no committed
    /// record references them (`docs/storage-layout.md`, "Blobs and their lifecycle"), so the
    /// copy holds exactly the committed state of the moment the snapshot was taken.
    ///
    /// Streams: one iterator over the snapshot, write batches of about `batchBytes` written
    /// unsynced, the last one synced, so memory stays about `batchBytes` plus one value
    /// whatever the store's size. Mapped table pages of both databases are released as it
    /// goes. Blocks for as long as the copy takes: call it from a thread that may block.
    ///
    /// Throws `.unsupportedFormat` when the snapshot holds no store format key or another
    /// format than this build's, `.corruption` when a block does not verify.
    public static func copyStore(from snapshot: Snapshot, into destination: LevelDB, batchBytes: Int = 1 << 20) throws(StorageError) -> StoreCopyCounts {
        let source = snapshot.db
        try checkStoreFormat(snapshot)
        var copier = StoreCopier(source: source, destination: destination, batchBytes: batchBytes)
        let iterator = source.makeIterator(snapshot: snapshot, fillCache: false)
        iterator.seekToFirst()
        while iterator.isValid {
            let key = iterator.key
            if let blob = chunkBlob(key) {
                // The first chunk of a blob decides for all of them.
                if try source.get(KeyLayout.blobMarker(blob), snapshot: snapshot) != nil {
                    copier.counts.blobsLeftOut += 1
                    guard let next = KeyLayout.successor(ofPrefix: KeyLayout.chunks(of: blob)) else { break }
                    iterator.seek(next)
                    continue
                }
                copier.counts.blobs += 1
                try copier.copyChunks(of: blob, from: iterator)
                continue
            }
            if key.first != KeyLayout.blobMarkerPrefix {
                copier.counts.records[recordKind(ofPrefix: key.first ?? 0), default: 0] += 1
                try copier.copyEntry(key, from: iterator)
            }
            iterator.next()
        }
        try iterator.checkError()
        try destination.write(copier.batch, sync: true)
        return copier.counts
    }

    /// The name of the kind of record stored under keys starting with `prefix`
    /// (`docs/storage-layout.md`): `buckets`, `objects`, `uploads`, `uploadIndex`, `parts`,
    /// `meta`, `kmsKeys`, `kmsAliases`, `auditNotes`, `chunks`, `blobMarkers`, or `other`.
    public static func recordKind(ofPrefix prefix: UInt8) -> String {
        switch prefix {
        case KeyLayout.bucketPrefix: "buckets"
        case KeyLayout.objectPrefix: "objects"
        case KeyLayout.uploadPrefix: "uploads"
        case KeyLayout.uploadIndexPrefix: "uploadIndex"
        case KeyLayout.partPrefix: "parts"
        case KeyLayout.metaPrefix: "meta"
        case KeyLayout.kmsKeyPrefix: "kmsKeys"
        case KeyLayout.kmsAliasPrefix: "kmsAliases"
        case KeyLayout.notePrefix: "auditNotes"
        case KeyLayout.chunkPrefix: "chunks"
        case KeyLayout.blobMarkerPrefix: "blobMarkers"
        default: "other"
        }
    }

    /// Throws `.unsupportedFormat` unless `snapshot` holds a store of this build's format.
    static func checkStoreFormat(_ snapshot: Snapshot) throws(StorageError) {
        let source = snapshot.db
        guard let format = try source.get(KeyLayout.formatKey, snapshot: snapshot) else {
            throw StorageError(.unsupportedFormat, "\(source.path) holds no store format key: not a Coffer store")
        }
        guard KeyLayout.readBigEndian(format) == KeyLayout.formatVersion else {
            throw StorageError(.unsupportedFormat, "\(source.path): store format is not \(KeyLayout.formatVersion)")
        }
    }

    /// The blob of a chunk key; nil for any other key.
    static func chunkBlob(_ key: [UInt8]) -> BlobID? {
        guard key.count == KeyLayout.chunkKeyCount, key.first == KeyLayout.chunkPrefix else { return nil }
        return BlobID(bytes: Array(key[1..<(KeyLayout.chunkKeyCount - 4)]))
    }
}

/// The state of one ``LevelDB/copyStore(from:into:batchBytes:)``: the batch being filled and
/// the counts so far.
private struct StoreCopier {
    let source: LevelDB
    let destination: LevelDB
    let batchBytes: Int
    let batch = WriteBatch()
    var counts = LevelDB.StoreCopyCounts()
    /// Bytes written since mapped table pages were last released.
    var writtenSinceRelease = 0

    init(source: LevelDB, destination: LevelDB, batchBytes: Int) {
        self.source = source
        self.destination = destination
        self.batchBytes = max(batchBytes, 1)
    }

    /// Copies the chunks of `blob` from the iterator standing on its first one, leaving the
    /// iterator on the first key after them.
    mutating func copyChunks(of blob: BlobID, from iterator: LevelDB.Iterator) throws(StorageError) {
        let prefix = KeyLayout.chunks(of: blob)
        while iterator.isValid(withPrefix: prefix) {
            let key = iterator.key
            guard key.count == KeyLayout.chunkKeyCount else { break }
            counts.chunks += 1
            try copyEntry(key, from: iterator)
            iterator.next()
        }
    }

    /// Adds the entry the iterator stands on to the batch, and writes the batch (unsynced)
    /// once it holds `batchBytes`.
    mutating func copyEntry(_ key: [UInt8], from iterator: LevelDB.Iterator) throws(StorageError) {
        let batch = self.batch
        let valueCount = iterator.withValue { value in
            batch.put(key, value)
            return value.count
        }
        counts.bytes += key.count + valueCount
        guard batch.byteCount >= batchBytes else { return }
        try destination.write(batch, sync: false)
        writtenSinceRelease += batch.byteCount
        batch.clear()
        // Reading maps the source's tables and the destination's compactions map its own:
        // release both every few tens of MiB so that memory stays bounded.
        if writtenSinceRelease >= LevelDB.bytesBetweenReleases {
            writtenSinceRelease = 0
            source.releaseMappedTablePages()
            destination.releaseMappedTablePages()
        }
    }
}
