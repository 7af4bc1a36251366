@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Synchronization
import Testing

/// Concurrent writers of one key in a versioned bucket, in one process (turns) and on two
/// "nodes" (two stores over the same metadata, racing through the commit conditions), and
/// versioning changes racing writes: no version is lost or duplicated, none keeps another's
/// blobs.
@Suite struct VersioningRaceTests {
    /// What the racing writers did, to compare with what the store holds afterwards. A version
    /// is known by its stamp and id: two versions that exist at once never share a stamp, but
    /// a key whose versions were all removed may give the next one a stamp used before (null
    /// versions share an id), so the ledger counts how often each was made and removed.
    final class Ledger: Sendable {
        struct Identity: Hashable { var stamp: VersionStamp; var id: String }
        private let state = Mutex((count: [Identity: Int](), chunks: [Identity: Int]()))

        static func identity(_ record: ObjectRecord) -> Identity { Identity(stamp: record.stamp, id: record.versionIdText) }

        func made(_ record: ObjectRecord, chunks: Int) {
            state.withLock { $0.count[Self.identity(record), default: 0] += 1; $0.chunks[Self.identity(record)] = chunks }
        }

        func removed(_ records: [ObjectRecord]) {
            state.withLock { for record in records { $0.count[Self.identity(record), default: 0] -= 1 } }
        }

        /// Each version made and not removed since (a count other than 0 or 1 is a bug).
        var live: [Identity: Int] { state.withLock { $0.count.filter { $0.value != 0 } } }
        func chunks(of record: ObjectRecord) -> Int { state.withLock { $0.chunks[Self.identity(record)] ?? 0 } }
    }

    /// Writers on two nodes put versions, add delete markers and remove the current version by
    /// id, while (with `toggling`) another task keeps suspending and enabling versioning, so
    /// that null versions are replaced under contention too.
    @Test(arguments: Backend.allCases, [false, true]) func writersOfOneKeyLoseNoVersion(_ backend: Backend, _ toggling: Bool) async throws {
        try await withStore(backend) { first, _ in
            try await makeBucket(first, versioning: .enabled)
            // A second store over the same stores: its own key turns, as on another node.
            let second = try await ObjectStore(metadata: first.metadata, blobs: first.blobs)
            let ledger = Ledger()
            try await withThrowingTaskGroup(of: Void.self) { group in
                if toggling {
                    group.addTask {
                        for i in 0..<30 {
                            try await setVersioning(i % 2 == 0 ? first : second, i % 2 == 0 ? .suspended : .enabled)
                            await Task.yield()
                        }
                    }
                }
                for writer in 0..<6 {
                    let store = writer % 2 == 0 ? first : second
                    group.addTask {
                        for i in 0..<16 {
                            let count = 1 + (writer + i) % 3
                            switch (writer + i) % 4 {
                            case 0, 1:
                                let commit = try await putVersion(store, key: "k", byte: UInt8(writer), count: count, date: at(Int64(i)))
                                ledger.made(commit.record, chunks: count)
                                ledger.removed(commit.removed)
                            case 2:
                                let deletion = try await deleteVersion(store, key: "k", date: at(Int64(i)))
                                ledger.made(try #require(deletion.marker), chunks: 0)
                                ledger.removed(deletion.removed.map { [$0] } ?? [])
                            default:
                                // Remove whatever is current now, by its id (another writer may
                                // get there first: then nothing or another version goes).
                                guard let current = try await store.version(bucket: "bucket", key: "k", .current) else { continue }
                                let deletion = try await deleteVersion(store, key: "k", selector(current))
                                if let removed = deletion.removed {
                                    #expect(removed.versionId == current.versionId)
                                    ledger.removed([removed])
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let listed = try await first.listObjectVersions(bucket: "bucket").versions
            let stamps = listed.map(\.record.stamp)
            #expect(Dictionary(listed.map { (Ledger.identity($0.record), 1) }, uniquingKeysWith: +) == ledger.live)
            #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 > $1 }, "newest first, each once")
            #expect(listed.first?.isLatest ?? true && listed.dropFirst().allSatisfy { !$0.isLatest })
            #expect(listed.filter { $0.record.isNullVersion }.count <= 1, "at most one null version")
            #expect(try await first.version(bucket: "bucket", key: "k", .current)?.stamp == stamps.first)
            #expect(try await first.chunkCount() == listed.reduce(0) { $0 + ledger.chunks(of: $1.record) })
            #expect(try await first.pendingBlobCount() == 0)
            #expect(try await first.garbageBlobCount() == 0)
        }
    }

    /// Versioning is enabled between a PUT's read (unversioned) and its commit: the commit
    /// fails its condition on the bucket record, reads again and keeps the old object as the
    /// null version instead of overwriting it.
    @Test func aVersioningChangeIsNeverOverwritten() async throws {
        let metadata = InterferingMetadataStore(base: MemoryMetadataStore())
        let store = try await ObjectStore(metadata: metadata, blobs: MemoryBlobStore())
        try await makeBucket(store)
        let original = try await putVersion(store, key: "k", byte: 1, date: at(0))
        var enabled = try #require(try await store.bucket(named: "bucket"))
        enabled.versioning = .enabled
        metadata.interfere(onCommitTo: KeyLayout.object(bucket: "bucket", key: "k"), put: try enabled.encoded(), writing: KeyLayout.bucket("bucket"))
        let commit = try await putVersion(store, key: "k", byte: 2, date: at(1))
        #expect(metadata.interfered)
        #expect(commit.record.versionId != nil && commit.removed.isEmpty)
        #expect(try await allVersions(store).map(\.versionId) == [commit.record.versionIdText, "null"])
        #expect(try await body(store, key: "k", .null) == chunks(1, of: 1))
        #expect(try await store.version(bucket: "bucket", key: "k", .null) == original.record)
    }

    /// A bucket deletion racing delete markers and versions: either the bucket stays, or it
    /// is gone with no version of any kind left under it.
    @Test(arguments: Backend.allCases) func deleteBucketSeesEveryVersion(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            for round in 0..<15 {
                try await makeBucket(store, "race", versioning: .enabled)
                async let deleted = errorCode { try await store.deleteBucket(named: "race") }
                async let marked = errorCode { try await deleteVersion(store, bucket: "race", key: "k\(round)") }
                let (deletion, marker) = await (deleted, marked)
                if deletion == nil {
                    #expect(marker == .noSuchBucket)
                } else {
                    #expect(deletion == .bucketNotEmpty && marker == nil)
                    // Only a delete marker: still not empty, until it is removed by its id.
                    let row = try #require(try await allVersions(store, bucket: "race").first)
                    #expect(await errorCode { try await store.deleteBucket(named: "race") } == .bucketNotEmpty)
                    try await deleteVersion(store, bucket: "race", key: "k\(round)", try #require(VersionSelector(versionId: row.versionId)))
                    try await store.deleteBucket(named: "race")
                }
                for prefix in [KeyLayout.objects(in: "race"), KeyLayout.currentMarkers(in: "race"), KeyLayout.versions(in: "race"), KeyLayout.nullVersions(in: "race")] {
                    #expect(try await store.metadata.scan(ScanRequest(prefix: prefix)).entries.isEmpty)
                }
            }
            // Noncurrent versions alone keep a bucket too.
            try await makeBucket(store, "kept", versioning: .enabled)
            let v1 = try await putVersion(store, bucket: "kept", key: "k", date: at(0))
            let v2 = try await putVersion(store, bucket: "kept", key: "k", date: at(1))
            try await deleteVersion(store, bucket: "kept", key: "k", selector(v2.record))
            try await deleteVersion(store, bucket: "kept", key: "k", selector(v1.record))
            try await store.deleteBucket(named: "kept")
            try await makeBucket(store, "kept", versioning: .enabled)
            try await putVersion(store, bucket: "kept", key: "k", date: at(0))
            let latest = try await putVersion(store, bucket: "kept", key: "k", date: at(1))
            try await deleteVersion(store, bucket: "kept", key: "k", selector(latest.record))
            #expect(await errorCode { try await store.deleteBucket(named: "kept") } == .bucketNotEmpty)
            #expect(try await store.chunkCount() == 1)
        }
    }

    /// A write moves the version being opened (from `o` to `v`) between the open's lookup and
    /// its second read: the open looks again and reads the version it was asked for, whole.
    @Test func openingAVersionFollowsItWhenAWriteMovesIt() async throws {
        let blobs = HookedBlobStore(base: MemoryBlobStore())
        let store = try await ObjectStore(metadata: MemoryMetadataStore(), blobs: blobs)
        try await makeBucket(store, versioning: .enabled)
        let v1 = try await putVersion(store, key: "k", byte: 1, count: 3, date: at(0))
        blobs.onNextReadView { _ = try? await putVersion(store, key: "k", byte: 2, count: 1, date: at(1)) }
        #expect(try await body(store, key: "k", selector(v1.record)) == chunks(3, of: 1))
        #expect(try await allVersions(store).count == 2)

        // Without an id, the open follows the current version to the new one.
        blobs.onNextReadView { _ = try? await putVersion(store, key: "k", byte: 3, count: 2, date: at(2)) }
        #expect(try await body(store, key: "k", .current) == chunks(2, of: 3))
    }
}

/// A blob store that runs a hook once, the next time a read view is asked for (before taking
/// it): a write that lands between a read's lookup and its view.
final class HookedBlobStore: BlobStore, @unchecked Sendable {
    let base: any BlobStore
    private let hook = Mutex<(@Sendable () async -> Void)?>(nil)

    init(base: any BlobStore) { self.base = base }

    func onNextReadView(_ body: @escaping @Sendable () async -> Void) { hook.withLock { $0 = body } }

    func readView() async throws(StorageError) -> any BlobReader {
        if let body = hook.withLock({ hook -> (@Sendable () async -> Void)? in defer { hook = nil }; return hook }) { await body() }
        return try await base.readView()
    }

    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] { try await base.read(blob, packages: packages) }
    func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError) {
        try await base.write(blob, packages: packages, startingAt: first, durability: durability)
    }
    func delete(_ blob: BlobID) async throws(StorageError) { try await base.delete(blob) }
    func packageCount() async throws(StorageError) -> Int { try await base.packageCount() }
}
