import CofferStorage
import Foundation
import Testing

/// `LevelDB.migrateStore`: a LevelDB store copied into other stores of the boundary serves
/// the same objects, without the blobs nothing references, with its notes re-keyed.
@Suite struct MigrationTests {
    @Test func aMigratedStoreServesTheSameObjects() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await ObjectStore(directory: directory.path)
        try await makeBucket(source)
        // 40 packages: runs of 16, 16 and 8 on the way.
        let bodies: [String: [[UInt8]]] = ["big": (0..<40).map { Array(repeating: UInt8($0), count: 300) }, "small": [[7, 7]], "two": [[1], [2]]]
        for (key, chunks) in bodies { try await putObject(source, key: key, chunks: chunks) }
        try await putObject(source, key: "replaced", chunks: [[9]])
        try await putObject(source, key: "replaced", chunks: [[10]])
        // A blob written but never committed keeps its pending marker: left out.
        _ = try await writeBlob(source, [[42]])
        try await putObject(source, key: "noted", chunks: [[3]])
        var batch = MetadataBatch()
        batch.put(Array("rn2".utf8), [1, 2, 3]) // a note left by a crash (`r id`)
        try await source.metadata.commit(batch, durability: .synced)
        let db = try #require(source.db)

        let metadata = MemoryMetadataStore(), blobs = MemoryBlobStore()
        let counts = try await LevelDB.migrateStore(from: db.snapshot(), into: metadata, blobs: blobs, node: "node-a")
        #expect(counts.blobsLeftOut == 1)
        #expect(counts.chunks == 40 + 1 + 2 + 1 + 1)
        #expect(counts.records["objects"] == 5 && counts.records["buckets"] == 1 && counts.records["auditNotes"] == 1)

        var options = ObjectStore.Options()
        options.node = "node-a"
        let target = try await ObjectStore(metadata: metadata, blobs: blobs, options: options)
        for (key, chunks) in bodies.merging(["replaced": [[10]], "noted": [[3]]], uniquingKeysWith: { $1 }) {
            let reader = try #require(try await target.openObject(bucket: "bucket", key: key))
            #expect(try await readBody(reader).flatMap { $0 } == chunks.flatMap { $0 }, "\(key)")
        }
        #expect(try await target.notes().map(\.id) == ["n2"])
        #expect(try await blobs.packageCount() == 45)
    }
}
