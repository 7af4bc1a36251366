import CofferStorage
import Synchronization

/// Where the built-in KMS keeps its key and alias records (`KMSKeyLayout` keys): Coffer's
/// LevelDB database on one machine, the cluster (RADOS) when nodes share a store.
///
/// Synchronous, as the KMS's record code is: records are small and few, every call is one
/// local read or write (LevelDB) or one round trip to the cluster (RADOS).
///
/// The contract:
/// - ``apply(puts:deletes:)`` is atomic and synced: all of it or none, on stable storage
///   when it returns.
/// - ``exclusively(_:)`` runs its body while no other holder of this store's exclusive access
///   runs, **in any process or node that shares the records**: the KMS reads, changes and
///   writes records inside it (creating the `aws/s3` key once, rotating, changing aliases),
///   so two nodes never both apply a change computed from the same old record.
public protocol KMSRecordStore: Sendable {
    /// The record stored under `key`, or nil.
    func get(_ key: [UInt8]) throws(StorageError) -> [UInt8]?

    /// Every record whose key starts with `prefix`, in key order, from `start` (inclusive) if
    /// given.
    func entries(withPrefix prefix: [UInt8], from start: [UInt8]?) throws(StorageError) -> [MetadataEntry]

    /// Puts and deletes, atomically and synced.
    func apply(puts: [MetadataEntry], deletes: [[UInt8]]) throws(StorageError)

    /// Runs `body` with this store's exclusive access (see the protocol's contract).
    func exclusively<R>(_ body: () throws(KMSError) -> R) throws(KMSError) -> R
}

/// ``KMSRecordStore`` on Coffer's LevelDB database (the `k` and `a` keys of
/// docs/storage-layout.md); exclusive access is a lock of this process, which owns the
/// database (LevelDB's own lock file keeps other processes out).
public final class LevelDBKMSRecordStore: KMSRecordStore {
    let db: LevelDB
    private let lock = Mutex(())

    public init(db: LevelDB) { self.db = db }

    public func get(_ key: [UInt8]) throws(StorageError) -> [UInt8]? {
        try db.get(key)
    }

    public func entries(withPrefix prefix: [UInt8], from start: [UInt8]?) throws(StorageError) -> [MetadataEntry] {
        let iterator = db.makeIterator()
        iterator.seek(start ?? prefix)
        var out: [MetadataEntry] = []
        while iterator.isValid(withPrefix: prefix) {
            out.append(MetadataEntry(key: iterator.key, value: iterator.value))
            iterator.next()
        }
        try iterator.checkError()
        return out
    }

    public func apply(puts: [MetadataEntry], deletes: [[UInt8]]) throws(StorageError) {
        let batch = WriteBatch()
        for key in deletes { batch.delete(key) }
        for entry in puts { batch.put(entry.key, entry.value) }
        try db.write(batch, sync: true)
    }

    public func exclusively<R>(_ body: () throws(KMSError) -> R) throws(KMSError) -> R {
        try lock.withLock { _ throws(KMSError) -> R in try body() }
    }
}
