import CofferMaintenance
import CofferStorage
import Foundation
import Testing

/// Damage below the records: LevelDB table files whose blocks no longer match their
/// checksums. fsck reports what it cannot read and goes on; it never crashes, and it leaves
/// the damaged files as they are.
@Suite struct FsckCorruptionTests {
    @Test func zeroedTableBlocksAreFindingsNotCrashes() async throws {
        let fixture = try await FsckFixture()
        try await fixture.createBucket("b")
        for index in 0..<40 { try await fixture.put("b", "k\(index)", body(150_000)) }
        fixture.db.compactAll() // every record and chunk into table files
        try fixture.stop()
        let tables = try FileManager.default.contentsOfDirectory(atPath: fixture.directory + "/db").filter { $0.hasSuffix(".ldb") }
        try #require(!tables.isEmpty)
        for table in tables { try Self.zero(4096, inMiddleOf: fixture.directory + "/db/" + table) }
        let before = try FsckCleanTests.files(of: fixture.directory)

        let report = try await fixture.checkOffline()
        #expect(!report.isClean)
        #expect(report.count(.storeUnreadable) > 0, "\(report.summary)")
        #expect(report.counts.objects > 0)
        #expect(try FsckCleanTests.files(of: fixture.directory) == before, "fsck changed the data directory")
    }

    @Test func aDatabaseThatDoesNotOpenIsAFindingAndTheRestIsChecked() async throws {
        let fixture = try await FsckFixture()
        try await fixture.createBucket("b")
        try fixture.audit(2)
        try fixture.stop()
        let db = fixture.directory + "/db/"
        let manifest = try #require(try FileManager.default.contentsOfDirectory(atPath: db).first { $0.hasPrefix("MANIFEST-") })
        try Data("not a manifest".utf8).write(to: URL(fileURLWithPath: db + manifest))
        let report = try await fixture.checkOffline()
        #expect(report.findingCounts == ["storeUnreadable": 1], "\(report.summary)")
        #expect(report.counts.auditRecords == 2)
    }

    static func zero(_ count: Int, inMiddleOf path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(count: count))
    }
}
