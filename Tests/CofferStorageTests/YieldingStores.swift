import CofferStorage
import Synchronization

/// Test decorators that yield (zero to four times, at random) before every call to the store
/// they wrap. The memory stores never suspend, so without them concurrent ObjectStore
/// operations over memory would rarely interleave between their reads and their commits;
/// with them, the race tests exercise the optimistic retries on the memory backend as much
/// as on LevelDB. Correct code passes whatever the interleaving.
func yieldSome() async {
    for _ in 0..<Int.random(in: 0...4) { await Task.yield() }
}

struct YieldingMetadataStore: MetadataStore {
    let base: any MetadataStore

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
        await yieldSome()
        return try await base.get(key)
    }

    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
        await yieldSome()
        return try await base.get(keys: keys)
    }

    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        await yieldSome()
        return try await base.scan(request)
    }

    func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) {
        await yieldSome()
        try await base.commit(batch, durability: durability)
    }

    func commit(_ batch: MetadataBatch, durability: Durability, fulfilling announcements: [CommitAnnouncement]) async throws(StorageError) {
        await yieldSome()
        try await base.commit(batch, durability: durability, fulfilling: announcements)
    }

    func announceCommit() -> CommitAnnouncement {
        base.announceCommit()
    }

    func snapshot() async throws(StorageError) -> any MetadataReader {
        await yieldSome()
        return try await base.snapshot()
    }
}

struct YieldingBlobStore: BlobStore {
    let base: any BlobStore

    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        await yieldSome()
        return try await base.read(blob, packages: packages)
    }

    func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError) {
        await yieldSome()
        try await base.write(blob, packages: packages, startingAt: first, durability: durability)
    }

    func delete(_ blob: BlobID) async throws(StorageError) {
        await yieldSome()
        try await base.delete(blob)
    }

    func readView() async throws(StorageError) -> any BlobReader {
        await yieldSome()
        return try await base.readView()
    }

    func packageCount() async throws(StorageError) -> Int {
        try await base.packageCount()
    }
}

/// A blob store that counts the reads made through it and its read views.
final class CountingBlobStore: BlobStore, @unchecked Sendable {
    let base: any BlobStore
    private let counts = Mutex((reads: 0, packages: 0))

    init(base: any BlobStore) { self.base = base }

    var reads: Int { counts.withLock { $0.reads } }
    var packagesRead: Int { counts.withLock { $0.packages } }
    func reset() { counts.withLock { $0 = (0, 0) } }

    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        let result = try await base.read(blob, packages: packages)
        counts.withLock { $0 = ($0.reads + 1, $0.packages + result.count) }
        return result
    }

    func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError) {
        try await base.write(blob, packages: packages, startingAt: first, durability: durability)
    }

    func delete(_ blob: BlobID) async throws(StorageError) { try await base.delete(blob) }

    func readView() async throws(StorageError) -> any BlobReader {
        CountingView(base: try await base.readView(), store: self)
    }

    func packageCount() async throws(StorageError) -> Int { try await base.packageCount() }

    struct CountingView: BlobReader {
        let base: any BlobReader
        let store: CountingBlobStore

        func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
            let result = try await base.read(blob, packages: packages)
            store.counts.withLock { $0 = ($0.reads + 1, $0.packages + result.count) }
            return result
        }
    }
}
