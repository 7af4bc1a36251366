import CofferCache
import Foundation
import Synchronization

/// Coffer's object storage: buckets, objects, multipart uploads and their blobs, over a
/// ``MetadataStore`` (records and blob markers, with the key layout of
/// `docs/storage-layout.md`) and a ``BlobStore`` (the blobs' packages).
///
/// Thread-safe; every method that touches storage is `async`.
///
/// Writing an object follows the data-then-metadata rule: blob packages are written under a
/// `pending` marker, then one synced commit puts the record and drops the marker. Blobs a
/// commit or delete no longer references get `garbage` markers in that same commit and are
/// reclaimed right after it; a crash leaves only marked blobs, which opening the store
/// reclaims.
///
/// A bucket with a versioning state keeps every version of its objects, S3's way: writes and
/// deletions place, retire and remove versions (`ObjectStore+Versions.swift`), reads and
/// listings reach any of them, and each version owns its blobs (docs/storage-layout.md,
/// "Versions"). A bucket never versioned stores and costs exactly what it did before.
///
/// Concurrency is optimistic, as a store shared by several nodes needs: an operation reads
/// what it depends on, then commits on the condition that it is unchanged (the bucket still
/// exists, the object or part record is the one read, the blobs are still pending, a bucket's
/// listing is still empty, an upload's parts are still those read); when a concurrent commit
/// got there first, it reads again and retries, at most ``Options/commitAttempts`` times.
/// Writers of one object or part in this process take turns (``KeyTurns``) rather than race.
public final class ObjectStore: Sendable {
    /// Store options.
    public struct Options: Sendable {
        /// LevelDB tuning (for ``ObjectStore/init(directory:options:)``).
        public var database: LevelDB.Options = .init()
        /// Validated snapshots (RADOS) a listing tries before it reads the live store
        /// (``ObjectStore/withSnapshot(_:)``).
        public var snapshotAttempts = 4
        /// The node this store writes for: empty for a store one process owns; a node's name
        /// when nodes share the store. It scopes what a start-up recovers, so that a starting
        /// node touches only what its own interrupted run left, never another running node's
        /// writes in flight: notes (``CommitNote``, kept under `r node/id`) and pending blob
        /// markers (whose value is then the pending state byte followed by the node name).
        public var node: String = ""
        /// Package bytes a ``BlobWriter`` buffers before writing them as one batch.
        public var chunkBatchBytes: Int = 1 << 20
        /// Write package batches synced. Off by default: a process crash cannot lose them
        /// (LevelDB's commit follows them in the same log), but on power loss LevelDB only
        /// guarantees the current log file, so set this for power-failure durability of very
        /// large objects at some throughput cost.
        public var syncChunks: Bool = false
        /// The most packages an object reader fetches in one call (it starts with one and
        /// doubles, so a small range read fetches no more than it needs).
        public var readBatchPackages: Int = 4
        /// How many times an operation reads and commits before a conflict with concurrent
        /// commits is reported (`.conditionFailed`).
        public var commitAttempts: Int = 32

        /// Creates the default options.
        public init() {}
    }

    /// The metadata store (records, blob markers, the store format).
    public let metadata: any MetadataStore
    /// The blob store (the packages of objects and parts).
    public let blobs: any BlobStore
    /// The LevelDB database when the metadata store is a ``LevelDBMetadataStore`` (the built-in
    /// KMS still keeps its keys there directly); nil over other implementations.
    public let db: LevelDB?
    let options: Options
    /// Decoded bucket records by name, with the stored bytes they were decoded from: every
    /// request reads its bucket's record, and a record carrying a bucket policy or an
    /// encryption configuration is kilobytes of JSON. A hit costs a byte comparison instead of
    /// a decode; the stored bytes stay the single source of truth.
    let decodedBuckets = BoundedCache<String, (source: [UInt8], value: BucketRecord)>(capacity: ObjectStore.decodedBucketsCapacity)
    /// Bounds the cache (a record with a 20 KB policy costs about 40 KB here); past it the
    /// cache starts over.
    static let decodedBucketsCapacity = 256

    /// The commit announcements of finished blobs whose commit has not been made yet
    /// (``BlobWriter/finish(logicalSize:header:)`` hands its announcement here, the commit that
    /// references the blob fulfils it, ``discard(_:)`` withdraws it). Entries older than
    /// ``announcementLifetime`` are withdrawn, so a caller that neither commits nor discards
    /// cannot hold groups open for long.
    let announcements = Mutex<[BlobID: (announcement: CommitAnnouncement, since: ContinuousClock.Instant)]>([:])
    static let announcementLifetime = Duration.seconds(5)
    /// The turns of the records that read-decide-commit operations replace, so that writers
    /// of one object or part in this process commit one after another instead of racing
    /// (``optimistically(inTurnOf:announcements:_:)``).
    let turns = KeyTurns()
    /// Ids of notes handed over whose deletion waits for the next commit (``removeNote(id:)``).
    let noteRemovals = Mutex<[String]>([])

    /// How many crash-leftover blobs opening the store reclaimed.
    public let recoveredBlobCount: Int

    /// Opens (creating if needed) the LevelDB store in `<directory>/db`, validates its format
    /// and reclaims every blob left pending or garbage by an earlier run.
    public convenience init(directory: String, options: Options = Options()) async throws(StorageError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.io, "cannot create directory \(directory)")
        }
        let db = try LevelDB(path: directory + "/db", options: options.database)
        try await self.init(metadata: LevelDBMetadataStore(database: db), blobs: LevelDBBlobStore(database: db), options: options)
    }

    /// Opens the store kept in `metadata` and `blobs`: validates (or, when empty, writes) the
    /// store format and reclaims every blob left pending or garbage by an earlier run.
    ///
    /// Reclaiming pending blobs assumes that no other writer of the same ``Options/node`` is
    /// using the stores at this moment: at start-up, such a pending blob is a crash leftover.
    /// Pending blobs of other nodes are theirs (writes in flight, or leftovers their own next
    /// start collects); garbage is reclaimed whoever marked it.
    public init(metadata: any MetadataStore, blobs: any BlobStore, options: Options = Options()) async throws(StorageError) {
        try await Self.checkFormat(metadata)
        self.recoveredBlobCount = try await Self.recover(metadata, blobs, node: options.node)
        self.metadata = metadata
        self.blobs = blobs
        self.db = (metadata as? LevelDBMetadataStore)?.database
        self.options = options
    }

    private static func checkFormat(_ metadata: any MetadataStore) async throws(StorageError) {
        if let stored = try await metadata.get(KeyLayout.formatKey) {
            guard let version = KeyLayout.readBigEndian(stored), version == KeyLayout.formatVersion else {
                throw StorageError(.unsupportedFormat, "store format is not \(KeyLayout.formatVersion)")
            }
            return
        }
        var batch = MetadataBatch()
        batch.require(.absent(KeyLayout.formatKey))
        batch.put(KeyLayout.formatKey, KeyLayout.bigEndian(KeyLayout.formatVersion))
        do throws(StorageError) {
            try await metadata.commit(batch, durability: .synced)
        } catch where error.code == .conditionFailed {
            try await checkFormat(metadata) // written meanwhile by another opener
        }
    }

    /// Reclaims every garbage blob and every blob left pending by `node`. Runs before any
    /// other use, so no write of `node` is in flight.
    private static func recover(_ metadata: any MetadataStore, _ blobs: any BlobStore, node: String) async throws(StorageError) -> Int {
        let own = pendingMarker(node: node)
        let ids = try await markedBlobs(metadata) { $0 == own || $0 == garbageMarker }
        for id in ids {
            try await reclaim(id, metadata, blobs)
        }
        return ids.count
    }

    /// ``optimistically(_:)`` in the turn of `key`, the record `attempt` replaces: writers of
    /// `key` in this process wait for one another, first come first, so only writers elsewhere
    /// and operations on other keys can make `attempt` read again.
    ///
    /// A commit announced by `announcements` is not about to come while it waits for its turn,
    /// so the announcements are withdrawn then (no group should wait for it).
    func optimistically<R>(inTurnOf key: [UInt8], announcements: [CommitAnnouncement] = [], _ attempt: () async throws(StorageError) -> R) async throws(StorageError) -> R {
        try await turns.withTurn(key, willWait: { for announcement in announcements { announcement.withdraw() } }) { () async throws(StorageError) -> R in
            try await optimistically(attempt)
        }
    }

    /// Runs `body` over a snapshot of the metadata (a listing's one consistent view). A store
    /// that validates its snapshots (``MetadataStore/isolation`` `.validated`: RADOS, where
    /// every commit of every node moves the one generation) throws `.snapshotExpired` when a
    /// commit lands meanwhile: `body` runs again on a new snapshot, at most
    /// ``Options/snapshotAttempts`` times, and then on the live store, each of its reads as of
    /// its own moment, as S3's and Ceph RGW's listings are under concurrent writes; a store
    /// under a steady stream of commits would otherwise never answer.
    func withSnapshot<R>(_ body: (any MetadataReader) async throws(StorageError) -> R) async throws(StorageError) -> R {
        var failures = 0
        while failures < options.snapshotAttempts {
            do throws(StorageError) {
                return try await body(try await metadata.snapshot())
            } catch where error.code == .snapshotExpired {
                failures += 1
                await Task.yield()
            }
        }
        return try await body(metadata)
    }

    /// What an optimistic attempt reads through: a snapshot where the store pins one; the live
    /// store where it validates them, since such an attempt's commit is conditional on
    /// everything it read (a read that saw a newer state fails the commit, which is tried
    /// again), and a validated snapshot would expire with any commit of any node.
    func attemptReader() async throws(StorageError) -> any MetadataReader {
        metadata.isolation == .pinned ? try await metadata.snapshot() : metadata
    }

    /// Runs `attempt` (read, decide, commit on the condition that what was read is unchanged)
    /// again while its commit loses to a concurrent one (`.conditionFailed`) or its snapshot
    /// expires (`.snapshotExpired`), at most
    /// ``Options/commitAttempts`` times in all.
    func optimistically<R>(_ attempt: () async throws(StorageError) -> R) async throws(StorageError) -> R {
        var failures = 0
        while true {
            do throws(StorageError) {
                return try await attempt()
            } catch where (error.code == .conditionFailed || error.code == .snapshotExpired) && failures + 1 < options.commitAttempts {
                failures += 1
                await Task.yield()
            }
        }
    }

    // MARK: Record helpers

    func read<R: StoredRecord>(_ type: R.Type, at key: [UInt8], from reader: (any MetadataReader)? = nil) async throws(StorageError) -> R? {
        guard let bytes = try await (reader ?? metadata).get(key) else { return nil }
        return try R(encoded: bytes)
    }
}
