@testable import CofferAudit
import Foundation
import XCTest

/// Each kind of tampering is found, and the report names the right file and line.
final class AuditTamperTests: XCTestCase {
    /// Five finished files of four records each (sequences 1-4, 5-8, ...), optionally with an
    /// active file after them.
    private func makeTrail(active: Bool = false) throws -> (TrailFixture, [String]) {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        for file in 0..<5 {
            for _ in 0..<4 {
                try trail.record(Events.generateDataKey(clock.now, user: "user\(file)"))
                clock.advance(1)
            }
            try trail.rotate()
        }
        if active {
            for _ in 0..<4 { try trail.record(Events.generateDataKey(clock.now)) }
        } else {
            try trail.close()
        }
        let files = try fixture.logFiles()
        XCTAssertEqual(files.count, active ? 6 : 5)
        XCTAssertNil(try fixture.verify().problem)
        return (fixture, files)
    }

    private func problem(_ fixture: TrailFixture, file: StaticString = #filePath, line: UInt = #line) throws -> AuditVerificationReport.Problem {
        let report = try fixture.verify()
        XCTAssertFalse(report.isValid, file: file, line: line)
        XCTAssertTrue(report.summary.hasPrefix("FAILED: "), file: file, line: line)
        return try XCTUnwrap(report.problem, file: file, line: line)
    }

    func testEditedByteInALine() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[2])
        lines[1] = lines[1].replacingOccurrences(of: "user2", with: "user9")
        try fixture.write(files[2], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordAltered)
        XCTAssertEqual(problem.file, files[2])
        XCTAssertEqual(problem.line, 2)
        XCTAssertEqual(problem.sequence, 10)
        XCTAssertTrue(problem.message.contains("\(files[2]) line 2 (sequence 10) was altered"), problem.message)
    }

    func testEditThatBreaksTheJSON() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[1])
        lines[2] = String(lines[2].dropLast())
        try fixture.write(files[1], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .malformedRecord)
        XCTAssertEqual(problem.file, files[1])
        XCTAssertEqual(problem.line, 3)
    }

    func testEditedLastLineOfAFinishedFile() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[4])
        lines[3] = lines[3].replacingOccurrences(of: "user4", with: "user5")
        try fixture.write(files[4], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .logFileAltered)
        XCTAssertEqual(problem.file, files[4])
    }

    func testRemovedLine() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[1])
        lines.remove(at: 1)
        try fixture.write(files[1], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordsRemoved)
        XCTAssertEqual(problem.file, files[1])
        XCTAssertEqual(problem.line, 2)
        XCTAssertTrue(problem.message.contains("record 6 was removed"), problem.message)
    }

    func testInsertedCopyOfALine() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[3])
        lines.insert(try fixture.lines(files[0])[0], at: 2)
        try fixture.write(files[3], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordInserted)
        XCTAssertEqual(problem.file, files[3])
        XCTAssertEqual(problem.line, 3)
    }

    func testInsertedForgedLine() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[1])
        let forged = AuditRecordLine.encode(Events.generateDataKey(Date(), user: "mallory"),
                                            link: AuditChainLink(sequence: 99, previousHash: AuditRecordLine.hash(Array(lines[0].utf8))))
        lines.insert(String(decoding: forged, as: UTF8.self), at: 1)
        try fixture.write(files[1], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordInserted)
        XCTAssertEqual(problem.file, files[1])
        XCTAssertEqual(problem.line, 2)
    }

    func testSwappedLines() throws {
        let (fixture, files) = try makeTrail()
        var lines = try fixture.lines(files[2])
        lines.swapAt(1, 2)
        try fixture.write(files[2], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordsReordered)
        XCTAssertEqual(problem.file, files[2])
        XCTAssertEqual(problem.line, 2)
        XCTAssertTrue(problem.message.contains("sequence 10 is at line 3"), problem.message)
    }

    func testDeletedLogFile() throws {
        let (fixture, files) = try makeTrail()
        try FileManager.default.removeItem(atPath: fixture.path(files[2]))
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .logFileMissing)
        XCTAssertEqual(problem.file, files[2])
    }

    func testDeletedLogFileWithItsDigest() throws {
        let (fixture, files) = try makeTrail()
        try FileManager.default.removeItem(atPath: fixture.path(files[1]))
        try FileManager.default.removeItem(atPath: fixture.path(fixture.digestFile(of: files[1])))
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .logFileMissing)
        XCTAssertTrue(problem.message.contains("log file number 2 is missing"), problem.message)
    }

    func testDeletedDigest() throws {
        let (fixture, files) = try makeTrail()
        try FileManager.default.removeItem(atPath: fixture.path(fixture.digestFile(of: files[3])))
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .digestMissing)
        XCTAssertEqual(problem.file, files[3])
    }

    func testAlteredDigest() throws {
        let (fixture, files) = try makeTrail()
        let digest = fixture.digestFile(of: files[1])
        let text = String(decoding: try AuditFileIO.read(fixture.path(digest)), as: UTF8.self)
        try Data(text.replacingOccurrences(of: "\"recordCount\":4", with: "\"recordCount\":3").utf8)
            .write(to: URL(fileURLWithPath: fixture.path(digest)))
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .signatureInvalid)
        XCTAssertEqual(problem.file, digest)
    }

    func testWrongPublicKey() throws {
        let (fixture, files) = try makeTrail()
        let other = TrailFixture(self)
        let otherTrail = try AuditTrail(directory: other.directory, keyDirectory: other.keyDirectory)
        let report = AuditVerifier.verify(directory: fixture.directory, publicKey: otherTrail.publicKey)
        XCTAssertEqual(report.problem?.kind, .signatureInvalid)
        XCTAssertEqual(report.problem?.file, fixture.digestFile(of: files[0]))
        XCTAssertTrue(report.summary.contains("another signing key"), report.summary)
    }

    func testDigestChainBreak() throws {
        let (fixture, files) = try makeTrail()
        // A digest re-signed with the real key but pointing at the wrong predecessor.
        let signer = try AuditSigningKey.loadOrCreate(keyDirectory: fixture.keyDirectory)
        let name = fixture.digestFile(of: files[2])
        let original = try XCTUnwrap(AuditDigest(fileBytes: try AuditFileIO.read(fixture.path(name))))
        let forged = try AuditDigest(
            logFile: original.logFile, logFileSHA256: original.logFileSHA256, logFileBytes: original.logFileBytes,
            firstSequence: original.firstSequence, lastSequence: original.lastSequence, recordCount: original.recordCount,
            startTime: original.startTime, endTime: original.endTime, previousDigestFile: fixture.digestFile(of: files[0]),
            previousDigestSHA256: original.previousDigestSHA256, signer: signer)
        try Data(forged.fileBytes).write(to: URL(fileURLWithPath: fixture.path(name)))
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .digestChainBroken)
        XCTAssertEqual(problem.file, name)
    }

    func testActiveFileIsCheckedByItsChain() throws {
        let (fixture, files) = try makeTrail(active: true)
        let report = try fixture.verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.activeFile, files[5])
        XCTAssertEqual(report.activeFileRecords, 4)
        XCTAssertEqual(report.digestsVerified, 5)
        XCTAssertTrue(report.summary.contains("not yet covered by a digest"))

        var lines = try fixture.lines(files[5])
        lines[0] = lines[0].replacingOccurrences(of: "alice", with: "alicf")
        try fixture.write(files[5], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordAltered)
        XCTAssertEqual(problem.file, files[5])
        XCTAssertEqual(problem.line, 1)
    }

    func testFirstLineOfAFileLinksToThePreviousFile() throws {
        let (fixture, files) = try makeTrail(active: true)
        var lines = try fixture.lines(files[5])
        lines.removeFirst()
        try fixture.write(files[5], lines: lines)
        let problem = try problem(fixture)
        XCTAssertEqual(problem.kind, .recordsRemoved)
        XCTAssertEqual(problem.file, files[5])
        XCTAssertEqual(problem.line, 1)
    }
}
