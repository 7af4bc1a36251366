import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CLevelDB

/// A thin, safe wrapper over LevelDB's C API. Every LevelDB C call of Coffer lives in this
/// module.
///
/// LevelDB is internally synchronised, so one instance may be shared by any number of threads.
/// The database is closed when the last reference (including snapshots and iterators, which
/// retain it) goes away.
public final class LevelDB: @unchecked Sendable {
    let handle: OpaquePointer
    private let optionHandles: LevelDBOptionHandles
    let readOptions: OpaquePointer
    let scanReadOptions: OpaquePointer
    private let syncWrite: OpaquePointer
    private let asyncWrite: OpaquePointer

    /// The directory holding the database.
    public let path: String
    /// `path` with symbolic links resolved, as the kernel names the files it maps.
    let resolvedPath: String
    /// Value bytes read since mapped table pages were last released.
    let bytesReadSinceRelease = Atomic<Int>(0)
    /// Writes the batches of ``commit(_:)`` in synced groups.
    let committer: GroupCommitter

    /// Opens (and by default creates) the database at `path`.
    public init(path: String, options: Options = Options()) throws(StorageError) {
        let handles = LevelDBOptionHandles(options)
        var err: UnsafeMutablePointer<CChar>?
        let db = leveldb_open(handles.options, path, &err)
        try Self.check(err, "open \(path)")
        guard let db else { throw StorageError(.io, "leveldb_open returned no handle for \(path)") }
        self.handle = db
        self.optionHandles = handles
        self.path = path
        self.resolvedPath = Self.realPath(path) ?? path
        self.committer = GroupCommitter(name: "coffer-leveldb-commit", maxDelay: options.groupCommitDelay, targetSize: max(1, options.groupCommitTarget))
        readOptions = Self.makeReadOptions(fillCache: true, snapshot: nil)
        scanReadOptions = Self.makeReadOptions(fillCache: false, snapshot: nil)
        syncWrite = leveldb_writeoptions_create()!
        leveldb_writeoptions_set_sync(syncWrite, 1)
        asyncWrite = leveldb_writeoptions_create()!
        leveldb_writeoptions_set_sync(asyncWrite, 0)
    }

    deinit {
        committer.stop()
        leveldb_close(handle)
        leveldb_readoptions_destroy(readOptions)
        leveldb_readoptions_destroy(scanReadOptions)
        leveldb_writeoptions_destroy(syncWrite)
        leveldb_writeoptions_destroy(asyncWrite)
        // optionHandles (options, cache, filter) is destroyed after this body, i.e. after close.
    }

    /// Reads the value stored under `key`, as of `snapshot` if one is given.
    public func get(_ key: [UInt8], snapshot: Snapshot? = nil) throws(StorageError) -> [UInt8]? {
        var err: UnsafeMutablePointer<CChar>?
        var length = 0
        let value: UnsafeMutablePointer<CChar>? = withReadOptions(snapshot: snapshot, fillCache: true) { ro in
            key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { k in
                    leveldb_get(handle, ro, k.baseAddress, k.count, &length, &err)
                }
            }
        }
        try Self.check(err, "get")
        guard let value else { return nil }
        defer { leveldb_free(value) }
        return [UInt8](UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Stores `value` under `key`.
    public func put(_ key: [UInt8], _ value: UnsafeRawBufferPointer, sync: Bool) throws(StorageError) {
        var err: UnsafeMutablePointer<CChar>?
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { k in
                leveldb_put(
                    handle, writeOptions(sync), k.baseAddress, k.count,
                    value.baseAddress?.assumingMemoryBound(to: CChar.self), value.count, &err)
            }
        }
        try Self.check(err, "put")
    }

    /// Stores `value` under `key`.
    public func put(_ key: [UInt8], _ value: [UInt8], sync: Bool) throws(StorageError) {
        var result: Result<Void, StorageError> = .success(())
        value.withUnsafeBytes { v in
            do throws(StorageError) { try put(key, v, sync: sync) } catch { result = .failure(error) }
        }
        try result.get()
    }

    /// Removes `key` (a no-op if it is absent).
    public func delete(_ key: [UInt8], sync: Bool) throws(StorageError) {
        var err: UnsafeMutablePointer<CChar>?
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { k in
                leveldb_delete(handle, writeOptions(sync), k.baseAddress, k.count, &err)
            }
        }
        try Self.check(err, "delete")
    }

    /// Applies every operation of `batch` atomically. With `sync`, the write is on stable
    /// storage when this returns; concurrent synced writes share one log sync (group commit).
    public func write(_ batch: WriteBatch, sync: Bool) throws(StorageError) {
        var err: UnsafeMutablePointer<CChar>?
        leveldb_write(handle, writeOptions(sync), batch.handle, &err)
        try Self.check(err, "write")
    }

    /// Applies `batch` atomically and returns once it is on stable storage. Concurrent commits
    /// are written by one thread in groups, one log sync per group (``GroupCommitter``).
    /// `announcements` (``announceCommit()``) are fulfilled as the batch is queued.
    public func commit(_ batch: WriteBatch, fulfilling announcements: [CommitAnnouncement] = []) async throws(StorageError) {
        try await committer.write(batch, to: self, fulfilling: announcements)
    }

    /// ``commit(_:fulfilling:)`` for a thread that may block (never one of Swift's cooperative
    /// threads).
    public func commitBlocking(_ batch: WriteBatch, fulfilling announcements: [CommitAnnouncement] = []) throws(StorageError) {
        try committer.writeBlocking(batch, to: self, fulfilling: announcements)
    }

    /// Announces a commit that is on its way: groups wait for it (``GroupCommitter``).
    public func announceCommit() -> CommitAnnouncement {
        committer.announce()
    }

    /// Figures of this database's synced commits since it was opened.
    public var commitStatistics: CommitStatistics {
        CommitStatistics(commits: committer.commits.load(ordering: .relaxed), syncs: committer.groups.load(ordering: .relaxed))
    }

    /// Takes a consistent, read-only view of the database.
    public func snapshot() -> Snapshot {
        Snapshot(db: self)
    }

    /// Returns a LevelDB property such as `leveldb.stats`, or nil if the name is unknown.
    public func property(_ name: String) -> String? {
        guard let value = leveldb_property_value(handle, name) else { return nil }
        defer { leveldb_free(value) }
        return String(cString: value)
    }

    /// Compacts the whole key range (mostly useful in tests and maintenance).
    public func compactAll() {
        leveldb_compact_range(handle, nil, 0, nil, 0)
    }

    private func writeOptions(_ sync: Bool) -> OpaquePointer { sync ? syncWrite : asyncWrite }

    /// Runs `body` with read options honouring `snapshot`; shared options are used when possible.
    func withReadOptions<R>(snapshot: Snapshot?, fillCache: Bool, _ body: (OpaquePointer) -> R) -> R {
        guard let snapshot else { return body(fillCache ? readOptions : scanReadOptions) }
        let ro = Self.makeReadOptions(fillCache: fillCache, snapshot: snapshot)
        defer { leveldb_readoptions_destroy(ro) }
        return body(ro)
    }

    /// Read options for every read of Coffer: block checksums are always verified, so a
    /// damaged block is a `.corruption` error on the read that touches it, never bytes handed
    /// to LevelDB's decoders (whose assertions would abort the process).
    static func makeReadOptions(fillCache: Bool, snapshot: Snapshot?) -> OpaquePointer {
        let ro = leveldb_readoptions_create()!
        leveldb_readoptions_set_verify_checksums(ro, 1)
        leveldb_readoptions_set_fill_cache(ro, fillCache ? 1 : 0)
        if let snapshot { leveldb_readoptions_set_snapshot(ro, snapshot.handle) }
        return ro
    }

    /// Converts a LevelDB error string into a ``StorageError`` and frees it.
    static func check(_ err: UnsafeMutablePointer<CChar>?, _ operation: String) throws(StorageError) {
        guard let err else { return }
        let text = String(cString: err)
        leveldb_free(err)
        let code: StorageError.Code
        if text.hasPrefix("Corruption") {
            code = .corruption
        } else if text.hasPrefix("NotFound") {
            code = .notFound
        } else if text.hasPrefix("Invalid argument") {
            code = .invalidArgument
        } else {
            code = .io
        }
        throw StorageError(code, "LevelDB \(operation): \(text)")
    }
}

extension LevelDB {
    /// Synced commits made through ``LevelDB/commit(_:)`` and the log syncs they cost.
    public struct CommitStatistics: Sendable, Hashable, Codable {
        /// Commits written.
        public var commits: Int
        /// Synced LevelDB writes (groups), each one log sync.
        public var syncs: Int
    }
}

extension LevelDB {
    /// A consistent point-in-time view of the database, released when the last reference goes.
    public final class Snapshot: @unchecked Sendable {
        /// The database this snapshot belongs to (kept alive by the snapshot).
        public let db: LevelDB
        let handle: OpaquePointer

        init(db: LevelDB) {
            self.db = db
            self.handle = leveldb_create_snapshot(db.handle)!
        }

        deinit {
            leveldb_release_snapshot(db.handle, handle)
        }
    }
}

extension LevelDB {
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
