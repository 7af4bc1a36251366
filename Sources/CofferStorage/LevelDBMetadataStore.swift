/// ``MetadataStore`` on a LevelDB database, with the frozen key layout of
/// `docs/storage-layout.md` (the keys are the store's keys, byte for byte).
///
/// - Reads (gets, scans, snapshots) run on the caller's thread: they touch LevelDB's memtable,
///   block cache and mapped table files, without syncing anything.
/// - A commit first claims its keys in a ``KeyLockTable`` (written keys exclusive, checked
///   keys shared, counted prefixes as ranges), then checks its conditions, then writes its
///   batch, then releases the claim: check and write are atomic with respect to every other
///   commit of this store. A claim that is free at once is taken on the caller's thread; one
///   that must wait is waited for on a ``BlockingPool`` thread. Synced batches are written by
///   the database's ``GroupCommitter``: concurrent commits of different keys share one log
///   sync.
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
        try await commit(batch, durability: durability, fulfilling: [])
    }

    public func announceCommit() -> CommitAnnouncement {
        database.announceCommit()
    }

    public func commit(_ batch: MetadataBatch, durability: Durability, fulfilling announcements: [CommitAnnouncement]) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        let database = self.database, locks = self.locks
        let claim = KeyLockTable.Claim(batch)
        // Checks the conditions (the keys are claimed) and returns the batch to write.
        let prepare = { @Sendable () throws(StorageError) -> WriteBatch? in
            for condition in batch.conditions where try !Self.holds(condition, database) {
                // A concurrent commit got there first: writers race on a key, so no group
                // should hold theirs open (each retry would find the key held again).
                database.committer.noteContention()
                throw StorageError.conditionFailed(condition)
            }
            guard !batch.operations.isEmpty else { return nil }
            let writeBatch = WriteBatch()
            for operation in batch.operations {
                switch operation {
                case .put(let key, let value): writeBatch.put(key, value)
                case .delete(let key): writeBatch.delete(key)
                }
            }
            return writeBatch
        }
        // A commit whose keys are free is checked here, on the caller's thread; a buffered one
        // is written here too (a hop to the pool would cost more than the write), a synced one
        // goes to the group committer holding its claim. A commit that would wait for a key
        // waits on the pool.
        if let ticket = locks.claimIfFree(claim) {
            defer { locks.release(ticket) }
            guard let writeBatch = try prepare() else { return }
            switch durability {
            case .buffered: try database.write(writeBatch, sync: false)
            case .synced: try await database.commit(writeBatch, fulfilling: announcements)
            }
            return
        }
        database.committer.noteContention()
        try await pool.run { () throws(StorageError) in
            try locks.withClaim(claim) { () throws(StorageError) in
                guard let writeBatch = try prepare() else { return }
                switch durability {
                case .buffered: try database.write(writeBatch, sync: false)
                case .synced: try database.commitBlocking(writeBatch, fulfilling: announcements)
                }
            }
        }
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
