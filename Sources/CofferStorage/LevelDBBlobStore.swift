import Foundation
/// ``BlobStore`` on a LevelDB database: package `i` of blob `id` is the value of the key
/// `'c' id u32be(i)` (`docs/storage-layout.md`), so a blob's packages are contiguous and in
/// order, and reading a range seeks once and walks.
///
/// Buffered package writes and reads run on the caller's thread (they copy into LevelDB's
/// memtable or out of its table files, with no sync); synced writes and deletions run on
/// ``BlockingPool`` threads. Reads count the bytes they take from mapped table files and
/// periodically release those pages (``LevelDB/noteTableBytesRead(_:)``), so a long read
/// keeps the process's memory bounded. Shares its database with a ``LevelDBMetadataStore``,
/// which never touches the `c` keys.
public final class LevelDBBlobStore: BlobStore {
    /// The database.
    public let database: LevelDB
    let pool: BlockingPool
    /// Deletions are written in batches of this many keys.
    static let deleteBatch = 512

    /// Wraps an open database.
    public init(database: LevelDB) {
        self.database = database
        self.pool = .shared
    }

    public func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError) {
        guard first >= 0, first <= KeyLayout.maxChunkIndex - packages.count + 1 else {
            throw StorageError(.invalidArgument, "blob \(blob) has too many chunks")
        }
        guard !packages.isEmpty else { return }
        let database = self.database
        let write = { @Sendable () throws(StorageError) in
            let batch = WriteBatch()
            for (offset, package) in packages.enumerated() {
                batch.put(KeyLayout.chunk(blob: blob, index: first + offset), package)
            }
            try database.write(batch, sync: durability == .synced)
        }
        if durability == .synced {
            try await pool.run(write)
        } else {
            try write()
        }
    }

    public func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        try Self.read(blob, packages: packages, database, snapshot: nil)
    }

    public func delete(_ blob: BlobID) async throws(StorageError) {
        let database = self.database
        try await pool.run { () throws(StorageError) in
            let prefix = KeyLayout.chunks(of: blob)
            let iterator = database.makeIterator(fillCache: false)
            let batch = WriteBatch()
            iterator.seek(prefix)
            while iterator.isValid(withPrefix: prefix) {
                batch.delete(iterator.key)
                if batch.count >= Self.deleteBatch {
                    try database.write(batch, sync: false)
                    batch.clear()
                }
                iterator.next()
            }
            try iterator.checkError()
            if batch.count > 0 { try database.write(batch, sync: false) }
        }
    }

    public func readView() async throws(StorageError) -> any BlobReader {
        LevelDBBlobReadView(snapshot: database.snapshot())
    }

    public func packageCount() async throws(StorageError) -> Int {
        let iterator = database.makeIterator(fillCache: false)
        iterator.seek(KeyLayout.allChunks)
        var count = 0
        while iterator.isValid(withPrefix: KeyLayout.allChunks) {
            count += 1
            iterator.next()
        }
        try iterator.checkError()
        return count
    }

    static func read(_ blob: BlobID, packages: Range<Int>, _ database: LevelDB, snapshot: LevelDB.Snapshot?) throws(StorageError) -> [[UInt8]] {
        try checkRange(packages)
        guard !packages.isEmpty else { return [] }
        let iterator = database.makeIterator(snapshot: snapshot, fillCache: false)
        iterator.seek(KeyLayout.chunk(blob: blob, index: packages.lowerBound))
        return try walk(iterator, blob, packages, database)
    }

    static func checkRange(_ packages: Range<Int>) throws(StorageError) {
        guard packages.lowerBound >= 0, packages.upperBound <= KeyLayout.maxChunkIndex + 1 else {
            throw StorageError(.invalidArgument, "chunks \(packages) out of range")
        }
    }

    /// Reads `packages` of `blob` from an iterator standing on the first of them, stopping at
    /// the first missing one.
    static func walk(_ iterator: LevelDB.Iterator, _ blob: BlobID, _ packages: Range<Int>, _ database: LevelDB) throws(StorageError) -> [[UInt8]] {
        var result: [[UInt8]] = []
        result.reserveCapacity(packages.count)
        var bytes = 0
        for index in packages {
            guard iterator.isValid(withKey: KeyLayout.chunk(blob: blob, index: index)) else { break }
            let value = iterator.value
            bytes += value.count
            result.append(value)
            iterator.next()
        }
        try iterator.checkError()
        database.noteTableBytesRead(bytes)
        return result
    }
}

/// A read view of a ``LevelDBBlobStore`` over a LevelDB snapshot.
///
/// A reader asks for a blob's packages batch after batch in order; creating and seeking a
/// LevelDB iterator for every batch costs more CPU than reading the packages (a large GET is
/// hundreds of batches). The view keeps its iterator where the last read stopped and goes on
/// from there when the next read starts at that package; any other read seeks afresh.
final class LevelDBBlobReadView: BlobReader, @unchecked Sendable {
    let snapshot: LevelDB.Snapshot
    /// Guards `iterator` and `resume`: LevelDB iterators are not thread-safe.
    private let lock = NSLock()
    private var iterator: LevelDB.Iterator?
    /// The blob and package the iterator stands on, when it stands right after a read.
    private var resume: (blob: BlobID, index: Int)?

    init(snapshot: LevelDB.Snapshot) {
        self.snapshot = snapshot
    }

    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        try LevelDBBlobStore.checkRange(packages)
        guard !packages.isEmpty else { return [] }
        let result: Result<[[UInt8]], StorageError> = lock.withLock {
            do throws(StorageError) { return .success(try readLocked(blob, packages: packages)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func readLocked(_ blob: BlobID, packages: Range<Int>) throws(StorageError) -> [[UInt8]] {
        let iterator: LevelDB.Iterator
        if let kept = self.iterator, let resume, resume.blob == blob, resume.index == packages.lowerBound {
            iterator = kept
        } else {
            iterator = snapshot.db.makeIterator(snapshot: snapshot, fillCache: false)
            iterator.seek(KeyLayout.chunk(blob: blob, index: packages.lowerBound))
            self.iterator = iterator
        }
        resume = nil
        let result = try LevelDBBlobStore.walk(iterator, blob, packages, snapshot.db)
        if result.count == packages.count { resume = (blob, packages.upperBound) }
        return result
    }
}
