@testable import CofferAudit
import CofferStorage
import Foundation
import Synchronization
import XCTest

/// The trail's behaviour through the ``AuditSink`` protocol, on files and in memory: record,
/// rotate, recover after a crash mid-append, remove a failed append, detect tampering.
final class AuditTrailSinkTests: XCTestCase {
    private func forEachBackend(_ body: (TrailFixture) throws -> Void) rethrows {
        for backend in TrailFixture.Backend.allCases {
            try body(TrailFixture(self, backend: backend))
        }
    }

    func testRecordRotateAndVerify() throws {
        try forEachBackend { fixture in
            let clock = TestClock()
            let trail = try fixture.trail(options: .init(maxFileBytes: 2500), clock: clock)
            for _ in 0..<20 {
                try trail.record(Events.generateDataKey(trail.now))
                clock.advance(1)
            }
            try trail.close()
            let files = try AuditReader(sink: fixture.sink).logFiles()
            XCTAssertGreaterThan(files.count, 3, "\(fixture.backend)")
            XCTAssertTrue(files.allSatisfy(\.digested), "\(fixture.backend)")
            for file in files { XCTAssertLessThanOrEqual(try fixture.bytes(file.name).count, 2500, "\(fixture.backend)") }
            let report = try fixture.verify()
            XCTAssertNil(report.problem, "\(fixture.backend): \(report.summary)")
            XCTAssertEqual(report.digestsVerified, files.count, "\(fixture.backend)")
            XCTAssertEqual(try AuditReader(sink: fixture.sink).records().map(\.chain.sequence), Array(1...20), "\(fixture.backend)")
        }
    }

    func testRecoveryAfterACrashMidAppend() throws {
        try forEachBackend { fixture in
            let clock = TestClock()
            var trail: AuditTrail? = try fixture.trail(clock: clock)
            for _ in 0..<4 { try trail?.record(Events.generateDataKey(clock.now)) }
            XCTAssertThrowsError(try fixture.trail(clock: clock), "\(fixture.backend): one writer") { error in
                XCTAssertEqual((error as? AuditError)?.code, .unavailable)
            }
            let active = try XCTUnwrap(fixture.logFiles().first)
            let acknowledged = try fixture.bytes(active)
            // The process dies while appending the fifth record: part of its line is stored.
            try fixture.replace(active, with: acknowledged + Array(#"{"eventVersion":"1.08","eventNa"#.utf8))
            trail = nil
            XCTAssertEqual(try AuditReader(sink: fixture.sink).records().count, 4, "\(fixture.backend): the reader skips the torn line")

            clock.advance(30)
            let restarted = try fixture.trail(clock: clock)
            XCTAssertEqual(try fixture.bytes(active), acknowledged, "\(fixture.backend): the torn line is removed")
            XCTAssertEqual(try AuditReader(sink: fixture.sink).logFiles().map(\.digested), [true], "\(fixture.backend)")
            for _ in 0..<3 { try restarted.record(Events.generateDataKey(clock.now)) }
            let report = try fixture.verify()
            XCTAssertNil(report.problem, "\(fixture.backend): \(report.summary)")
            XCTAssertEqual(report.recordsVerified, 7, "\(fixture.backend)")
            XCTAssertEqual(report.digestsVerified, 1, "\(fixture.backend)")
            XCTAssertEqual(try AuditReader(sink: fixture.sink).records().map(\.chain.sequence), Array(1...7), "\(fixture.backend)")
        }
    }

    func testAFailedAppendLeavesNothingAndTheChainContinues() throws {
        try forEachBackend { fixture in
            let failing = FailingSink(fixture.sink)
            let trail = try AuditTrail(sink: failing, keyDirectory: fixture.keyDirectory, clock: TestClock().function)
            try trail.record(Events.generateDataKey(trail.now))
            let file = try XCTUnwrap(fixture.logFiles().first)
            let before = try fixture.bytes(file)
            failing.faults.withLock { $0.failNextAppend = true }
            XCTAssertThrowsError(try trail.record(Events.generateDataKey(trail.now)), "\(fixture.backend)") { error in
                XCTAssertEqual((error as? AuditError)?.code, .io)
            }
            XCTAssertEqual(try fixture.bytes(file), before, "\(fixture.backend): the partial line was truncated away")
            try trail.record(Events.generateDataKey(trail.now))
            try trail.close()
            XCTAssertNil(try fixture.verify().problem, "\(fixture.backend)")
            XCTAssertEqual(try AuditReader(sink: fixture.sink).records().map(\.chain.sequence), [1, 2], "\(fixture.backend)")
        }
    }

    func testATornAppendThatCannotBeRemovedStopsTheTrail() throws {
        try forEachBackend { fixture in
            let failing = FailingSink(fixture.sink)
            let trail = try AuditTrail(sink: failing, keyDirectory: fixture.keyDirectory, clock: TestClock().function)
            try trail.record(Events.generateDataKey(trail.now))
            failing.faults.withLock {
                $0.failNextAppend = true
                $0.failTruncate = true
            }
            XCTAssertThrowsError(try trail.record(Events.generateDataKey(trail.now)), "\(fixture.backend)")
            XCTAssertThrowsError(try trail.record(Events.generateDataKey(trail.now)), "\(fixture.backend): fail closed") { error in
                XCTAssertEqual((error as? AuditError)?.code, .unavailable)
            }
        }
    }

    /// Once the sink works again (a cluster no longer full or unreachable), the trail recovers
    /// in place as a restart would: the torn line removed, its file digested, the chain
    /// continued in a new file, every record verifiable.
    func testABrokenTrailRecoversInPlaceOnceTheSinkWorks() throws {
        try forEachBackend { fixture in
            let failing = FailingSink(fixture.sink)
            let trail = try AuditTrail(sink: failing, keyDirectory: fixture.keyDirectory, options: .init(recoveryInterval: .zero),
                                       clock: TestClock().function)
            try trail.record(Events.generateDataKey(trail.now))
            failing.faults.withLock {
                $0.failNextAppend = true
                $0.failTruncate = true
            }
            XCTAssertThrowsError(try trail.record(Events.generateDataKey(trail.now)), "\(fixture.backend)")
            XCTAssertThrowsError(try trail.record(Events.generateDataKey(trail.now)), "\(fixture.backend): still failing") { error in
                XCTAssertEqual((error as? AuditError)?.code, .unavailable)
            }
            failing.faults.withLock { $0.failTruncate = false }
            try trail.record(Events.generateDataKey(trail.now))
            try trail.close()
            let report = try fixture.verify()
            XCTAssertNil(report.problem, "\(fixture.backend): \(report.summary)")
            XCTAssertEqual(try AuditReader(sink: fixture.sink).records().map(\.chain.sequence), [1, 2], "\(fixture.backend)")
            XCTAssertEqual(try AuditReader(sink: fixture.sink).logFiles().count, 2, "\(fixture.backend): the chain goes on in a new file")
        }
    }

    func testVerifyDetectsTampering() throws {
        try forEachBackend { fixture in
            let clock = TestClock()
            let trail = try fixture.trail(clock: clock)
            for _ in 0..<3 {
                for _ in 0..<3 { try trail.record(Events.generateDataKey(clock.now)) }
                try trail.rotate()
            }
            try trail.close()
            let files = try fixture.logFiles()
            XCTAssertEqual(files.count, 3, "\(fixture.backend)")
            XCTAssertNil(try fixture.verify().problem, "\(fixture.backend)")

            let original = try fixture.lines(files[1])
            var lines = original
            lines[0] = lines[0].replacingOccurrences(of: "alice", with: "mallory")
            try fixture.write(files[1], lines: lines)
            XCTAssertEqual(try fixture.verify().problem?.kind, .recordAltered, "\(fixture.backend)")
            XCTAssertEqual(try fixture.verify().problem?.file, files[1], "\(fixture.backend)")
            try fixture.write(files[1], lines: original)

            let digest = fixture.digestFile(of: files[0])
            let digestBytes = try fixture.bytes(digest)
            try fixture.replace(digest, with: Array(String(decoding: digestBytes, as: UTF8.self)
                .replacingOccurrences(of: "\"recordCount\":3", with: "\"recordCount\":2").utf8))
            XCTAssertEqual(try fixture.verify().problem?.kind, .signatureInvalid, "\(fixture.backend)")
            try fixture.replace(digest, with: nil)
            XCTAssertEqual(try fixture.verify().problem?.kind, .digestMissing, "\(fixture.backend)")
            try fixture.replace(digest, with: digestBytes)
            XCTAssertNil(try fixture.verify().problem, "\(fixture.backend)")
        }
    }

    /// The sink does not shape the bytes: a trail written in memory, copied item by item into a
    /// directory, reads and verifies there with the file sink, and continues there.
    func testATrailMovesBetweenSinksByteForByte() throws {
        let memory = TrailFixture(self, backend: .memory)
        let clock = TestClock()
        let trail = try memory.trail(options: .init(maxFileBytes: 2500), clock: clock)
        for _ in 0..<12 { try trail.record(Events.generateDataKey(clock.now)) }
        let files = TrailFixture(self)
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        for name in try memory.sink.list() { try files.replace(name, with: try memory.bytes(name)) }
        XCTAssertEqual(try files.sink.list(), try memory.sink.list())
        // Same key pair: the copy is verified with the key that signed it.
        let report = AuditVerifier.verify(directory: files.directory, publicKey: trail.publicKey)
        XCTAssertNil(report.problem, report.summary)
        XCTAssertEqual(report.recordsVerified, 12)
        XCTAssertEqual(try AuditReader(directory: files.directory).records().map(\.line),
                       try AuditReader(sink: memory.sink).records().map(\.line))
        let continued = try AuditTrail(directory: files.directory, keyDirectory: memory.keyDirectory, clock: clock.function)
        try continued.record(Events.generateDataKey(clock.now))
        try continued.close()
        XCTAssertEqual(AuditVerifier.verify(directory: files.directory, publicKey: trail.publicKey).recordsVerified, 13)
        XCTAssertNil(AuditVerifier.verify(directory: files.directory, publicKey: trail.publicKey).problem)
    }

    func testFollowerAcrossRotation() throws {
        try forEachBackend { fixture in
            let trail = try fixture.trail()
            var follower = AuditFollower(sink: fixture.sink)
            XCTAssertEqual(try follower.poll().count, 0, "\(fixture.backend)")
            for _ in 0..<2 { try trail.record(Events.generateDataKey(trail.now)) }
            XCTAssertEqual(try follower.poll().map(\.chain.sequence), [1, 2], "\(fixture.backend)")
            try trail.rotate()
            try trail.record(Events.generateDataKey(trail.now))
            let polled = try follower.poll()
            XCTAssertEqual(polled.map(\.chain.sequence), [3], "\(fixture.backend)")
            XCTAssertEqual(polled.map(\.lineNumber), [1], "\(fixture.backend)")
        }
    }
}

/// An ``AuditSink`` that makes its writer's next append store half of its bytes and throw,
/// and, when asked, its truncations throw: the failures the trail must clean up after.
final class FailingSink: AuditSink {
    struct Faults {
        var failNextAppend = false
        var failTruncate = false
    }

    let base: any AuditSink
    let faults = Mutex(Faults())

    init(_ base: any AuditSink) { self.base = base }

    func list() throws(StorageError) -> [String] { try base.list() }

    func read(_ name: String, from offset: Int) throws(StorageError) -> [UInt8] { try base.read(name, from: offset) }

    func openWriter() throws(StorageError) -> any AuditSinkWriter { FailingWriter(base: try base.openWriter(), sink: self) }
}

final class FailingWriter: AuditSinkWriter {
    let base: any AuditSinkWriter
    let sink: FailingSink

    init(base: any AuditSinkWriter, sink: FailingSink) {
        self.base = base
        self.sink = sink
    }

    func createSegment(_ name: String, durability: Durability) throws(StorageError) { try base.createSegment(name, durability: durability) }

    func append(_ bytes: [UInt8], to name: String, durability: Durability) throws(StorageError) {
        let fail = sink.faults.withLock { faults in
            defer { faults.failNextAppend = false }
            return faults.failNextAppend
        }
        guard fail else { return try base.append(bytes, to: name, durability: durability) }
        try base.append(Array(bytes.prefix(bytes.count / 2)), to: name, durability: durability)
        throw StorageError(.io, "injected append failure")
    }

    func truncate(_ name: String, to length: Int, durability: Durability) throws(StorageError) {
        if sink.faults.withLock({ $0.failTruncate }) { throw StorageError(.io, "injected truncate failure") }
        try base.truncate(name, to: length, durability: durability)
    }

    func seal(_ name: String) throws(StorageError) { try base.seal(name) }

    func writeObject(_ name: String, _ bytes: [UInt8]) throws(StorageError) { try base.writeObject(name, bytes) }
}
