@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Synchronization
import Testing

/// Tag changes (`ObjectStore+Tags.swift`): the record alone is rewritten, conditionally on the
/// bytes read, so a concurrent write is never undone and no blob is touched.
@Suite struct TagUpdateTests {
    static let tags = [StoredTag(key: "project", value: "alpha"), StoredTag(key: "empty", value: "")]

    @Test(arguments: Backend.allCases) func replacingTagsRewritesOnlyTheTags(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let original = try await putObject(store, key: "k", chunks: chunks(3, of: 7))
            let tagged = try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: Self.tags)
            var expected = original
            expected.tags = Self.tags
            #expect(tagged == expected)
            #expect(try await store.object(bucket: "bucket", key: "k") == expected)
            // The body is the same blob, still whole.
            #expect(try await store.chunkCount() == 3)
            #expect(try await store.garbageBlobCount() == 0)
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
            #expect(reader.record.segments == original.segments)

            // An empty set and nil both remove the tags, leaving the record as it was.
            #expect(try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: []).tags == nil)
            _ = try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: Self.tags)
            #expect(try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: nil) == original)
            #expect(try await store.chunkCount() == 3)
        }
    }

    @Test(arguments: Backend.allCases) func missingObjectsAndBucketsChangeNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let note = CommitNote(id: "note-1", bytes: Array("record".utf8))
            #expect(await errorCode { _ = try await store.replaceObjectTags(bucket: "bucket", key: "absent", tags: Self.tags, note: note) } == .notFound)
            #expect(await errorCode { _ = try await store.replaceObjectTags(bucket: "gone", key: "k", tags: Self.tags, note: note) } == .noSuchBucket)
            #expect(try await store.notes().isEmpty, "a tag change that did not commit leaves no note")
            #expect(try await store.object(bucket: "bucket", key: "absent") == nil)
        }
    }

    @Test(arguments: Backend.allCases) func theNoteCommitsWithTheTags(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await putObject(store, key: "k")
            let note = CommitNote(id: "note-2", bytes: Array("PutObjectTagging".utf8))
            try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: Self.tags, note: note)
            #expect(try await store.notes() == [note])
        }
    }

    /// A writer elsewhere replaces the object between the tag change's read and its commit: the
    /// commit fails its condition, reads the new record and tags that one (the overwrite stays).
    @Test func aConcurrentOverwriteIsNeverUndone() async throws {
        let metadata = InterferingMetadataStore(base: MemoryMetadataStore())
        let store = try await ObjectStore(metadata: metadata, blobs: MemoryBlobStore())
        try await makeBucket(store)
        let original = try await putObject(store, key: "k", chunks: chunks(1, of: 1), etag: "first")
        var overwrite = original
        overwrite.etag = "second"
        metadata.interfere(onCommitTo: KeyLayout.object(bucket: "bucket", key: "k"), put: try overwrite.encoded())
        let tagged = try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: Self.tags)
        #expect(metadata.interfered)
        #expect(tagged.etag == "second")
        #expect(try await store.object(bucket: "bucket", key: "k")?.etag == "second")
        #expect(try await store.object(bucket: "bucket", key: "k")?.tags == Self.tags)
    }

    /// The same for buckets: a policy set between the tag change's read and its commit stays.
    @Test func aConcurrentBucketChangeIsNeverUndone() async throws {
        let metadata = InterferingMetadataStore(base: MemoryMetadataStore())
        let store = try await ObjectStore(metadata: metadata, blobs: MemoryBlobStore())
        try await makeBucket(store)
        var withPolicy = try #require(try await store.bucket(named: "bucket"))
        withPolicy.policy = #"{"Version":"2012-10-17","Statement":[]}"#
        metadata.interfere(onCommitTo: KeyLayout.bucket("bucket"), put: try withPolicy.encoded())
        let updated = try await store.updateBucket(named: "bucket") { $0.tags = Self.tags }
        #expect(metadata.interfered)
        #expect(updated.policy == withPolicy.policy)
        let stored = try #require(try await store.bucket(named: "bucket"))
        #expect(stored.policy == withPolicy.policy)
        #expect(stored.tags == Self.tags)
        #expect(await errorCode { _ = try await store.updateBucket(named: "gone") { $0.tags = Self.tags } } == .noSuchBucket)
    }
}

/// A metadata store that, once, just before a commit that writes `key`, commits `bytes` under
/// `key` itself (or another key): what a writer on another node would do between a read and
/// a commit.
final class InterferingMetadataStore: MetadataStore {
    let base: any MetadataStore
    private let pending = Mutex<(trigger: [UInt8], key: [UInt8], bytes: [UInt8])?>(nil)
    private let done = Atomic<Bool>(false)

    init(base: any MetadataStore) { self.base = base }

    func interfere(onCommitTo key: [UInt8], put bytes: [UInt8]) { interfere(onCommitTo: key, put: bytes, writing: key) }
    func interfere(onCommitTo trigger: [UInt8], put bytes: [UInt8], writing key: [UInt8]) { pending.withLock { $0 = (trigger, key, bytes) } }
    var interfered: Bool { done.load(ordering: .acquiring) }

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? { try await base.get(key) }
    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] { try await base.get(keys: keys) }
    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage { try await base.scan(request) }
    func snapshot() async throws(StorageError) -> any MetadataReader { try await base.snapshot() }
    func announceCommit() -> CommitAnnouncement { base.announceCommit() }

    func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) {
        try await interfereIfDue(batch)
        try await base.commit(batch, durability: durability)
    }

    func commit(_ batch: MetadataBatch, durability: Durability, fulfilling announcements: [CommitAnnouncement]) async throws(StorageError) {
        try await interfereIfDue(batch)
        try await base.commit(batch, durability: durability, fulfilling: announcements)
    }

    private func interfereIfDue(_ batch: MetadataBatch) async throws(StorageError) {
        let due = pending.withLock { current -> (trigger: [UInt8], key: [UInt8], bytes: [UInt8])? in
            guard let due = current, batch.operations.contains(where: { $0.key == due.trigger }) else { return nil }
            current = nil
            return due
        }
        guard let due else { return }
        var other = MetadataBatch()
        other.put(due.key, due.bytes)
        try await base.commit(other, durability: .synced)
        done.store(true, ordering: .releasing)
    }
}
