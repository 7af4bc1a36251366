import Foundation
import Synchronization

/// Coffer's object storage: buckets, objects, multipart uploads and their blobs, all in one
/// LevelDB database laid out as described in `docs/storage-layout.md`.
///
/// Thread-safe; every method is synchronous (the HTTP layer chooses the thread).
///
/// Writing an object follows the data-then-metadata rule: blob chunks are written unsynced
/// under a `pending` marker, then one synced batch commits the record and drops the marker.
/// Blobs a commit or delete no longer references get `garbage` markers in that same batch and
/// are reclaimed right after it; a crash leaves only marked blobs, which start-up reclaims.
///
/// Locking (always acquired in this order, at most one of each kind):
/// 1. a bucket stripe, shared by commits into the bucket, exclusive for create/delete bucket;
/// 2. an upload stripe, shared by part commits, exclusive for complete/abort;
/// 3. an entry stripe (object or part key) serialising read-modify-write of one record.
/// Commits of different objects therefore never serialise on one lock, so LevelDB can group
/// their synced writes.
public final class ObjectStore: Sendable {
    /// Store options.
    public struct Options: Sendable {
        /// LevelDB tuning.
        public var database: LevelDB.Options = .init()
        /// Chunk bytes a ``BlobWriter`` buffers before writing them as one batch.
        public var chunkBatchBytes: Int = 1 << 20
        /// Sync chunk batches to disk as they are written. Off by default: a process crash
        /// cannot lose them (the commit's synced write follows them in the same log), but on
        /// power loss LevelDB only guarantees the current log file, so set this for
        /// power-failure durability of very large objects at some throughput cost.
        public var syncChunks: Bool = false

        /// Creates the default options.
        public init() {}
    }

    /// The underlying database.
    public let db: LevelDB
    let options: Options
    let bucketLocks = LockStripes(count: 64) { ReadWriteLock() }
    let uploadLocks = LockStripes(count: 64) { ReadWriteLock() }
    let entryLocks = LockStripes(count: 256) { MutexLock() }
    /// Decoded bucket records by name, with the stored bytes they were decoded from: every
    /// request reads its bucket's record, and a record carrying a bucket policy or an
    /// encryption configuration is kilobytes of JSON. A hit costs a byte comparison instead of
    /// a decode; the stored bytes stay the single source of truth.
    let decodedBuckets = Mutex<[String: (bytes: [UInt8], record: BucketRecord)]>([:])
    /// Bounds the cache (a record with a 20 KB policy costs about 40 KB here); past it the
    /// cache starts over.
    static let decodedBucketsCapacity = 256

    /// How many crash-leftover blobs start-up reclaimed.
    public let recoveredBlobCount: Int

    /// Opens (creating if needed) the store in `<directory>/db`, validates its format and
    /// reclaims every blob left pending or garbage by an earlier run.
    public init(directory: String, options: Options = Options()) throws(StorageError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.io, "cannot create directory \(directory)")
        }
        let db = try LevelDB(path: directory + "/db", options: options.database)
        self.db = db
        self.options = options
        try Self.checkFormat(db)
        self.recoveredBlobCount = try Self.recover(db)
    }

    private static func checkFormat(_ db: LevelDB) throws(StorageError) {
        if let stored = try db.get(KeyLayout.formatKey) {
            guard let version = KeyLayout.readBigEndian(stored), version == KeyLayout.formatVersion else {
                throw StorageError(.unsupportedFormat, "store format is not \(KeyLayout.formatVersion)")
            }
        } else {
            try db.put(KeyLayout.formatKey, KeyLayout.bigEndian(KeyLayout.formatVersion), sync: true)
        }
    }

    /// Reclaims every marked blob. Runs before any other use, so no write is in flight.
    private static func recover(_ db: LevelDB) throws(StorageError) -> Int {
        let ids = try markedBlobs(db, state: nil)
        for id in ids {
            try reclaim(db, blob: id)
        }
        return ids.count
    }

    // MARK: Blob markers and reclamation

    static func markedBlobs(_ db: LevelDB, state: KeyLayout.BlobState?) throws(StorageError) -> [BlobID] {
        let iterator = db.makeIterator(fillCache: false)
        iterator.seek(KeyLayout.allBlobMarkers)
        var ids: [BlobID] = []
        while iterator.isValid(withPrefix: KeyLayout.allBlobMarkers) {
            let key = iterator.key
            let matches = state.map { s in iterator.withValue { $0.first == s.rawValue } } ?? true
            if matches, let id = BlobID(bytes: Array(key.dropFirst())) {
                ids.append(id)
            }
            iterator.next()
        }
        try iterator.checkError()
        return ids
    }

    /// Deletes a blob's chunks in batches, then its marker. Crash-safe: the marker goes last,
    /// and LevelDB's log never reorders writes.
    static func reclaim(_ db: LevelDB, blob: BlobID) throws(StorageError) {
        let prefix = KeyLayout.chunks(of: blob)
        let iterator = db.makeIterator(fillCache: false)
        let batch = WriteBatch()
        iterator.seek(prefix)
        while iterator.isValid(withPrefix: prefix) {
            batch.delete(iterator.key)
            if batch.count >= 512 {
                try db.write(batch, sync: false)
                batch.clear()
            }
            iterator.next()
        }
        try iterator.checkError()
        batch.delete(KeyLayout.blobMarker(blob))
        try db.write(batch, sync: false)
    }

    /// Reclaims blobs that a committed batch marked as garbage.
    func reclaim(_ blobs: some Sequence<BlobID>) throws(StorageError) {
        for blob in blobs {
            try Self.reclaim(db, blob: blob)
        }
    }

    func blobState(_ blob: BlobID) throws(StorageError) -> KeyLayout.BlobState? {
        guard let value = try db.get(KeyLayout.blobMarker(blob)) else { return nil }
        guard value.count == 1, let state = KeyLayout.BlobState(rawValue: value[0]) else {
            throw StorageError(.corruption, "blob marker of \(blob) is malformed")
        }
        return state
    }

    /// Throws unless every blob is pending (written, not yet committed, not discarded).
    func requirePending(_ blobs: some Sequence<BlobID>) throws(StorageError) {
        for blob in blobs where try blobState(blob) != .pending {
            throw StorageError(.invalidRecord, "blob \(blob) is not a pending blob")
        }
    }

    /// Adds garbage markers for `blobs` to `batch`.
    static func markGarbage(_ blobs: some Sequence<BlobID>, in batch: WriteBatch) {
        for blob in blobs {
            batch.put(KeyLayout.blobMarker(blob), [KeyLayout.BlobState.garbage.rawValue])
        }
    }

    // MARK: Record helpers

    func read<R: StoredRecord>(_ type: R.Type, at key: [UInt8], snapshot: LevelDB.Snapshot? = nil) throws(StorageError) -> R? {
        guard let bytes = try db.get(key, snapshot: snapshot) else { return nil }
        return try R(encoded: bytes)
    }

    func requireBucket(_ name: String) throws(StorageError) {
        guard try db.get(KeyLayout.bucket(name)) != nil else {
            throw StorageError(.noSuchBucket, "bucket \(name) does not exist")
        }
    }

    // MARK: Statistics (scans; for tests and benchmarks)

    /// Number of chunk entries in the whole store.
    public func chunkCount() throws(StorageError) -> Int {
        try countKeys(prefix: KeyLayout.allChunks)
    }

    /// Number of blobs written but not yet committed or discarded.
    public func pendingBlobCount() throws(StorageError) -> Int {
        try Self.markedBlobs(db, state: .pending).count
    }

    /// Number of blobs marked garbage and not yet reclaimed.
    public func garbageBlobCount() throws(StorageError) -> Int {
        try Self.markedBlobs(db, state: .garbage).count
    }

    func countKeys(prefix: [UInt8]) throws(StorageError) -> Int {
        let iterator = db.makeIterator(fillCache: false)
        iterator.seek(prefix)
        var count = 0
        while iterator.isValid(withPrefix: prefix) {
            count += 1
            iterator.next()
        }
        try iterator.checkError()
        return count
    }
}
