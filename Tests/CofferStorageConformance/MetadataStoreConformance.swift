import CofferStorage
import Testing

/// The contract of ``MetadataStore`` (see its documentation) as checks any implementation's
/// test target runs against its stores: `@Test(arguments: MetadataStoreConformance.checks)`,
/// each check on a fresh, empty store. The one copy of the suite (CofferStorageTests runs it
/// on LevelDB and memory, CofferStorageRadosTests on RADOS).
public enum MetadataStoreConformance {
    /// One check of the contract, run on an empty store.
    public struct Check: Sendable, CustomTestStringConvertible {
        public let name: String
        public let run: @Sendable (any MetadataStore) async throws -> Void

        public var testDescription: String { name }
    }

    /// Every check, the paging one once per page size.
    public static let checks: [Check] = [
        Check(name: "getsAndBatchedGets", run: getsAndBatchedGets),
        Check(name: "commitsAreAtomic", run: commitsAreAtomic),
        Check(name: "eachConditionKind", run: eachConditionKind),
        Check(name: "scansAreOrderedBytewise", run: scansAreOrderedBytewise),
    ] + [1, 2, 3, 7, 25, 26].map { limit in
        Check(name: "pagingWithContinuations(limit: \(limit))") { try await pagingWithContinuations($0, limit) }
    } + [
        Check(name: "snapshotsAreIsolatedFromLaterWrites", run: snapshotsAreIsolatedFromLaterWrites),
    ]

    static func put(_ store: any MetadataStore, _ pairs: [(String, String)]) async throws {
        var batch = MetadataBatch()
        for (key, value) in pairs { batch.put(bytes(key), bytes(value)) }
        try await store.commit(batch, durability: .synced)
    }

    static func keys(_ page: ScanPage) -> [String] { page.entries.map { String(decoding: $0.key, as: UTF8.self) } }

    static func getsAndBatchedGets(_ store: any MetadataStore) async throws {
        try await put(store, [("a", "1"), ("b", ""), ("c", "3")])
        #expect(try await store.get(bytes("a")) == bytes("1"))
        #expect(try await store.get(bytes("b")) == [])
        #expect(try await store.get(bytes("zz")) == nil)
        #expect(try await store.get(keys: [bytes("c"), bytes("x"), bytes("a"), bytes("c")]) == [bytes("3"), nil, bytes("1"), bytes("3")])
        #expect(try await store.get(keys: []) == [])
    }

    /// All or nothing: a batch applies every write in order (the later write to a key wins);
    /// a batch with one failed condition writes nothing and names the failed key.
    static func commitsAreAtomic(_ store: any MetadataStore) async throws {
        try await put(store, [("keep", "old"), ("gone", "x")])
        var batch = MetadataBatch()
        batch.put(bytes("new"), bytes("1"))
        batch.put(bytes("new"), bytes("2"))
        batch.delete(bytes("gone"))
        batch.put(bytes("keep"), bytes("changed"))
        batch.require(.absent(bytes("new")))
        batch.require(.present(bytes("keep")))
        batch.require(.equals(bytes("gone"), bytes("x")))
        batch.require(.absent(bytes("elsewhere")))
        batch.require(.keyCount(prefix: bytes("k"), count: 1))
        var failing = batch
        failing.require(.equals(bytes("keep"), bytes("not what is stored")))
        let error = await #expect(throws: StorageError.self) { try await store.commit(failing, durability: .synced) }
        #expect(error?.code == .conditionFailed)
        #expect(error?.key == bytes("keep"))
        #expect(error?.message.contains("keep") == true)
        #expect(error?.message.contains("old") == false && error?.message.contains("not what is stored") == false)
        #expect(try await store.get(keys: [bytes("new"), bytes("gone"), bytes("keep")]) == [nil, bytes("x"), bytes("old")])

        try await store.commit(batch, durability: .synced)
        #expect(try await store.get(keys: [bytes("new"), bytes("gone"), bytes("keep")]) == [bytes("2"), nil, bytes("changed")])
    }

    static func eachConditionKind(_ store: any MetadataStore) async throws {
        try await put(store, [("p/1", "a"), ("p/2", "b"), ("q", "c")])
        let cases: [(MetadataCondition, Bool)] = [
            (.absent(bytes("q")), false), (.absent(bytes("p")), true),
            (.present(bytes("q")), true), (.present(bytes("p/3")), false),
            (.equals(bytes("q"), bytes("c")), true), (.equals(bytes("q"), bytes("c2")), false),
            (.equals(bytes("none"), []), false),
            (.keyCount(prefix: bytes("p/"), count: 2), true), (.keyCount(prefix: bytes("p/"), count: 1), false),
            (.keyCount(prefix: bytes("p/"), count: 3), false), (.noKeys(withPrefix: bytes("r")), true),
            (.noKeys(withPrefix: bytes("p")), false), (.keyCount(prefix: [], count: 3), true),
        ]
        for (condition, holds) in cases {
            var batch = MetadataBatch()
            batch.require(condition)
            batch.put(bytes("marker"), bytes("\(condition)"))
            let code = await errorCode { try await store.commit(batch, durability: .buffered) }
            #expect(code == (holds ? nil : .conditionFailed), "\(condition)")
            #expect(try await store.get(bytes("marker")) == (holds ? bytes("\(condition)") : nil), "\(condition)")
            var cleanup = MetadataBatch()
            cleanup.delete(bytes("marker"))
            try await store.commit(cleanup, durability: .buffered)
        }
    }

    /// Scans return keys in bytewise order (0x00 first, 0xFF last, a key before its
    /// extensions), only under the prefix, from where they are told to start.
    static func scansAreOrderedBytewise(_ store: any MetadataStore) async throws {
        let raw: [[UInt8]] = [[0x70, 0xFF], [0x70], [0x70, 0x00], [0x70, 0x61, 0x62], [0x70, 0x61], [0x71], [0x6F, 0xFF], [0x70, 0x7F, 0x00], [0x70, 0x80]]
        var batch = MetadataBatch()
        for key in raw { batch.put(key, key) }
        try await store.commit(batch, durability: .synced)
        let all = try await store.scan(ScanRequest(prefix: []))
        #expect(all.entries.map(\.key) == raw.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(all.entries.allSatisfy { $0.key == $0.value })
        #expect(!all.hasMore)
        let p = try await store.scan(ScanRequest(prefix: [0x70]))
        #expect(p.entries.map(\.key) == [[0x70], [0x70, 0x00], [0x70, 0x61], [0x70, 0x61, 0x62], [0x70, 0x7F, 0x00], [0x70, 0x80], [0x70, 0xFF]])
        #expect(try await store.scan(ScanRequest(prefix: [0x70], start: .at([0x70, 0x61]))).entries.first?.key == [0x70, 0x61])
        #expect(try await store.scan(ScanRequest(prefix: [0x70], start: .after([0x70, 0x61]))).entries.first?.key == [0x70, 0x61, 0x62])
        #expect(try await store.scan(ScanRequest(prefix: [0x70], start: .at([0x10]))).entries.count == 7)
        #expect(try await store.scan(ScanRequest(prefix: [0x70], start: .after([0x70, 0xFF]))).entries.isEmpty)
        #expect(try await store.scan(ScanRequest(prefix: [0x72])).entries.isEmpty)
        #expect(await errorCode { _ = try await store.scan(ScanRequest(prefix: [], limit: 0)) } == .invalidArgument)
    }

    /// Paging with continuations visits every key once, in order, whatever the page size;
    /// `hasMore` is false exactly on the last page.
    static func pagingWithContinuations(_ store: any MetadataStore, _ limit: Int) async throws {
        let names = (0..<25).map { "item/\(Character(Unicode.Scalar(97 + $0)!))" }
        try await put(store, names.map { ($0, $0) } + [("itel", "-"), ("iten", "-")])
        var request: ScanRequest? = ScanRequest(prefix: bytes("item/"), limit: limit)
        var seen: [String] = []
        var pages = 0
        while let current = request {
            let page = try await store.scan(current)
            #expect(page.entries.count <= limit)
            seen += keys(page)
            pages += 1
            request = page.continuation(of: current)
            #expect(page.hasMore == (request != nil))
        }
        #expect(seen == names)
        #expect(pages == (names.count + limit - 1) / limit)
    }

    /// A snapshot answers as of the moment it was taken: before any commit, every read of it
    /// answers; after later puts, overwrites and deletes, a pinning store (``SnapshotIsolation``
    /// `.pinned`) still answers the old state while a validating one refuses every read with
    /// `.snapshotExpired`; neither ever answers the new state. The live store sees it.
    static func snapshotsAreIsolatedFromLaterWrites(_ store: any MetadataStore) async throws {
        try await put(store, [("s/1", "a"), ("s/2", "b"), ("s/3", "c")])
        let quiet = try await store.snapshot()
        #expect(try await quiet.get(bytes("s/2")) == bytes("b"))
        #expect(keys(try await quiet.scan(ScanRequest(prefix: bytes("s/")))) == ["s/1", "s/2", "s/3"])
        let snapshot = try await store.snapshot()
        var batch = MetadataBatch()
        batch.put(bytes("s/2"), bytes("B"))
        batch.delete(bytes("s/3"))
        batch.put(bytes("s/0"), bytes("new"))
        try await store.commit(batch, durability: .synced)
        /// The read's answer, or nil when a validating store refused it as it must.
        func answer<T>(_ read: () async throws -> T) async throws -> T? {
            do {
                let value = try await read()
                #expect(store.isolation == .pinned, "a validating store answered a snapshot read after a commit")
                return value
            } catch let error as StorageError where error.code == .snapshotExpired {
                #expect(store.isolation == .validated, "a pinning store expired a snapshot")
                return nil
            }
        }
        if let value = try await answer({ try await snapshot.get(bytes("s/2")) }) { #expect(value == bytes("b")) }
        if let value = try await answer({ try await snapshot.get(bytes("s/0")) }) { #expect(value == nil) }
        if let values = try await answer({ try await snapshot.get(keys: [bytes("s/3"), bytes("s/2")]) }) {
            #expect(values == [bytes("c"), bytes("b")])
        }
        if let old = try await answer({ try await snapshot.scan(ScanRequest(prefix: bytes("s/"), limit: 2)) }) {
            #expect(keys(old) == ["s/1", "s/2"] && old.hasMore)
            let rest = try await snapshot.scan(try #require(old.continuation(of: ScanRequest(prefix: bytes("s/"), limit: 2))))
            #expect(keys(rest) == ["s/3"] && !rest.hasMore)
        }
        #expect(keys(try await store.scan(ScanRequest(prefix: bytes("s/")))) == ["s/0", "s/1", "s/2"])
    }

    /// A commit conditional on a prefix being empty races with commits into the prefix that
    /// are conditional on a key the first one deletes: never do both succeed (no write skew).
    public static func prefixConditionsSerializeWithWritesIntoThePrefix(_ store: any MetadataStore, rounds: Int) async throws {
        for round in 0..<rounds {
            let owner = bytes("owner/\(round)"), prefix = bytes("items/\(round)/")
            try await store.commit({ var b = MetadataBatch(); b.put(owner, [1]); return b }(), durability: .synced)
            async let inserted = errorCode {
                var batch = MetadataBatch()
                batch.require(.present(owner))
                batch.put(prefix + [1], [1])
                try await store.commit(batch, durability: .synced)
            }
            async let removed = errorCode {
                var batch = MetadataBatch()
                batch.require(.noKeys(withPrefix: prefix))
                batch.delete(owner)
                try await store.commit(batch, durability: .synced)
            }
            let (insert, remove) = await (inserted, removed)
            #expect((insert == nil) != (remove == nil), "round \(round)")
            let ownerExists = try await store.get(owner) != nil
            let itemExists = try await store.get(prefix + [1]) != nil
            #expect(ownerExists == itemExists)
        }
    }
}
