@testable import CofferAudit
import CofferCrypto
import Foundation
import XCTest

final class AuditTrailTests: XCTestCase {
    func testWriteRotateAndVerify() throws {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory,
                                   options: .init(maxFileBytes: 2500), clock: clock.function)
        for _ in 0..<20 {
            try trail.record(Events.generateDataKey(trail.now))
            clock.advance(1)
        }
        try trail.close()
        let files = try fixture.logFiles()
        XCTAssertGreaterThan(files.count, 3)
        XCTAssertTrue(files[0].hasPrefix("coffer-audit-20261125T120000Z-000001"), files[0])
        for file in files {
            XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.path(fixture.digestFile(of: file))), file)
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: fixture.path(file))[.size] as? Int)
            XCTAssertLessThanOrEqual(size, 2500)
        }
        let report = try fixture.verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.logFiles, files.count)
        XCTAssertEqual(report.digestsVerified, files.count)
        XCTAssertEqual(report.recordsVerified, 20)
        XCTAssertNil(report.activeFile)
        XCTAssertTrue(report.summary.hasPrefix("OK:"), report.summary)

        let records = try AuditReader(directory: fixture.directory).records()
        XCTAssertEqual(records.map(\.chain.sequence), Array(1...20))
        XCTAssertEqual(records[0].chain.previousHash, AuditLayout.genesisHash)
        XCTAssertEqual(records[1].chain.previousHash, Hex.encode(CofferCrypto.SHA256.hash(Array(records[0].line.utf8))))
        XCTAssertThrowsError(try trail.record(Events.generateDataKey(clock.now))) { error in
            XCTAssertEqual((error as? AuditError)?.code, .unavailable)
        }
    }

    func testLinesAreCloudTrailShapedWithTheChainField() throws {
        let fixture = TrailFixture(self)
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: TestClock().function)
        try trail.record(Events.generateDataKey(trail.now))
        let line = try XCTUnwrap(fixture.lines(try fixture.logFiles()[0]).first)
        let json = try XCTUnwrap(AuditJSON.parse(line))
        XCTAssertEqual(json["cofferChain"], ["sequence": 1, "previousHash": .string(AuditLayout.genesisHash)])
        XCTAssertEqual(json["eventName"], "GenerateDataKey")
        XCTAssertEqual(AuditJSON.parse(line)?.serializedString, line, "lines are in canonical form")
    }

    func testDigestContentAndSignedString() throws {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        for _ in 0..<3 { try trail.record(Events.generateDataKey(trail.now)) }
        clock.advance(60)
        try trail.rotate()
        try trail.record(Events.generateDataKey(trail.now))
        try trail.close()
        let files = try fixture.logFiles()
        XCTAssertEqual(files.count, 2)
        let first = try XCTUnwrap(AuditDigest(fileBytes: try AuditFileIO.read(fixture.path(fixture.digestFile(of: files[0])))))
        let second = try XCTUnwrap(AuditDigest(fileBytes: try AuditFileIO.read(fixture.path(fixture.digestFile(of: files[1])))))
        XCTAssertEqual(first.logFile, files[0])
        XCTAssertEqual(first.recordCount, 3)
        XCTAssertEqual(first.firstSequence, 1)
        XCTAssertEqual(first.lastSequence, 3)
        XCTAssertEqual(first.startTime, "2026-11-25T12:00:00Z")
        XCTAssertEqual(first.endTime, "2026-11-25T12:01:00Z")
        XCTAssertNil(first.previousDigestFile)
        XCTAssertEqual(first.logFileSHA256, Hex.encode(CofferCrypto.SHA256.hash(try AuditFileIO.read(fixture.path(files[0])))))
        XCTAssertEqual(second.previousDigestFile, fixture.digestFile(of: files[0]))
        XCTAssertEqual(second.previousDigestSHA256,
                       Hex.encode(CofferCrypto.SHA256.hash(try AuditFileIO.read(fixture.path(fixture.digestFile(of: files[0]))))))
        XCTAssertTrue(first.signedString.hasPrefix("CofferAuditDigest-1\nlogFile=\(files[0])\nlogFileSHA256="))
        XCTAssertTrue(first.hasValidSignature(publicKey: try fixture.publicKey()))
        XCTAssertEqual(second.firstSequence, 4)
    }

    func testKeyFilesAndModes() throws {
        let fixture = TrailFixture(self)
        _ = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory)
        let fm = FileManager.default
        let privatePath = (fixture.keyDirectory as NSString).appendingPathComponent(AuditSigningKey.privateKeyFileName)
        XCTAssertEqual((try fm.attributesOfItem(atPath: privatePath)[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual((try fm.attributesOfItem(atPath: fixture.keyDirectory)[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        XCTAssertEqual((try fm.attributesOfItem(atPath: fixture.directory)[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        XCTAssertEqual(try fixture.publicKey().count, 32)
        // The same pair is used again.
        let before = try fixture.publicKey()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory)
        XCTAssertEqual(trail.publicKey, before)
    }

    func testRotationByAge() throws {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory,
                                   options: .init(maxFileAge: 600), clock: clock.function)
        try trail.record(Events.generateDataKey(trail.now))
        clock.advance(599)
        try trail.rotateIfDue()
        try trail.record(Events.generateDataKey(trail.now))
        XCTAssertEqual(try fixture.logFiles().count, 1)
        clock.advance(1)
        try trail.rotateIfDue()
        XCTAssertEqual(try AuditReader(directory: fixture.directory).logFiles().map(\.digested), [true])
        try trail.record(Events.generateDataKey(trail.now))
        clock.advance(600)
        try trail.record(Events.generateDataKey(trail.now)) // due: finishes file 2 first
        XCTAssertEqual(try AuditReader(directory: fixture.directory).logFiles().map(\.digested), [true, true, false])
        XCTAssertNil(try fixture.verify().problem)
    }

    func testRestartContinuesTheChain() throws {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        do {
            let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
            for _ in 0..<5 { try trail.record(Events.generateDataKey(trail.now)) }
            try trail.close()
        }
        clock.advance(10)
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        for _ in 0..<5 { try trail.record(Events.generateDataKey(trail.now)) }
        try trail.close()
        let records = try AuditReader(directory: fixture.directory).records()
        XCTAssertEqual(records.map(\.chain.sequence), Array(1...10))
        XCTAssertEqual(Set(records.map(\.file)).count, 2)
        let report = try fixture.verify()
        XCTAssertNil(report.problem, report.summary)
        XCTAssertEqual(report.recordsVerified, 10)
    }

    func testRestartAfterCrashDigestsTheLeftoverFileAndDropsATornLine() throws {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        var trail: AuditTrail? = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        for _ in 0..<4 { try trail?.record(Events.generateDataKey(clock.now)) }
        let active = try XCTUnwrap(fixture.logFiles().first)
        // A crash in the middle of a write: a line without its line feed.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: fixture.path(active)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"eventVersion":"1.08","eventNa"#.utf8))
        try handle.close()
        XCTAssertEqual(try AuditReader(directory: fixture.directory).records().count, 4, "the reader skips the torn line")
        XCTAssertNil(try fixture.verify().problem, "the active file may end in an incomplete line")
        XCTAssertThrowsError(try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory), "one writer per directory")
        trail = nil // the process dies: no close, no digest

        clock.advance(30)
        let restarted = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        XCTAssertEqual(try AuditReader(directory: fixture.directory).logFiles().map(\.digested), [true])
        for _ in 0..<3 { try restarted.record(Events.generateDataKey(clock.now)) }
        let report = try fixture.verify()
        XCTAssertNil(report.problem, report.summary)
        XCTAssertEqual(report.recordsVerified, 7)
        XCTAssertEqual(report.digestsVerified, 1)
        XCTAssertNotNil(report.activeFile)
        XCTAssertTrue(report.summary.contains("not yet covered by a digest"), report.summary)
        XCTAssertEqual(try AuditReader(directory: fixture.directory).records().map(\.chain.sequence), Array(1...7))
    }

    func testPlaintextMembersAreRefused() throws {
        let fixture = TrailFixture(self)
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory)
        let context = Events.context(trail.now)
        let refused: [AuditEvent] = [
            .kmsCall("GenerateDataKey", context: context, keyArn: Events.keyArn, requestParameters: ["keyId": "k"],
                     responseElements: ["Plaintext": "c2VjcmV0"]),
            .kmsCall("Encrypt", context: context, keyArn: Events.keyArn, requestParameters: ["keyId": "k", "plaintext": "x"]),
            .kmsCall("Decrypt", context: context, keyArn: Events.keyArn,
                     requestParameters: ["keyId": "k", "nested": [["PLAINTEXT": "x"]]]),
            .s3DataEvent("PutObject", context: context, bucket: "b", key: "k", additionalEventData: ["inner": ["plainText": "x"]]),
        ]
        for event in refused {
            XCTAssertThrowsError(try trail.record(event)) { error in
                XCTAssertEqual((error as? AuditError)?.code, .secretRefused)
                XCTAssertFalse("\(error)".contains("c2VjcmV0"), "the value is never echoed")
            }
        }
        XCTAssertEqual(try fixture.logFiles(), [], "nothing was written")
        // A field whose value merely mentions plaintext is fine.
        try trail.record(.kmsCall("Decrypt", context: context, keyArn: Events.keyArn, requestParameters: ["note": "Plaintext"]))
        XCTAssertEqual(try AuditReader(directory: fixture.directory).records().count, 1)
    }

    func testConcurrentRecordersProduceOneValidChain() async throws {
        let fixture = TrailFixture(self)
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, options: .init(maxFileBytes: 8192))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<40 { try trail.record(Events.generateDataKey(trail.now, user: "user\(task)")) }
                }
            }
            try await group.waitForAll()
        }
        try trail.close()
        let report = try fixture.verify()
        XCTAssertNil(report.problem, report.summary)
        XCTAssertEqual(report.recordsVerified, 320)
        XCTAssertGreaterThan(report.logFiles, 2)
        let records = try AuditReader(directory: fixture.directory).records()
        XCTAssertEqual(Set(records.map(\.event.eventID)).count, 320)
        XCTAssertEqual(records.map(\.chain.sequence), Array(1...320))
    }

    func testFsyncEachRecordOption() throws {
        let fixture = TrailFixture(self)
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, options: .init(fsyncEachRecord: true))
        for _ in 0..<3 { try trail.record(Events.generateDataKey(trail.now)) }
        try trail.close()
        XCTAssertNil(try fixture.verify().problem)
    }
}
