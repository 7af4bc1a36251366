@testable import CofferAudit
import CofferStorage
import CofferStorageConformance
import Foundation
import Testing
import XCTest

/// The contract of ``AuditSink`` (``AuditSinkConformance``), checked on ``FileAuditSink`` and
/// ``MemoryAuditSink``, each check on a fresh sink.
@Suite struct AuditSinkConformanceTests {
    @Test(arguments: TrailFixture.Backend.allCases, AuditSinkConformance.checks)
    func conformance(_ backend: TrailFixture.Backend, _ check: AuditSinkConformance.Check) throws {
        switch backend {
        case .files:
            let directory = NSTemporaryDirectory() + "coffer-audit-sink-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try check.run(FileAuditSink(directory: directory))
        case .memory:
            try check.run(MemoryAuditSink())
        }
    }
}

/// What is specific to ``FileAuditSink``'s directory.
final class FileAuditSinkLayoutTests: XCTestCase {
    /// The code of the `StorageError` that `body` throws; nil when it throws nothing (another
    /// error type fails the test).
    private func code(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> StorageError.Code? {
        do {
            try body()
            return nil
        } catch let error as StorageError {
            return error.code
        } catch {
            XCTFail("not a StorageError: \(error)", file: file, line: line)
            return nil
        }
    }

    /// Paths, modes, the lock file, the temporary name.
    func testFileSinkLayout() throws {
        let fixture = TrailFixture(self)
        let sink = FileAuditSink(directory: fixture.directory)
        XCTAssertEqual(code { _ = try sink.list() }, .io, "nothing is created before a writer")
        let writer = try sink.openWriter()
        try writer.createSegment("coffer-audit-20261125T120000Z-000001.jsonl", durability: .synced)
        try writer.writeObject("coffer-audit-20261125T120000Z-000001.digest.json", bytes("{}\n"))
        let fm = FileManager.default
        func mode(_ path: String) throws -> Int? { (try fm.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue }
        XCTAssertEqual(try mode(fixture.directory), 0o700)
        XCTAssertEqual(try mode(fixture.path("coffer-audit-20261125T120000Z-000001.jsonl")), 0o600)
        XCTAssertEqual(try mode(fixture.path("coffer-audit-20261125T120000Z-000001.digest.json")), 0o600)
        XCTAssertTrue(fm.fileExists(atPath: fixture.path(".coffer-audit.lock")))
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: fixture.directory).sorted(),
                       [".coffer-audit.lock", "coffer-audit-20261125T120000Z-000001.digest.json", "coffer-audit-20261125T120000Z-000001.jsonl"])
        XCTAssertEqual(code { _ = try FileAuditSink(directory: fixture.directory).openWriter() }, .writerActive,
                       "another instance over the same directory")
        try fm.createDirectory(atPath: fixture.path("subdirectory"), withIntermediateDirectories: false)
        XCTAssertEqual(try sink.list().count, 2, "only regular files are listed")
    }
}
