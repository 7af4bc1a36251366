import Synchronization

/// The reference ``MetadataStore``: sorted arrays under one mutex. Every commit checks and
/// writes under the mutex, so conditional commits are trivially atomic; a snapshot is a copy
/// of the arrays (copy-on-write). Durability is ignored: the store lives as long as the
/// process, and "reopening" means building a new ``ObjectStore`` over the same instance.
///
/// Simple on purpose: it defines what the conformance suite expects of every implementation.
public final class MemoryMetadataStore: MetadataStore {
    private let state = Mutex(SortedEntries())

    /// Creates an empty store.
    public init() {}

    public func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
        state.withLock { $0.get(key) }
    }

    public func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
        state.withLock { entries in keys.map { entries.get($0) } }
    }

    public func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        try state.withLock { (entries) throws(StorageError) -> ScanPage in try entries.scan(request) }
    }

    public func snapshot() async throws(StorageError) -> any MetadataReader {
        MemoryMetadataSnapshot(entries: state.withLock { $0 })
    }

    public func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) {
        try state.withLock { (entries) throws(StorageError) in
            for condition in batch.conditions where !entries.holds(condition) {
                throw StorageError.conditionFailed(condition)
            }
            for operation in batch.operations {
                switch operation {
                case .put(let key, let value): entries.put(key, value)
                case .delete(let key): entries.delete(key)
                }
            }
        }
    }
}

/// A read view of a ``MemoryMetadataStore``: a copy of its entries.
struct MemoryMetadataSnapshot: MetadataReader {
    let entries: SortedEntries

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? { entries.get(key) }

    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] { keys.map { entries.get($0) } }

    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage { try entries.scan(request) }
}
