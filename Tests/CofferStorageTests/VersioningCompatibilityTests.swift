@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

/// Stores written before versioning, and the bucket rules of versioning.
@Suite struct VersioningCompatibilityTests {
    /// The release fixture (written before versions existed, its records in version 1): its
    /// objects are null versions; versioning its bucket keeps them, moved as stored, and they
    /// read back exactly.
    @Test func aStoreFromBeforeVersioningHoldsNullVersions() async throws {
        let (directory, manifest) = try FixtureTests.copy()
        defer { directory.remove() }
        let store = try await ObjectStore(directory: directory.path)
        let alpha = manifest.objects.filter { $0.bucket == "alpha" }
        let sortedKeys = alpha.map(\.key).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(try await allVersions(store, bucket: "alpha").map { [$0.key, $0.versionId, "\($0.isLatest)"] } == sortedKeys.map { [$0, "null", "true"] })

        let old = try #require(alpha.first)
        let chunksBefore = try await store.chunkCount()
        try await setVersioning(store, .enabled, bucket: "alpha")
        let commit = try await putVersion(store, bucket: "alpha", key: old.key, byte: 9, count: 2, date: Date(milliseconds: old.lastModified + 1000))
        #expect(commit.removed.isEmpty && commit.replaced?.isNullVersion == true)
        // The old record moved as it was stored: record version 1, migrated when read.
        let stamp = try #require(commit.replaced?.stamp)
        #expect(stamp == VersionStamp(date: Date(milliseconds: old.lastModified)))
        let moved = try #require(try await store.metadata.get(KeyLayout.version(bucket: "alpha", key: old.key, stamp: stamp)))
        #expect(moved.first == 1)
        guard case .object(let reader) = try await store.openVersion(bucket: "alpha", key: old.key, .null) else {
            Issue.record("the old object is not the null version")
            return
        }
        #expect(reader.record.etag == old.etag && reader.record.size == old.size)
        #expect(FixtureTests.sha256(try await readBody(reader)) == old.sha256)
        #expect(try await allVersions(store, bucket: "alpha", prefix: old.key).map(\.versionId).filter { $0 == "null" || $0 == commit.record.versionIdText }.count == 2)
        #expect(try await store.chunkCount() == chunksBefore + 2)

        // Removing the null version reclaims exactly its blobs.
        let deletion = try await deleteVersion(store, bucket: "alpha", key: old.key, .null)
        #expect(deletion.removed?.etag == old.etag)
        #expect(try await store.chunkCount() == chunksBefore + 2 - old.segments.reduce(0) { $0 + $1.chunkCount })
        #expect(try await store.object(bucket: "alpha", key: old.key)?.versionId == commit.record.versionId)
    }

    @Test(arguments: Backend.allCases) func versioningNeverReturnsToUnversioned(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: nil)
            // Unversioned stays unversioned through other changes.
            try await store.updateBucket(named: "bucket") { $0.tags = [StoredTag(key: "a", value: "b")] }
            try await setVersioning(store, .suspended)
            try await setVersioning(store, .enabled)
            #expect(await errorCode { _ = try await store.updateBucket(named: "bucket") { $0.versioning = nil } } == .invalidArgument)
            var record = try #require(try await store.bucket(named: "bucket"))
            record.versioning = nil
            #expect(await errorCode { try await store.updateBucket(record) } == .invalidArgument)
            #expect(try await store.bucket(named: "bucket")?.versioning == .enabled)
            #expect(try await store.bucket(named: "bucket")?.tags == [StoredTag(key: "a", value: "b")])
        }
    }

    /// Object Lock is set only when a bucket is created, with versioning enabled, which then
    /// stays enabled.
    @Test(arguments: Backend.allCases) func objectLockIsSetAtCreationOnly(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let locked = BucketRecord(name: "locked", owner: "o", region: "r", createdAt: fixedDate, versioning: .enabled, objectLockEnabled: true)
            var unversioned = locked
            unversioned.versioning = nil
            #expect(await errorCode { try await store.createBucket(unversioned) } == .invalidArgument)
            try await store.createBucket(locked)
            // S3's 409 InvalidBucketState (ObjectLockTests has the rest of Object Lock).
            #expect(await errorCode { _ = try await store.updateBucket(named: "locked") { $0.versioning = .suspended } } == .invalidBucketState)
            #expect(await errorCode { _ = try await store.updateBucket(named: "locked") { $0.objectLockEnabled = nil } } == .invalidArgument)
            try await makeBucket(store, "plain", versioning: .enabled)
            #expect(await errorCode { _ = try await store.updateBucket(named: "plain") { $0.objectLockEnabled = true } } == .invalidArgument)
            // false and nil both mean no Object Lock.
            try await store.updateBucket(named: "plain") { $0.objectLockEnabled = false }
            #expect(try await store.bucket(named: "locked")?.objectLockEnabled == true)
        }
    }

    /// Keys holding 0x00 bytes: each key's versions stay its own, listed in key order.
    @Test(arguments: Backend.allCases) func keysWithZeroBytesKeepTheirVersionsApart(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let keys = ["a\u{0}", "a", "a\u{0}b", "a\u{0}\u{0}", "a\u{1}"]
            var expected: [String: [String]] = [:]
            for (i, key) in keys.enumerated() {
                for j in 0..<3 {
                    let commit = try await putVersion(store, key: key, byte: UInt8(i * 3 + j), date: at(Int64(j)))
                    expected[key, default: []].insert(commit.record.versionIdText, at: 0)
                }
            }
            let order = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for pageSize in [1, 2, 1000] {
                #expect(try await allVersions(store, pageSize: pageSize).map(\.versionId) == order.flatMap { expected[$0]! })
            }
            // Removing every version of "a" leaves the others untouched.
            for id in expected["a"]! { try await deleteVersion(store, key: "a", try #require(VersionSelector(versionId: id))) }
            #expect(try await allVersions(store).map(\.versionId) == order.filter { $0 != "a" }.flatMap { expected[$0]! })
            #expect(try await store.chunkCount() == 12)
        }
    }

    /// Re-sealing data keys (`coffer keys rotate`) reaches noncurrent versions too; delete
    /// markers have no data key.
    @Test(arguments: Backend.allCases) func rewritingEncryptionReachesEveryVersion(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", date: at(0))
            try await deleteVersion(store, key: "k", date: at(1))
            let v3 = try await putVersion(store, key: "k", date: at(2))
            let sealed = ObjectEncryption.sseS3(.init(rootKeyVersion: 2, sealedKey: Array(repeating: 7, count: 60)))
            var seen: [String] = []
            let counts = try await store.rewriteEncryption { _, key, _ in
                seen.append(key)
                return sealed
            }
            #expect(counts.objects == 2 && seen == ["k", "k"])
            #expect(try await store.version(bucket: "bucket", key: "k", selector(v1.record))?.encryption == sealed)
            #expect(try await store.version(bucket: "bucket", key: "k", selector(v3.record))?.encryption == sealed)
            #expect(try await allVersions(store).map(\.isDeleteMarker) == [false, true, false])
        }
    }
}
