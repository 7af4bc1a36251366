import CofferMaintenance
import CofferStorage
import Foundation
import Testing

/// A store written in every encryption mode, with multipart uploads (completed and in
/// progress) and empty objects, checks clean: online (a snapshot of the open store) and
/// offline (the stopped data directory, left exactly as it was).
@Suite struct FsckCleanTests {
    /// Writes one of everything; returns the fixture, still open.
    static func populated() async throws -> FsckFixture {
        let fixture = try await FsckFixture()
        try await fixture.createBucket("clean")
        let key = try fixture.createKMSKey()
        try fixture.createAlias("alias/app", to: key)
        try await fixture.put("clean", "s3", body(150_000))
        try await fixture.put("clean", "empty", [])
        try await fixture.put("clean", "full-package", body(65_536))
        try await fixture.put("clean", "sse-c", body(70_000), .sseC)
        try await fixture.put("clean", "kms-default", body(1_000), .sseKMS(keyId: nil, bucketKey: false))
        try await fixture.put("clean", "kms-bucket-key", body(80_000), .sseKMS(keyId: "alias/app", bucketKey: true))
        try await fixture.put("clean", "kms-empty", [], .sseKMS(keyId: key, bucketKey: false))
        try await fixture.multipart("clean", "multipart", parts: [body(70_000), body(10)])
        try await fixture.multipart("clean", "multipart-kms", parts: [body(65_536), []], .sseKMS(keyId: key, bucketKey: true))
        try await fixture.multipart("clean", "multipart-c", parts: [body(5)], .sseC)
        try await fixture.multipart("clean", "in-progress", parts: [body(66_000), body(1)], .sseKMS(keyId: key, bucketKey: false), complete: false)
        try fixture.audit(3)
        return fixture
    }

    @Test func everyModeChecksCleanOnline() async throws {
        let fixture = try await Self.populated()
        let report = await fixture.check()
        #expect(report.isClean, "\(report.summary)")
        #expect(report.counts.buckets == 1)
        #expect(report.counts.objects == 10)
        #expect(report.counts.uploads == 1)
        #expect(report.counts.parts == 2)
        #expect(report.counts.blobs == 14)
        #expect(report.counts.kmsKeys == 2) // alias/app's key and aws/s3, made on first use
        #expect(report.counts.kmsAliases == 2)
        #expect(report.counts.kmsKeyVersions == 2)
        #expect(report.notOpened.sseC == 2)
        #expect(report.notOpened.remoteKMS == 0)
        // Every package opened but those of the two SSE-C objects (2 + 1 packages).
        #expect(report.counts.packagesOpened == report.counts.packages - 3)
        #expect(report.counts.auditRecords == 3)
        #expect(report.notices.contains { $0.kind == .notOpened })
    }

    @Test func aStoppedDataDirectoryChecksCleanAndIsLeftAsItWas() async throws {
        let fixture = try await Self.populated()
        try fixture.stop()
        let before = try Self.files(of: fixture.directory)
        let report = try await fixture.checkOffline()
        #expect(report.isClean, "\(report.summary)")
        #expect(report.mode == .offline)
        #expect(report.counts.objects == 10)
        #expect(report.counts.auditLogFiles >= 1)
        #expect(try Self.files(of: fixture.directory) == before, "fsck changed the data directory")
    }

    @Test func theViewOfAKilledCheckIsRemoved() async throws {
        let fixture = try await FsckFixture()
        try await fixture.createBucket("b")
        try fixture.stop()
        // Views are named after their process: pid 2^22 + 1 is above Linux's largest.
        let abandoned = fixture.directory + "/.fsck-4194305-0badc0de"
        try FileManager.default.createDirectory(atPath: abandoned, withIntermediateDirectories: false)
        try FileManager.default.linkItem(atPath: fixture.directory + "/db/CURRENT", toPath: abandoned + "/CURRENT")
        let report = try await fixture.checkOffline()
        #expect(report.isClean, "\(report.summary)")
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: fixture.directory + "/db/CURRENT"))
    }

    @Test func theReportNeverHoldsPlaintext() async throws {
        let fixture = try await Self.populated()
        let damaged = try await fixture.put("clean", "damaged", body(200_000, marker: "do-not-print-me "))
        try fixture.flipByte(of: damaged.segments[0], chunk: 1)
        let report = await fixture.check()
        #expect(report.count(.packageDoesNotOpen) == 1)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        for text in [report.summary, json] {
            #expect(!text.contains("do-not-print-me"))
            #expect(!text.contains("fsck-plaintext-marker"))
        }
    }

    /// Every file under `directory` with its bytes (LevelDB's info logs aside).
    static func files(of directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            let full = (directory as NSString).appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !["LOG", "LOG.old"].contains((path as NSString).lastPathComponent) else { continue }
            files[path] = try Data(contentsOf: URL(fileURLWithPath: full))
        }
        return files
    }
}
