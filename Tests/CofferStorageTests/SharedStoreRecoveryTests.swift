import CofferStorage
import Testing

/// Nodes sharing one store: a node that starts collects what its own interrupted run left,
/// never another node's writes in flight.
@Suite struct SharedStoreRecoveryTests {
    func open(_ stores: (MemoryMetadataStore, MemoryBlobStore), node: String) async throws -> ObjectStore {
        var options = ObjectStore.Options()
        options.node = node
        return try await ObjectStore(metadata: stores.0, blobs: stores.1, options: options)
    }

    @Test func aStartingNodeLeavesOtherNodesPendingBlobs() async throws {
        let stores = (MemoryMetadataStore(), MemoryBlobStore())
        let a = try await open(stores, node: "a")
        try await makeBucket(a)
        // Node a is writing (its blob pending) when node b starts.
        let inFlight = try await writeBlob(a, [[1, 2, 3]])
        let b = try await open(stores, node: "b")
        #expect(b.recoveredBlobCount == 0)
        #expect(try await b.pendingBlobCount() == 1)
        // a's commit still finds its blob pending and lands; b reads it.
        try await a.commitObject(objectRecord(key: "k", segments: [inFlight]))
        let reader = try #require(try await b.openObject(bucket: "bucket", key: "k"))
        #expect(try await readBody(reader) == [[1, 2, 3]])
        // a crashes with another blob pending: b's restart leaves it, a's restart collects it.
        _ = try await writeBlob(a, [[4]])
        #expect(try await open(stores, node: "b").recoveredBlobCount == 0)
        let restarted = try await open(stores, node: "a")
        #expect(restarted.recoveredBlobCount == 1)
        #expect(try await restarted.pendingBlobCount() == 0)
        #expect(try await stores.1.packageCount() == 1)
    }

    @Test func garbageIsCollectedByAnyNode() async throws {
        let stores = (MemoryMetadataStore(), MemoryBlobStore())
        let a = try await open(stores, node: "a")
        try await makeBucket(a)
        let blob = try await writeBlob(a, [[9]])
        var batch = MetadataBatch()
        batch.put([UInt8(ascii: "g")] + blob.id.bytes, [2]) // garbage left by an interrupted reclamation
        try await stores.0.commit(batch, durability: .synced)
        #expect(try await open(stores, node: "b").recoveredBlobCount == 1)
        #expect(try await stores.1.packageCount() == 0)
    }

    @Test func notesAreTheNodesOwn() async throws {
        let stores = (MemoryMetadataStore(), MemoryBlobStore())
        var batch = MetadataBatch()
        batch.put(Array("ra/1".utf8), [1])
        batch.put(Array("rb/2".utf8), [2])
        batch.put(Array("rab/3".utf8), [3])
        try await stores.0.commit(batch, durability: .synced)
        #expect(try await open(stores, node: "a").notes().map(\.id) == ["1"])
        #expect(try await open(stores, node: "b").notes().map(\.id) == ["2"])
        #expect(try await open(stores, node: "ab").notes().map(\.id) == ["3"])
    }
}
