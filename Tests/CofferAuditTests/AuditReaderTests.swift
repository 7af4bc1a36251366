@testable import CofferAudit
import Foundation
import XCTest

final class AuditReaderTests: XCTestCase {
    /// 1 GenerateDataKey (alice, for b/photo.jpg), 2 Decrypt refused (bob, bare key id),
    /// 3 PutObject (alice, b/photo.jpg), 4 GetObject (root, other/doc), 5 CreateKey (alice, other key).
    private func makeTrail() throws -> (TrailFixture, TestClock) {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        try trail.record(Events.generateDataKey(clock.now, objectArn: "arn:aws:s3:::b/photo.jpg"))
        clock.advance(60)
        try trail.record(.kmsCall("Decrypt", context: Events.context(clock.now, user: "bob", accessKey: "AKIABOB", ip: "10.0.0.2", requestID: "req-2"),
                                  keyArn: nil, requestParameters: ["keyId": .string(Events.keyId)],
                                  failure: AuditFailure(code: "AccessDeniedException", message: "denied")))
        clock.advance(60)
        try trail.rotate()
        try trail.record(.s3DataEvent("PutObject", context: Events.context(clock.now), bucket: "b", key: "photo.jpg"))
        clock.advance(60)
        let root = AuditContext(time: clock.now, region: "us-east-1", identity: .root(accountId: Events.account, accessKeyId: "AKIAROOT"),
                                sourceIPAddress: "10.0.0.3", requestID: "req-4", recipientAccountId: Events.account)
        try trail.record(.s3DataEvent("GetObject", context: root, bucket: "other", key: "doc"))
        clock.advance(60)
        try trail.record(.kmsCall("CreateKey", context: Events.context(clock.now), keyArn: "arn:aws:kms:us-east-1:123456789012:key/other",
                                  requestParameters: ["keySpec": "SYMMETRIC_DEFAULT"],
                                  responseElements: ["keyMetadata": ["keyId": "other", "arn": "arn:aws:kms:us-east-1:123456789012:key/other"]]))
        return (fixture, clock)
    }

    private func names(_ fixture: TrailFixture, _ filter: AuditFilter) throws -> [String] {
        try AuditReader(directory: fixture.directory).records(matching: filter).map(\.event.eventName)
    }

    func testFilters() throws {
        let (fixture, clock) = try makeTrail()
        let start = clock.now - 240
        XCTAssertEqual(try names(fixture, AuditFilter()), ["GenerateDataKey", "Decrypt", "PutObject", "GetObject", "CreateKey"])
        XCTAssertEqual(try names(fixture, AuditFilter(since: start + 60, until: start + 120)), ["Decrypt", "PutObject"])
        XCTAssertEqual(try names(fixture, AuditFilter(eventName: "Decrypt")), ["Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(key: Events.keyId)), ["GenerateDataKey", "Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(key: Events.keyArn)), ["GenerateDataKey", "Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(key: "key/" + Events.keyId)), ["GenerateDataKey", "Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(key: "arn:aws:kms:eu-west-1:999999999999:key/" + Events.keyId)), ["Decrypt"],
                       "an ARN of another account matches only the bare id")
        XCTAssertEqual(try names(fixture, AuditFilter(key: "alias/app")), ["GenerateDataKey"])
        XCTAssertEqual(try names(fixture, AuditFilter(key: "other")), ["CreateKey"])
        XCTAssertEqual(try names(fixture, AuditFilter(bucket: "b")), ["GenerateDataKey", "PutObject"])
        XCTAssertEqual(try names(fixture, AuditFilter(bucket: "b", objectKey: "photo.jpg")), ["GenerateDataKey", "PutObject"])
        XCTAssertEqual(try names(fixture, AuditFilter(objectKey: "doc")), ["GetObject"])
        XCTAssertEqual(try names(fixture, AuditFilter(principal: "bob")), ["Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(principal: "arn:aws:iam::123456789012:root")), ["GetObject"])
        XCTAssertEqual(try names(fixture, AuditFilter(accessKeyId: "AKIABOB")), ["Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(sourceIPAddress: "10.0.0.3")), ["GetObject"])
        XCTAssertEqual(try names(fixture, AuditFilter(requestID: "req-2")), ["Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(errorsOnly: true)), ["Decrypt"])
        XCTAssertEqual(try names(fixture, AuditFilter(principal: "alice", errorsOnly: true)), [])
    }

    func testNewestFirstAndEarlyStop() throws {
        let (fixture, _) = try makeTrail()
        var seen: [Int64] = []
        try AuditReader(directory: fixture.directory).forEach(newestFirst: true) { record in
            seen.append(record.chain.sequence)
            return seen.count < 3
        }
        XCTAssertEqual(seen, [5, 4, 3])
    }

    func testPartialLastLineIsSkipped() throws {
        let (fixture, _) = try makeTrail()
        let active = try XCTUnwrap(fixture.logFiles().last)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: fixture.path(active)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"eventVersion":"1.0"#.utf8))
        try handle.close()
        let records = try AuditReader(directory: fixture.directory).records()
        XCTAssertEqual(records.count, 5)
        XCTAssertEqual(records.last?.file, active)
        XCTAssertEqual(records.last?.lineNumber, 3)
        let report = try fixture.verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.notes.count, 1)
    }

    func testFollowerAcrossRotation() throws {
        let fixture = TrailFixture(self)
        let clock = TestClock()
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        var follower = AuditFollower(directory: fixture.directory)
        XCTAssertEqual(try follower.poll().count, 0)
        for _ in 0..<3 { try trail.record(Events.generateDataKey(clock.now)) }
        XCTAssertEqual(try follower.poll().map(\.chain.sequence), [1, 2, 3])
        XCTAssertEqual(try follower.poll().count, 0)
        try trail.record(Events.generateDataKey(clock.now))
        try trail.rotate()
        try trail.record(Events.generateDataKey(clock.now))
        try trail.rotate()
        try trail.record(Events.generateDataKey(clock.now))
        let polled = try follower.poll()
        XCTAssertEqual(polled.map(\.chain.sequence), [4, 5, 6])
        XCTAssertEqual(polled.map(\.lineNumber), [4, 1, 1])
        XCTAssertEqual(Set(polled.map(\.file)).count, 3)
        XCTAssertEqual(try follower.poll().count, 0)
    }
}
