@testable import CofferAudit
import Foundation
import XCTest

final class LookupEventsTests: XCTestCase {
    private var fixture: TrailFixture!
    private let start = Date(timeIntervalSince1970: 1_795_608_000)

    /// Seven KMS calls (GenerateDataKey by alice at +0, +10, ... +60; Decrypt by bob at +30)
    /// and two S3 data events.
    override func setUpWithError() throws {
        fixture = TrailFixture(self)
        let clock = TestClock(start)
        let trail = try AuditTrail(directory: fixture.directory, keyDirectory: fixture.keyDirectory, clock: clock.function)
        for index in 0..<7 {
            if index == 3 {
                try trail.record(.kmsCall("Decrypt", context: Events.context(clock.now, user: "bob", accessKey: "AKIABOB"), keyArn: Events.keyArn,
                                          requestParameters: ["keyId": .string(Events.keyArn)]))
                try trail.record(.s3DataEvent("GetObject", context: Events.context(clock.now), bucket: "b", key: "k"))
            } else {
                try trail.record(Events.generateDataKey(clock.now))
            }
            if index == 4 { try trail.rotate() }
            clock.advance(10)
        }
        try trail.record(.s3DataEvent("PutObject", context: Events.context(clock.now), bucket: "b", key: "k"))
    }

    private func call(_ body: String, includeDataEvents: Bool = false) -> (status: Int, json: AuditJSON) {
        let (status, bytes) = LookupEventsAPI.handle(body: Array(body.utf8), reader: AuditReader(directory: fixture.directory),
                                                     includeDataEvents: includeDataEvents)
        return (status, AuditJSON.parse(bytes) ?? .null)
    }

    private func times(_ json: AuditJSON) -> [Int64] { json["Events"]?.arrayValue?.compactMap { $0["EventTime"]?.integerValue } ?? [] }

    func testAllManagementEventsNewestFirst() throws {
        let (status, json) = call("{}")
        XCTAssertEqual(status, 200)
        let base = Int64(start.timeIntervalSince1970)
        XCTAssertEqual(times(json), [60, 50, 40, 30, 20, 10, 0].map { base + $0 })
        XCTAssertNil(json["NextToken"])
        let event = try XCTUnwrap(json["Events"]?.arrayValue?.first)
        XCTAssertEqual(event["EventName"], "GenerateDataKey")
        XCTAssertEqual(event["EventSource"], "kms.amazonaws.com")
        XCTAssertEqual(event["ReadOnly"], "true")
        XCTAssertEqual(event["Username"], "alice")
        XCTAssertEqual(event["AccessKeyId"], "AKIAALICE")
        XCTAssertEqual(event["Resources"], [["ResourceType": "AWS::KMS::Key", "ResourceName": .string(Events.keyArn)]])
        let embedded = try XCTUnwrap(event["CloudTrailEvent"]?.stringValue.flatMap(AuditJSON.parse))
        XCTAssertEqual(embedded["eventID"], event["EventId"])
        XCTAssertNil(embedded["cofferChain"])
        XCTAssertEqual(try AuditEvent(json: embedded).eventName, "GenerateDataKey")
    }

    func testDataEventsOnRequest() {
        XCTAssertEqual(call("{}", includeDataEvents: true).json["Events"]?.arrayValue?.count, 9)
    }

    func testPaging() throws {
        var token: String?
        var pages: [[Int64]] = []
        repeat {
            var body = #"{"MaxResults": 3"#
            if let token { body += #", "NextToken": "\#(token)""# }
            let (status, json) = call(body + "}")
            XCTAssertEqual(status, 200)
            pages.append(times(json).map { $0 - Int64(start.timeIntervalSince1970) })
            token = json["NextToken"]?.stringValue
        } while token != nil && pages.count < 10
        XCTAssertEqual(pages, [[60, 50, 40], [30, 20, 10], [0]])
    }

    /// Two nodes' trails (a shared store) answer as one, newest first, paged by a token that
    /// holds a position in each; events at one time on both nodes are neither lost nor repeated.
    func testMergedTrailsPageAsOne() throws {
        let other = TrailFixture(self, backend: .memory)
        let clock = TestClock(start + 5)
        let trail = try other.trail(clock: clock)
        for index in 0..<4 {
            try trail.record(Events.generateDataKey(clock.now, user: "carol"))
            if index == 1 { try trail.rotate() }
            clock.advance(index == 2 ? 5 : 10) // +5, +15, +25, +30 (the same second as the first node's Decrypt)
        }
        try trail.close()
        let readers = ["node-a": AuditReader(directory: fixture.directory), "node-b": AuditReader(sink: other.sink)]
        var token: String?
        var pages: [[Int64]] = []
        repeat {
            var body = #"{"MaxResults": 4"#
            if let token { body += #", "NextToken": "\#(token)""# }
            let (status, bytes) = LookupEventsAPI.handle(body: Array((body + "}").utf8), readers: readers)
            XCTAssertEqual(status, 200)
            let json = AuditJSON.parse(bytes) ?? .null
            pages.append(times(json).map { $0 - Int64(start.timeIntervalSince1970) })
            token = json["NextToken"]?.stringValue
        } while token != nil && pages.count < 10
        XCTAssertEqual(pages, [[60, 50, 40, 30], [30, 25, 20, 15], [10, 5, 0]])
        // A token of a lone trail is not one of merged trails with other parameters.
        let (status, _) = LookupEventsAPI.handle(body: Array(#"{"NextToken": "djI6bm9kZS1hPTM6eA=="}"#.utf8), readers: readers)
        XCTAssertEqual(status, 400)
    }

    func testAttributeFilters() {
        func count(_ key: String, _ value: String) -> Int? {
            call(#"{"LookupAttributes": [{"AttributeKey": "\#(key)", "AttributeValue": "\#(value)"}]}"#).json["Events"]?.arrayValue?.count
        }
        XCTAssertEqual(count("EventName", "Decrypt"), 1)
        XCTAssertEqual(count("Username", "bob"), 1)
        XCTAssertEqual(count("Username", "alice"), 6)
        XCTAssertEqual(count("AccessKeyId", "AKIABOB"), 1)
        XCTAssertEqual(count("ResourceType", "AWS::KMS::Key"), 7)
        XCTAssertEqual(count("ResourceName", Events.keyArn), 7)
        XCTAssertEqual(count("ResourceName", Events.keyId), 0)
        XCTAssertEqual(count("EventSource", "kms.amazonaws.com"), 7)
        XCTAssertEqual(count("EventSource", "s3.amazonaws.com"), 0)
        XCTAssertEqual(count("ReadOnly", "true"), 7)
        XCTAssertEqual(count("ReadOnly", "false"), 0)
        let id = call("{}").json["Events"]?.arrayValue?[2]["EventId"]?.stringValue ?? ""
        XCTAssertEqual(count("EventId", id), 1)
    }

    func testTimeRange() {
        let base = start.timeIntervalSince1970
        let (status, json) = call(#"{"StartTime": \#(base + 10), "EndTime": \#(base + 30)}"#)
        XCTAssertEqual(status, 200)
        XCTAssertEqual(times(json).map { $0 - Int64(base) }, [30, 20, 10])
    }

    func testInsightCategoryIsEmpty() {
        let (status, json) = call(#"{"EventCategory": "insight"}"#)
        XCTAssertEqual(status, 200)
        XCTAssertEqual(json["Events"], [])
    }

    func testErrors() {
        func error(_ body: String) -> String? {
            let (status, json) = call(body)
            XCTAssertEqual(status, 400, body)
            XCTAssertNotNil(json["message"]?.stringValue, body)
            return json["__type"]?.stringValue
        }
        XCTAssertEqual(error(#"{"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "A"}, {"AttributeKey": "Username", "AttributeValue": "B"}]}"#),
                       "InvalidLookupAttributesException")
        XCTAssertEqual(error(#"{"LookupAttributes": [{"AttributeKey": "Color", "AttributeValue": "A"}]}"#), "InvalidLookupAttributesException")
        XCTAssertEqual(error(#"{"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": ""}]}"#), "InvalidLookupAttributesException")
        XCTAssertEqual(error(#"{"StartTime": 200, "EndTime": 100}"#), "InvalidTimeRangeException")
        XCTAssertEqual(error(#"{"MaxResults": 0}"#), "InvalidMaxResultsException")
        XCTAssertEqual(error(#"{"MaxResults": 51}"#), "InvalidMaxResultsException")
        XCTAssertEqual(error(#"{"MaxResults": 2.5}"#), "InvalidMaxResultsException")
        XCTAssertEqual(error(#"{"EventCategory": "management"}"#), "InvalidEventCategoryException")
        XCTAssertEqual(error(#"{"NextToken": "not-a-token"}"#), "InvalidNextTokenException")
        XCTAssertEqual(error("[1"), "SerializationException")
        XCTAssertEqual(error(#"{"StartTime": "yesterday"}"#), "SerializationException")
        // A token is only valid with the parameters it was issued for.
        let token = call(#"{"MaxResults": 1}"#).json["NextToken"]?.stringValue ?? ""
        XCTAssertEqual(error(#"{"NextToken": "\#(token)", "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Decrypt"}]}"#),
                       "InvalidNextTokenException")
        XCTAssertEqual(call(#"{"NextToken": "\#(token)", "MaxResults": 50}"#).json["Events"]?.arrayValue?.count, 6)
    }

    func testEmptyBody() {
        XCTAssertEqual(call("").status, 200)
    }
}
