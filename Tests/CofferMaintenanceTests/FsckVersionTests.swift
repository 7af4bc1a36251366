import CofferMaintenance
import CofferStorage
import Foundation
import Testing

/// `coffer fsck` over versioned buckets (docs/storage-layout.md, "Versions"): noncurrent
/// versions (`v`) have their blobs checked and counted as referenced, delete markers (`d` and
/// under `v`) have none, the null-version index (`n`) names null versions kept under `v`.
@Suite struct FsckVersionTests {
    /// Bucket `vers`, key `k`: a null version written while suspended, then (enabled) two
    /// versions and a delete marker; key `m`: a multipart version and a plain one.
    /// Returns the fixture, still open, and the versions of `k` as committed, oldest first.
    static func populated() async throws -> (FsckFixture, [ObjectRecord]) {
        let fixture = try await FsckFixture()
        try await fixture.createBucket("vers")
        let store = try #require(fixture.store)
        _ = try await store.updateBucket(named: "vers") { $0.versioning = .suspended }
        var versions = [try await fixture.put("vers", "k", body(70_000))]
        _ = try await store.updateBucket(named: "vers") { $0.versioning = .enabled }
        versions.append(try await fixture.put("vers", "k", body(10)))
        versions.append(try await fixture.put("vers", "k", body(66_000)))
        _ = try await store.deleteObject(ObjectDeletionRequest(bucket: "vers", key: "k", owner: "root", date: Date()))
        try await fixture.multipart("vers", "m", parts: [body(65_536), body(3)])
        try await fixture.put("vers", "m", body(1))
        return (fixture, versions)
    }

    static func body(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) } }

    static func versionKey(_ bucket: String, _ key: String, _ stamp: VersionStamp) -> [UInt8] {
        StoreKey.version(bucket: bucket, key: key, stamp: stamp).bytes
    }

    @Test func versionsCheckCleanAndTheirBlobsAreNoOrphans() async throws {
        let (fixture, _) = try await Self.populated()
        let report = await fixture.check()
        #expect(report.isClean, "\(report.summary)")
        #expect(report.counts.objects == 1)             // m's current version; k's is a marker
        #expect(report.counts.noncurrentVersions == 4)  // k: null, two enabled versions; m: the multipart one
        #expect(report.counts.deleteMarkers == 1)
        #expect(report.counts.blobs == 6)
        #expect(report.counts.packagesOpened == report.counts.packages)
        #expect(report.summary.contains("versions: noncurrent 4, delete markers 1"))
        try fixture.stop()
        let offline = try await fixture.checkOffline()
        #expect(offline.isClean, "\(offline.summary)")
    }

    @Test func damagedVersionsAreFindings() async throws {
        let (fixture, versions) = try await Self.populated()
        let (null, older, newest) = (versions[0], versions[1], versions[2])
        #expect(null.isNullVersion && older.versionId != nil && newest.versionId != nil)
        // A version's record given another version's nonce: not its id's.
        var renonced = older
        renonced.versionNonce = newest.versionNonce
        try fixture.db.put(Self.versionKey("vers", "k", older.stamp), try renonced.encoded(), sync: true)
        // A version's record given another version's data (its own nonce): nothing opens, and
        // the blob is referenced twice.
        var swapped = newest
        swapped.encryption = null.encryption
        swapped.segments = null.segments
        swapped.size = null.size
        try fixture.db.put(Self.versionKey("vers", "k", newest.stamp), try swapped.encoded(), sync: true)
        // A `v` value that does not decode, and an `n` entry naming no null version.
        try fixture.db.put(Self.versionKey("vers", "gone", VersionStamp(date: Date())), [2, 0x7B], sync: true)
        try fixture.db.put(StoreKey.nullVersion(bucket: "vers", key: "m").bytes, [0, 0, 0, 0, 0, 0, 0, 1], sync: true)
        let report = await fixture.check()
        #expect(report.count(.versionNonceMismatch) == 1)
        #expect(report.findings(.versionNonceMismatch).first?.subject.key == "k")
        #expect(report.count(.blobReferencedTwice) == 1)
        #expect(report.count(.malformedRecord) == 1)
        #expect(report.count(.nullVersionIndex) == 1)
        #expect(report.findings(.nullVersionIndex).first?.subject.key == "m")
        // The renonced version's format 2 packages do not open, nor does the swapped one's.
        #expect(report.count(.packageDoesNotOpen) >= 1)
        #expect(report.count(.orphanBlob) == 1)  // newest's own blob, referenced by nothing now
    }

    @Test func aNullVersionWithoutItsIndexEntryIsAFinding() async throws {
        let (fixture, _) = try await Self.populated()
        try fixture.db.delete(StoreKey.nullVersion(bucket: "vers", key: "k").bytes, sync: true)
        let report = await fixture.check()
        #expect(report.count(.nullVersionIndex) == 1)
        #expect(report.findings(.nullVersionIndex).first?.message.contains("no index entry") == true)
    }
}
