@testable import CofferAudit
import Foundation
import XCTest

final class AuditJSONTests: XCTestCase {
    func testSerializationIsDeterministicAndSorted() {
        let value: AuditJSON = ["b": 1, "a": [true, nil, 1.5, "x"], "é": "\"\\\n\u{01}", "A": ["z": 0, "y": -3]]
        XCTAssertEqual(value.serializedString, #"{"A":{"y":-3,"z":0},"a":[true,null,1.5,"x"],"b":1,"é":"\"\\\n\u0001"}"#)
        XCTAssertEqual(AuditJSON.parse(value.serialized()), value)
    }

    func testNumbers() {
        XCTAssertEqual(AuditJSON.number(42).serializedString, "42")
        XCTAssertEqual(AuditJSON.number(-0.25).serializedString, "-0.25")
        XCTAssertEqual(AuditJSON.number(.nan).serializedString, "null")
        XCTAssertEqual(AuditJSON.number(1_795_608_000).integerValue, 1_795_608_000)
        XCTAssertNil(AuditJSON.number(1.5).integerValue)
    }

    func testTimestamps() throws {
        let date = Date(timeIntervalSince1970: 1_795_608_000)
        XCTAssertEqual(AuditTimestamp.iso8601(date), "2026-11-25T12:00:00Z")
        XCTAssertEqual(AuditTimestamp.compact(date), "20261125T120000Z")
        XCTAssertEqual(AuditTimestamp.parse("2026-11-25T12:00:00Z"), date)
        XCTAssertEqual(AuditTimestamp.parse("2026-11-25T13:30:00+01:30"), date)
        XCTAssertEqual(AuditTimestamp.parse("2026-11-25T12:00:00.500Z"), date + 0.5)
        XCTAssertEqual(AuditTimestamp.parse("2026-11-25"), date - 12 * 3600)
        XCTAssertEqual(AuditTimestamp.iso8601(Date(timeIntervalSince1970: 951_782_400)), "2000-02-29T00:00:00Z")
        for bad in ["", "2026-13-01T00:00:00Z", "2026-11-25T12:00:00", "2026-11-25 12:00:00Z", "tomorrow"] {
            XCTAssertNil(AuditTimestamp.parse(bad), bad)
        }
    }

    func testEventRoundTripsThroughItsJSON() throws {
        let time = Date(timeIntervalSince1970: 1_795_608_000)
        var event = Events.generateDataKey(time, objectArn: "arn:aws:s3:::b/o")
        event.errorCode = "AccessDeniedException"
        event.errorMessage = "not allowed"
        event.additionalEventData = ["note": "x"]
        let line = event.json.serialized()
        let parsed = try AuditEvent(json: try XCTUnwrap(AuditJSON.parse(line)))
        XCTAssertEqual(parsed, event)
        XCTAssertEqual(parsed.eventTime, time)
        let json = try XCTUnwrap(AuditJSON.parse(line))
        XCTAssertEqual(json["eventVersion"], "1.08")
        XCTAssertEqual(json["eventTime"], "2026-11-25T12:00:00Z")
        XCTAssertEqual(json["eventSource"], "kms.amazonaws.com")
        XCTAssertEqual(json["eventCategory"], "Management")
        XCTAssertEqual(json["managementEvent"], true)
        XCTAssertEqual(json["readOnly"], true)
        XCTAssertEqual(json["resources"], [["ARN": .string(Events.keyArn), "accountId": .string(Events.account), "type": "AWS::KMS::Key"]])
        XCTAssertEqual(json["userIdentity"]?["arn"], "arn:aws:iam::123456789012:user/alice")
        XCTAssertEqual(json["responseElements"], .null)
    }

    func testS3DataEventShape() throws {
        let event = AuditEvent.s3DataEvent("PutObject", context: Events.context(Date(timeIntervalSince1970: 0)), bucket: "b", key: "a/b c",
                                           extraParameters: ["x-amz-server-side-encryption": "aws:kms"])
        let json = event.json
        XCTAssertEqual(json["managementEvent"], false)
        XCTAssertEqual(json["eventCategory"], "Data")
        XCTAssertEqual(json["eventType"], "AwsApiCall")
        XCTAssertEqual(json["readOnly"], false)
        XCTAssertEqual(json["requestParameters"]?["bucketName"], "b")
        XCTAssertEqual(json["requestParameters"]?["key"], "a/b c")
        XCTAssertEqual(json["resources"]?.arrayValue?.first?["ARN"], "arn:aws:s3:::b/a/b c")
        XCTAssertNil(json["errorCode"])
        XCTAssertEqual(AuditEvent.s3DataEvent("GetObject", context: Events.context(Date()), bucket: "b", key: "k").readOnly, true)
    }
}
