import CofferRados
import CofferStorage

/// ``MetadataStore`` in the omap of one RADOS index object (docs/scale-out.md): the whole key
/// space of one store, keys escaped and values tagged as ``OmapKeys`` says.
///
/// - **Generation.** Every commit sets the omap key ``OmapKeys/generation`` to a fresh random
///   value in its own atomic write operation, so the generation changes exactly when the
///   store's content may have changed, whichever node committed.
/// - **Key conditions** (`absent`, `present`, `equals`) are `omap_cmp` guards of the commit's
///   write operation, in the batch's order: the OSD checks them atomically with the write; the
///   index of the failed guard names the failed condition. One round trip.
/// - **`keyCount` conditions** are evaluated by reading: the values of the batch's key
///   conditions and the generation `g` in one read operation, then the counted prefixes page
///   by page, every page guarded by `omap_cmp(generation, EQ, g)`. If a condition fails, it
///   failed in the state of generation `g` (a true answer, reported in batch order). If all
///   hold, the write operation is guarded by `omap_cmp(generation, EQ, g)` instead of the key
///   guards: a commit that landed since makes it fail (ECANCELED) and the commit starts again.
/// - **Reads.** `get(keys:)` is one read operation (as of one moment). `scan` pages with
///   `omap_get_vals2` (at most 1024 entries per request), asking for one entry past the limit
///   to know whether more follow.
/// - **Snapshots** are validated, not pinned (``isolation`` is `.validated`): a snapshot
///   remembers the generation it was taken at and guards every read with
///   `omap_cmp(generation, EQ, g)`, so it answers exactly as of that moment or, once any
///   commit has landed, throws `.snapshotExpired` (``ObjectStore`` takes a new one). O(1) to
///   take, no copy; under constant commits a long scan restarts (see docs/scale-out.md).
/// - **Durability.** A librados write completes once committed on every replica: `.synced`
///   and `.buffered` are the same.
public final class RadosMetadataStore: MetadataStore {
    /// The pool's I/O context.
    public let io: IOContext
    /// The index object holding the store.
    public let object: String
    /// Commits with `keyCount` conditions and snapshots restart at most this often when other
    /// commits keep landing.
    public let maxAttempts: Int

    /// The OSD's cap on entries per omap read (`osd_max_omap_entries_per_request`).
    static let pageCap = 1024

    private init(io: IOContext, object: String, maxAttempts: Int) {
        self.io = io
        self.object = object
        self.maxAttempts = maxAttempts
    }

    /// Opens the store in `object` of `io`'s pool, creating the (empty) index object if it does
    /// not exist.
    public static func open(io: IOContext, object: String, maxAttempts: Int = 64) async throws(StorageError) -> RadosMetadataStore {
        var create = WriteOperation()
        create.create(exclusive: false)
        try await rados { () throws(RadosError) in try await io.operate(create, on: object) }
        return RadosMetadataStore(io: io, object: object, maxAttempts: maxAttempts)
    }

    // MARK: Reads

    public func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
        try await get(keys: [key])[0]
    }

    public func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        let (values, _) = try await read(keys, generation: false)
        return values
    }

    public func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        try await scan(request, at: nil)
    }

    /// A view validated by the generation: see ``RadosMetadataSnapshot``.
    public func snapshot() async throws(StorageError) -> any MetadataReader {
        let (_, generation) = try await read([], generation: true)
        return RadosMetadataSnapshot(store: self, generation: generation)
    }

    public var isolation: SnapshotIsolation { .validated }

    /// The values under `keys` and (with `generation`) the generation, in one read operation;
    /// with `requiring`, only while the generation is that one (else `.conditionFailed` on the
    /// generation key).
    func read(_ keys: [[UInt8]], generation: Bool, requiring expected: [UInt8]? = nil) async throws(StorageError) -> ([[UInt8]?], [UInt8]) {
        let omapKeys = keys.map(OmapKeys.escape) + (generation ? [OmapKeys.generation] : [])
        let io = self.io, object = self.object
        let guards = expected.map { [OmapGuard(key: OmapKeys.generation, .equal, $0)] } ?? []
        let stored: [[UInt8]: [UInt8]]
        do {
            stored = try await io.omapValues(object, keys: omapKeys, requiring: guards)
        } catch where error.kind == .notFound {
            stored = [:]
        } catch where error.kind == .guardFailed {
            throw StorageError.conditionFailed(.equals(OmapKeys.generation, expected ?? []))
        } catch {
            throw StorageError(.io, "\(error)")
        }
        var values: [[UInt8]?] = []
        values.reserveCapacity(keys.count)
        for (key, omapKey) in zip(keys, omapKeys) {
            values.append(try stored[omapKey].map { (value) throws(StorageError) in try OmapKeys.decodeValue(value, key: key) })
        }
        return (values, stored[OmapKeys.generation] ?? [])
    }

    /// One page of `request`; with `generation`, every omap read is guarded by it and a commit
    /// landing since throws `.conditionFailed` (on the generation key).
    func scan(_ request: ScanRequest, at generation: [UInt8]?) async throws(StorageError) -> ScanPage {
        guard request.limit > 0 else { throw StorageError(.invalidArgument, "scan limit \(request.limit) is not positive") }
        let prefix = OmapKeys.escape(request.prefix)
        // Entries before `lowest` (escaped) are dropped: see OmapKeys.startAfter.
        var lowest: [UInt8]? = nil
        var after: [UInt8]
        switch request.start {
        case .first:
            after = []
        case .after(let key):
            after = OmapKeys.escape(key)
        case .at(let key):
            if key.lexicographicallyPrecedes(request.prefix) || key == request.prefix {
                after = []
            } else {
                let escaped = OmapKeys.escape(key)
                lowest = escaped
                after = OmapKeys.startAfter(atOrAfter: escaped)
            }
        }
        let guards = generation.map { [OmapGuard(key: OmapKeys.generation, .equal, $0)] } ?? []
        var entries: [MetadataEntry] = []
        let wanted = request.limit + 1
        while entries.count < wanted {
            let page: OmapPage
            do {
                page = try await io.omapPage(object, prefix: prefix, after: after, max: min(wanted - entries.count, Self.pageCap), requiring: guards)
            } catch where error.kind == .notFound {
                break
            } catch where error.kind == .guardFailed {
                throw StorageError.conditionFailed(.equals(OmapKeys.generation, generation ?? []))
            } catch {
                throw StorageError(.io, "\(error)")
            }
            for entry in page.entries where !OmapKeys.isInternal(entry.key) {
                if let lowest, entry.key.lexicographicallyPrecedes(lowest) { continue }
                guard let key = OmapKeys.unescape(entry.key) else {
                    throw StorageError(.corruption, "omap key \(StorageError.printable(entry.key)) of \(object) is not escaped")
                }
                entries.append(MetadataEntry(key: key, value: try OmapKeys.decodeValue(entry.value, key: key)))
            }
            guard page.more, let last = page.entries.last else { break }
            after = last.key
        }
        let hasMore = entries.count > request.limit
        if hasMore { entries.removeLast(entries.count - request.limit) }
        return ScanPage(entries: entries, hasMore: hasMore)
    }

    // MARK: Commits

    public func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        let counts = batch.conditions.contains { if case .keyCount = $0 { true } else { false } }
        guard counts else {
            var operation = WriteOperation()
            for condition in batch.conditions { operation.guardCondition(condition) }
            operation.apply(batch)
            try await write(operation, conditions: batch.conditions)
            return
        }
        for _ in 0..<maxAttempts {
            do {
                let generation = try await check(batch.conditions)
                var operation = WriteOperation()
                operation.compare(key: OmapKeys.generation, .equal, generation)
                operation.apply(batch)
                try await write(operation, conditions: [.equals(OmapKeys.generation, generation)])
                return
            } catch let error where error.code == .conditionFailed && error.key == OmapKeys.generation {
                // Another commit landed between the check and the write: check again.
                continue
            }
        }
        throw StorageError(.io, "commit to \(object): commits kept landing during \(maxAttempts) checks of its key counts")
    }

    /// Evaluates `conditions` in the state of one generation (returned), throwing
    /// `.conditionFailed` for the first that does not hold in it.
    private func check(_ conditions: [MetadataCondition]) async throws(StorageError) -> [UInt8] {
        let keyed = conditions.filter { if case .keyCount = $0 { false } else { true } }
        let (values, generation) = try await read(keyed.map(\.key), generation: true)
        var current: [[UInt8]: [UInt8]?] = [:]
        for (condition, value) in zip(keyed, values) { current[condition.key] = .some(value) }
        for condition in conditions {
            let holds: Bool
            if case .keyCount(let prefix, let expected) = condition {
                guard expected >= 0 else { throw StorageError.conditionFailed(condition) }
                let page = try await scan(ScanRequest(prefix: prefix, limit: expected + 1), at: generation)
                holds = page.entries.count == expected
            } else {
                holds = condition.holds(for: current[condition.key] ?? nil)
            }
            if !holds { throw StorageError.conditionFailed(condition) }
        }
        return generation
    }

    /// Applies `operation`, whose i-th guard checks `conditions[i]`.
    private func write(_ operation: WriteOperation, conditions: [MetadataCondition]) async throws(StorageError) {
        do {
            try await io.operate(operation, on: object)
        } catch where error.kind == .guardFailed {
            let index = error.failedGuard ?? 0
            throw StorageError.conditionFailed(conditions.indices.contains(index) ? conditions[index] : conditions[0])
        } catch {
            throw StorageError(.io, "\(error)")
        }
    }
}

extension WriteOperation {
    /// The guard of a key condition (`keyCount` has none).
    mutating func guardCondition(_ condition: MetadataCondition) {
        switch condition {
        case .absent(let key): compare(key: OmapKeys.escape(key), .equal, [])
        case .present(let key): compare(key: OmapKeys.escape(key), .greater, [])
        case .equals(let key, let value): compare(key: OmapKeys.escape(key), .equal, OmapKeys.encodeValue(value))
        case .keyCount: break
        }
    }

    /// The batch's writes (the last one per key wins) and a fresh generation.
    mutating func apply(_ batch: MetadataBatch) {
        var final: [[UInt8]: [UInt8]?] = [:]
        for operation in batch.operations {
            switch operation {
            case .put(let key, let value): final[key] = .some(value)
            case .delete(let key): final[key] = .some(nil)
            }
        }
        let puts = final.compactMap { key, value in value.map { (key: OmapKeys.escape(key), value: OmapKeys.encodeValue($0)) } }
        let deletes = final.compactMap { key, value in value == nil ? OmapKeys.escape(key) : nil }
        if !deletes.isEmpty { remove(keys: deletes) }
        var generation = [UInt8](repeating: 0, count: 16)
        var random = SystemRandomNumberGenerator()
        for index in generation.indices { generation[index] = random.next() }
        set(puts + [(key: OmapKeys.generation, value: generation)])
    }
}

/// Runs a librados call, its errors as `.io`.
func rados<T>(_ body: () async throws(RadosError) -> T) async throws(StorageError) -> T {
    do {
        return try await body()
    } catch {
        throw StorageError(.io, "\(error)")
    }
}

/// A read view of a ``RadosMetadataStore`` as of one generation: each read carries the guard
/// `omap_cmp(generation, EQ, g)`, checked by the OSD atomically with the read, and throws
/// `.snapshotExpired` once a commit has moved the generation. An index object that does not
/// exist yet reads as empty (a commit creates it, and the view then expires).
struct RadosMetadataSnapshot: MetadataReader {
    let store: RadosMetadataStore
    let generation: [UInt8]

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
        try await get(keys: [key])[0]
    }

    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        return try await expiring { () throws(StorageError) in try await store.read(keys, generation: false, requiring: generation).0 }
    }

    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        try await expiring { () throws(StorageError) in try await store.scan(request, at: generation) }
    }

    /// `read`, its failed generation guard as `.snapshotExpired`.
    private func expiring<T>(_ read: () async throws(StorageError) -> T) async throws(StorageError) -> T {
        do {
            return try await read()
        } catch where error.code == .conditionFailed && error.key == OmapKeys.generation {
            throw StorageError(.snapshotExpired, "a commit to \(store.object) landed after the snapshot was taken")
        }
    }
}
