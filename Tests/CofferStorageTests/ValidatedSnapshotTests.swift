import CofferStorage
import Foundation
import Synchronization
import Testing

/// A metadata store that validates its snapshots as RADOS does: a snapshot refuses every read
/// once any commit has landed since it was taken.
final class ValidatingMetadataStore: MetadataStore {
    let base = MemoryMetadataStore()
    let generation = Atomic<Int>(0)
    let snapshotsTaken = Atomic<Int>(0)

    var isolation: SnapshotIsolation { .validated }

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? { try await base.get(key) }
    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] { try await base.get(keys: keys) }
    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage { try await base.scan(request) }

    func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) {
        try await base.commit(batch, durability: durability)
        generation.add(1, ordering: .sequentiallyConsistent)
    }

    func snapshot() async throws(StorageError) -> any MetadataReader {
        snapshotsTaken.add(1, ordering: .relaxed)
        return View(store: self, taken: generation.load(ordering: .sequentiallyConsistent))
    }

    struct View: MetadataReader {
        let store: ValidatingMetadataStore
        let taken: Int

        func check() throws(StorageError) {
            guard store.generation.load(ordering: .sequentiallyConsistent) == taken else { throw StorageError(.snapshotExpired, "moved") }
        }

        func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? {
            await Task.yield()
            try check()
            return try await store.base.get(key)
        }

        func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] {
            await Task.yield()
            try check()
            return try await store.base.get(keys: keys)
        }

        func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
            await Task.yield()
            try check()
            return try await store.base.scan(request)
        }
    }
}

/// Under a steady stream of commits (other nodes writing), listings still answer (after a few
/// expired snapshots, from the live store) and optimistic operations such as multipart
/// completion read the live store and succeed.
@Suite struct ValidatedSnapshotTests {
    @Test func listingsAndCompletionsProgressUnderConstantCommits() async throws {
        let metadata = ValidatingMetadataStore()
        let store = try await ObjectStore(metadata: metadata, blobs: MemoryBlobStore())
        try await makeBucket(store)
        for index in 0..<5 { try await putObject(store, key: "k\(index)") }
        try await store.createUpload(UploadRecord(bucket: "bucket", key: "big", uploadId: "u1", initiated: fixedDate, owner: "alice"))
        let blob = try await writeBlob(store, [[7, 7]])
        try await store.commitPart(PartRecord(uploadId: "u1", number: 1, size: blob.size, etag: "p1", lastModified: fixedDate, blob: blob))

        // Quiet: one snapshot answers.
        #expect(try await store.listObjects(bucket: "bucket").objects.map(\.key) == (0..<5).map { "k\($0)" })
        let quiet = metadata.snapshotsTaken.load(ordering: .relaxed)

        // Another writer commits without pause.
        let writer = Task {
            var index = 0
            while !Task.isCancelled {
                var batch = MetadataBatch()
                batch.put(Array("zz-noise-\(index % 8)".utf8), [1])
                try await metadata.commit(batch, durability: .buffered)
                index += 1
                await Task.yield()
            }
        }
        defer { writer.cancel() }
        let listed = try await store.listObjects(bucket: "bucket")
        #expect(listed.objects.map(\.key) == (0..<5).map { "k\($0)" })
        #expect(metadata.snapshotsTaken.load(ordering: .relaxed) - quiet <= ObjectStore.Options().snapshotAttempts)
        let object = objectRecord(key: "big", segments: [blob])
        var withNonce = object
        withNonce.versionNonce = try #require(try await store.upload(id: "u1")).versionNonce
        try await store.completeUpload(uploadId: "u1", object: withNonce, usedParts: [1])
        let reader = try #require(try await store.openObject(bucket: "bucket", key: "big"))
        #expect(try await readBody(reader) == [[7, 7]])
    }
}
