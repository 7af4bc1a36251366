@testable import CofferAudit
import CofferStorage
import Foundation
import XCTest

/// Several nodes' trails read as one, in event-time order.
final class MergedAuditFollowerTests: XCTestCase {
    func testMergesNodesByEventTimeAndFollowsEach() throws {
        let start = Date(timeIntervalSince1970: 1_795_608_000)
        let a = TrailFixture(self, backend: .memory), b = TrailFixture(self, backend: .memory)
        let trailA = try a.trail(), trailB = try b.trail()
        // Interleaved times, written to each trail in its own order.
        for second in [0.0, 2, 4] { try trailA.record(Events.generateDataKey(start + second, user: "a\(Int(second))")) }
        for second in [1.0, 3, 4] { try trailB.record(Events.generateDataKey(start + second, user: "b\(Int(second))")) }
        var merged = MergedAuditFollower(sinks: ["node-b": b.sink, "node-a": a.sink])
        XCTAssertEqual(merged.nodes, ["node-a", "node-b"])
        let first = try merged.poll()
        XCTAssertEqual(first.map { "\($0.node):\($0.record.event.userIdentity.userName ?? "")" },
                       ["node-a:a0", "node-b:b1", "node-a:a2", "node-b:b3", "node-a:a4", "node-b:b4"])
        XCTAssertEqual(try merged.poll(), [])
        // Each trail is followed on: only what was appended since.
        try trailB.record(Events.generateDataKey(start + 6, user: "b6"))
        try trailA.record(Events.generateDataKey(start + 5, user: "a5"))
        XCTAssertEqual(try merged.poll().map { "\($0.node):\($0.record.event.userIdentity.userName ?? "")" }, ["node-a:a5", "node-b:b6"])
        try trailA.close()
        try trailB.close()
    }

    func testNoNodesReadsNothing() throws {
        var merged = MergedAuditFollower(sinks: [:])
        XCTAssertEqual(try merged.poll(), [])
    }
}
