@testable import CofferAudit
import CofferStorage
import Foundation
import XCTest

/// A trail copied into another sink verifies there with the same key, and a trail opened on
/// the copy continues the chain.
final class AuditTrailCopyTests: XCTestCase {
    func testCopiedTrailVerifiesAndContinues() throws {
        let source = TrailFixture(self)
        let clock = TestClock()
        let trail = try source.trail(clock: clock)
        for index in 0..<12 {
            try trail.record(Events.generateDataKey(clock.now, user: "u\(index)"))
            if index % 5 == 4 { try trail.rotate() }
            clock.advance(1)
        }
        try trail.close()
        let destination = MemoryAuditSink()
        let counts = try AuditTrailCopy.copy(from: source.sink, into: destination)
        XCTAssertEqual(counts.logFiles, 3)
        XCTAssertEqual(counts.digestFiles, 3)
        let key = try source.publicKey()
        XCTAssertTrue(AuditVerifier.verify(sink: destination, publicKey: key).isValid)
        XCTAssertEqual(try AuditReader(sink: destination).records().count, 12)
        // A second copy into the same sink is refused, not merged.
        XCTAssertThrowsError(try AuditTrailCopy.copy(from: source.sink, into: destination))
        let continued = try AuditTrail(sink: destination, keyDirectory: source.keyDirectory, clock: clock.function)
        try continued.record(Events.generateDataKey(clock.now, user: "after"))
        try continued.close()
        let report = AuditVerifier.verify(sink: destination, publicKey: key)
        XCTAssertTrue(report.isValid, report.summary)
        XCTAssertEqual(try AuditReader(sink: destination).records().map { $0.event.userIdentity.userName ?? "" }.last, "after")
    }
}
