/// ``MetadataStore`` on a LevelDB database, with the frozen key layout of
/// `docs/storage-layout.md` (the keys are the store's keys, byte for byte).
///
/// - Reads (gets, scans, snapshots) run on the caller's thread: they touch LevelDB's memtable,
///   block cache and mapped table files, without syncing anything.
/// - Commits run on ``BlockingPool`` threads. A commit first claims its keys in a
///   ``KeyLockTable`` (written keys exclusive, checked keys shared, counted prefixes as
///   ranges), then checks its conditions, then writes its batch with one `leveldb_write`, then
///   releases the claim: check and write are atomic with respect to every other commit of
///   this store. Concurrent synced commits of different keys wait in LevelDB together and are
///   synced as one group.
///
/// LevelDB admits one process per database, so in-process locks are enough. Use one instance
/// per database; writers that bypass it (the built-in KMS writes its `k`/`a` keys directly)
/// must not write keys it manages.
public final class LevelDBMetadataStore: MetadataStore {
    /// The database.
    public let database: LevelDB
    let locks = KeyLockTable()
    let pool: BlockingPool

    /// Wraps an open database.
    public init(database: LevelDB) {
        self.database = database
        self.pool = .shared
    }

    public func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
        try database.get(key)
    }

    public func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
        try Self.get(keys, database, snapshot: keys.count > 1 ? database.snapshot() : nil)
    }

    public func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        try Self.scan(request, database, snapshot: nil)
    }

    public func snapshot() async throws(StorageError) -> any MetadataReader {
        LevelDBMetadataSnapshot(snapshot: database.snapshot())
    }

    public func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        let database = self.database, locks = self.locks
        let claim = KeyLockTable.Claim(batch)
        let apply = { @Sendable () throws(StorageError) in
            for condition in batch.conditions where try !Self.holds(condition, database) {
                throw StorageError.conditionFailed(condition)
            }
            guard !batch.operations.isEmpty else { return }
            let writeBatch = WriteBatch()
            for operation in batch.operations {
                switch operation {
                case .put(let key, let value): writeBatch.put(key, value)
                case .delete(let key): writeBatch.delete(key)
                }
            }
            try database.write(writeBatch, sync: durability == .synced)
        }
        // A buffered commit whose keys are free runs here, as an unsynced LevelDB write always
        // did (a pending marker per PUT): a hop to the pool would cost more than the write.
        // Synced commits, and commits that would wait for a key, go to the pool.
        if durability == .buffered, try locks.withClaimIfFree(claim, apply) != nil { return }
        try await pool.run { () throws(StorageError) in try locks.withClaim(claim, apply) }
    }

    /// Evaluates `condition` against the live database (its keys are claimed by the caller).
    static func holds(_ condition: MetadataCondition, _ database: LevelDB) throws(StorageError) -> Bool {
        guard case .keyCount(let prefix, let expected) = condition else {
            return condition.holds(for: try database.get(condition.key))
        }
        let iterator = database.makeIterator()
        iterator.seek(prefix)
        var count = 0
        while count <= expected, iterator.isValid(withPrefix: prefix) {
            count += 1
            iterator.next()
        }
        try iterator.checkError()
        return count == expected
    }

    static func get(_ keys: [[UInt8]], _ database: LevelDB, snapshot: LevelDB.Snapshot?) throws(StorageError) -> [[UInt8]?] {
        var values: [[UInt8]?] = []
        values.reserveCapacity(keys.count)
        for key in keys { values.append(try database.get(key, snapshot: snapshot)) }
        return values
    }

    static func scan(_ request: ScanRequest, _ database: LevelDB, snapshot: LevelDB.Snapshot?) throws(StorageError) -> ScanPage {
        try request.validate()
        let iterator = database.makeIterator(snapshot: snapshot)
        iterator.seek(request.lowerBound)
        var entries: [MetadataEntry] = []
        while entries.count < request.limit, iterator.isValid(withPrefix: request.prefix) {
            entries.append(MetadataEntry(key: iterator.key, value: iterator.value))
            iterator.next()
        }
        let hasMore = entries.count == request.limit && iterator.isValid(withPrefix: request.prefix)
        try iterator.checkError()
        return ScanPage(entries: entries, hasMore: hasMore)
    }
}

/// A read view of a ``LevelDBMetadataStore`` over a LevelDB snapshot.
final class LevelDBMetadataSnapshot: MetadataReader {
    let snapshot: LevelDB.Snapshot

    init(snapshot: LevelDB.Snapshot) {
        self.snapshot = snapshot
    }

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
        try snapshot.db.get(key, snapshot: snapshot)
    }

    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
        try LevelDBMetadataStore.get(keys, snapshot.db, snapshot: snapshot)
    }

    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        try LevelDBMetadataStore.scan(request, snapshot.db, snapshot: snapshot)
    }
}
