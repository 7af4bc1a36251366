@testable import CofferPolicy
import XCTest

/// Numeric, date, Bool, binary, IP address, ARN and Null operators.
final class TypedConditionTests: XCTestCase {
    func testNumeric() {
        check([
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], true),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10.0"]], true),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": 10}}"#, ["s3:max-keys": ["10"]], true),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["11"]], false),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["ten"]], false),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["0x0a"]], false),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "10"}}"#, [:], false),
            ConditionCase(#"{"NumericNotEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], false),
            ConditionCase(#"{"NumericNotEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["11"]], true),
            ConditionCase(#"{"NumericNotEquals": {"s3:max-keys": "10"}}"#, [:], true),
            ConditionCase(#"{"NumericNotEquals": {"s3:max-keys": ["10", "11"]}}"#, ["s3:max-keys": ["11"]], false),
            ConditionCase(#"{"NumericLessThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["9"]], true),
            ConditionCase(#"{"NumericLessThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], false),
            ConditionCase(#"{"NumericLessThan": {"s3:max-keys": "0"}}"#, ["s3:max-keys": ["-5"]], true),
            ConditionCase(#"{"NumericLessThan": {"s3:max-keys": ["5", "10"]}}"#, ["s3:max-keys": ["7"]], true),
            ConditionCase(#"{"NumericLessThanEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], true),
            ConditionCase(#"{"NumericLessThanEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10.5"]], false),
            ConditionCase(#"{"NumericGreaterThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["11"]], true),
            ConditionCase(#"{"NumericGreaterThan": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], false),
            ConditionCase(#"{"NumericGreaterThanEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["10"]], true),
            ConditionCase(#"{"NumericGreaterThanEquals": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["9"]], false),
            ConditionCase(#"{"NumericGreaterThanEquals": {"s3:max-keys": "1e1"}}"#, ["s3:max-keys": ["10"]], true),
            ConditionCase(#"{"NumericLessThanIfExists": {"s3:max-keys": "10"}}"#, [:], true),
            ConditionCase(#"{"NumericLessThanIfExists": {"s3:max-keys": "10"}}"#, ["s3:max-keys": ["11"]], false),
            ConditionCase(#"{"NumericEquals": {"s3:max-keys": "abc"}}"#, ["s3:max-keys": ["abc"]], false),  // unreadable policy value
        ])
    }

    func testDate() {
        let jan1 = "2026-01-01T00:00:00Z"
        check([
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": [jan1]], true),
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["1767225600"]], true),  // epoch
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "1767225600"}}"#, ["aws:CurrentTime": [jan1]], true),
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "2026-01-01T01:00:00+01:00"}}"#, ["aws:CurrentTime": [jan1]], true),
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "2026-01-01"}}"#, ["aws:CurrentTime": [jan1]], true),
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["2026-01-01T00:00:01Z"]], false),
            ConditionCase(#"{"DateEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, [:], false),
            ConditionCase(#"{"DateNotEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": [jan1]], false),
            ConditionCase(#"{"DateNotEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["2025-01-01T00:00:00Z"]], true),
            ConditionCase(#"{"DateNotEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, [:], true),
            ConditionCase(#"{"DateLessThan": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["2025-12-31T23:59:59Z"]], true),
            ConditionCase(#"{"DateLessThan": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": [jan1]], false),
            ConditionCase(#"{"DateLessThan": {"aws:CurrentTime": "2026-01-01"}}"#, ["aws:CurrentTime": ["2025-12-31T12:00:00Z"]], true),
            ConditionCase(#"{"DateLessThanEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": [jan1]], true),
            ConditionCase(#"{"DateLessThanEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["2026-01-01T00:00:00.001Z"]], false),
            ConditionCase(#"{"DateGreaterThan": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["2026-01-01T00:00:00.500Z"]], true),
            ConditionCase(#"{"DateGreaterThan": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": [jan1]], false),
            ConditionCase(#"{"DateGreaterThan": {"aws:CurrentTime": "1767225600"}}"#, ["aws:CurrentTime": ["2026-06-01T00:00:00.000Z"]], true),
            ConditionCase(#"{"DateGreaterThanEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": [jan1]], true),
            ConditionCase(#"{"DateGreaterThanEquals": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["2025-06-01T00:00:00Z"]], false),
            ConditionCase(#"{"DateGreaterThan": {"aws:CurrentTime": "\#(jan1)"}}"#, ["aws:CurrentTime": ["not a date"]], false),
            ConditionCase(#"{"DateLessThanIfExists": {"aws:CurrentTime": "\#(jan1)"}}"#, [:], true),
            ConditionCase(#"{"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00-05:00"}}"#, ["aws:TokenIssueTime": ["2026-01-01T04:59:59Z"]], true),
        ])
    }

    func testDateParser() {
        XCTAssertEqual(ConditionDate.parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(ConditionDate.parse("2026-01-01T00:00:00Z"), 1_767_225_600)
        XCTAssertEqual(ConditionDate.parse("20260101T000000Z"), 1_767_225_600)
        XCTAssertEqual(ConditionDate.parse("2024-02-29"), 1_709_164_800)
        XCTAssertEqual(ConditionDate.parse("2026-01-01T00:00:00.250Z"), 1_767_225_600.25)
        XCTAssertEqual(ConditionDate.parse("2026-01-01T02:30:00+0230"), 1_767_225_600)
        XCTAssertEqual(ConditionDate.parse("1767225600"), 1_767_225_600)
        XCTAssertEqual(ConditionDate.parse("-86400"), -86_400)
        for bad in ["", "2026-13-01", "2025-02-29", "2026-01-01T25:00:00Z", "2026-01-01T00:00:00Q", "yesterday", "2026-01-01T", "2026-1-1"] {
            XCTAssertNil(ConditionDate.parse(bad), bad)
        }
    }

    func testBool() {
        check([
            ConditionCase(#"{"Bool": {"aws:SecureTransport": "true"}}"#, ["aws:SecureTransport": ["true"]], true),
            ConditionCase(#"{"Bool": {"aws:SecureTransport": true}}"#, ["aws:SecureTransport": ["true"]], true),
            ConditionCase(#"{"Bool": {"aws:SecureTransport": "true"}}"#, ["aws:SecureTransport": ["TRUE"]], true),
            ConditionCase(#"{"Bool": {"aws:SecureTransport": "true"}}"#, ["aws:SecureTransport": ["false"]], false),
            ConditionCase(#"{"Bool": {"aws:SecureTransport": "true"}}"#, ["aws:SecureTransport": ["yes"]], false),
            ConditionCase(#"{"Bool": {"aws:SecureTransport": "true"}}"#, [:], false),
            ConditionCase(#"{"Bool": {"aws:SecureTransport": "false"}}"#, [:], false),
            ConditionCase(#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}"#, [:], true),
            ConditionCase(#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}"#, ["aws:MultiFactorAuthPresent": ["true"]], false),
        ])
    }

    func testBinary() {
        check([
            ConditionCase(#"{"BinaryEquals": {"k:b": "QmluYXJ5VmFsdWU="}}"#, ["k:b": ["QmluYXJ5VmFsdWU="]], true),
            ConditionCase(#"{"BinaryEquals": {"k:b": "QmluYXJ5VmFsdWU="}}"#, ["k:b": ["QmluYXJ5VmFsdWU"]], true),
            ConditionCase(#"{"BinaryEquals": {"k:b": "QmluYXJ5VmFsdWU="}}"#, ["k:b": ["T3RoZXI="]], false),
            ConditionCase(#"{"BinaryEquals": {"k:b": "QmluYXJ5VmFsdWU="}}"#, [:], false),
            ConditionCase(#"{"BinaryEqualsIfExists": {"k:b": "QmluYXJ5VmFsdWU="}}"#, [:], true),
        ])
        XCTAssertEqual(Base64.decode("QmluYXJ5VmFsdWU="), Array("BinaryValue".utf8))
        XCTAssertEqual(Base64.decode(""), [])
        XCTAssertNil(Base64.decode("a=b"))
        XCTAssertNil(Base64.decode("Q!=="))
    }

    func testIPAddress() {
        check([
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, ["aws:SourceIp": ["203.0.113.5"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, ["aws:SourceIp": ["203.0.114.5"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, [:], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.77/24"}}"#, ["aws:SourceIp": ["203.0.113.1"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.5"}}"#, ["aws:SourceIp": ["203.0.113.5"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.5"}}"#, ["aws:SourceIp": ["203.0.113.6"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.128/25"}}"#, ["aws:SourceIp": ["203.0.113.127"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "203.0.113.128/25"}}"#, ["aws:SourceIp": ["203.0.113.200"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}"#, ["aws:SourceIp": ["198.51.100.1"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}"#, ["aws:SourceIp": ["2001:db8::1"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}"#, ["aws:SourceIp": ["2001:db8:1234:5678:abcd::1"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}"#, ["aws:SourceIp": ["2001:db8:1234:5679::1"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "2001:db8::ff00:0/104"}}"#, ["aws:SourceIp": ["2001:db8::ff12:3456"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "2001:db8::ff00:0/104"}}"#, ["aws:SourceIp": ["2001:db8::fe00:1"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "::1"}}"#, ["aws:SourceIp": ["::1"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "::/0"}}"#, ["aws:SourceIp": ["fe80::1"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "::/0"}}"#, ["aws:SourceIp": ["10.0.0.1"]], false),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#, ["aws:SourceIp": ["::ffff:192.0.2.7"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}"#, ["aws:SourceIp": ["2001:db8::5"]], true),
            ConditionCase(#"{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#, ["aws:SourceIp": ["not-an-ip"]], false),
            ConditionCase(#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#, ["aws:SourceIp": ["10.1.2.3"]], false),
            ConditionCase(#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#, ["aws:SourceIp": ["192.0.2.1"]], true),
            ConditionCase(#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#, [:], true),
            ConditionCase(#"{"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}"#, ["aws:SourceIp": ["192.168.1.1"]], false),
            ConditionCase(#"{"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}"#, [:], true),
            ConditionCase(#"{"NotIpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}"#, ["aws:SourceIp": ["10.0.0.1"]], false),
        ])
    }

    func testIPParser() {
        XCTAssertEqual(IPBlock.parse("192.0.2.1"), IPBlock(isV6: false, high: 0, low: 0xC000_0201, prefix: 32))
        XCTAssertEqual(IPBlock.parse("2001:db8::1")?.high, 0x2001_0DB8_0000_0000)
        XCTAssertEqual(IPBlock.parse("2001:db8::1")?.low, 1)
        XCTAssertEqual(IPBlock.parse("::")?.prefix, 128)
        XCTAssertEqual(IPBlock.parse("1::")?.high, 0x0001_0000_0000_0000)
        XCTAssertEqual(IPBlock.parse("::ffff:1.2.3.4/128")?.isV6, true)
        XCTAssertEqual(IPBlock.parse("64:ff9b::192.0.2.33")?.low, 0xC000_0221)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4/33", "1.2.3.4/", "::1/129", "1:2:3:4:5:6:7:8:9",
                    "1::2::3", ":1::", "1:", "12345::", "g::1", "1.2.3.4/-1", " 1.2.3.4", "1..2.3"] {
            XCTAssertNil(IPBlock.parse(bad), bad)
        }
    }

    func testARN() {
        let aliceArn = "arn:aws:iam::123456789012:user/alice"
        check([
            ConditionCase(#"{"ArnEquals": {"aws:PrincipalArn": "\#(aliceArn)"}}"#, ["aws:PrincipalArn": [aliceArn]], true),
            ConditionCase(#"{"ArnEquals": {"aws:PrincipalArn": "\#(aliceArn)"}}"#, ["aws:PrincipalArn": ["arn:aws:iam::123456789012:user/bob"]], false),
            ConditionCase(#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/*"}}"#, ["aws:PrincipalArn": [aliceArn]], true),
            ConditionCase(#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/admin-*"}}"#,
                ["aws:PrincipalArn": ["arn:aws:iam::123456789012:role/admin-ops"]], true),
            ConditionCase(#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/admin-*"}}"#,
                ["aws:PrincipalArn": ["arn:aws:iam::123456789012:role/ops"]], false),
            ConditionCase(#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}"#, ["aws:PrincipalArn": ["arn:aws:iam::999999999999:role/x"]], true),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}"#, ["aws:SourceArn": ["arn:aws:s3:::b/k:with:colons"]], true),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b/*"}}"#, ["aws:SourceArn": ["arn:aws:s3:::c/x"]], false),
            // Components are matched separately: a star never spans a colon.
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s*:::b"}}"#, ["aws:SourceArn": ["arn:aws:s3:x:y:b"]], false),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s?:*:*:b"}}"#, ["aws:SourceArn": ["arn:aws:s3:us-east-1:123:b"]], true),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "*"}}"#, ["aws:SourceArn": ["anything"]], true),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}"#, ["aws:SourceArn": ["not-an-arn"]], false),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}"#, [:], false),
            ConditionCase(#"{"ArnNotEquals": {"aws:PrincipalArn": "\#(aliceArn)"}}"#, ["aws:PrincipalArn": [aliceArn]], false),
            ConditionCase(#"{"ArnNotEquals": {"aws:PrincipalArn": "\#(aliceArn)"}}"#, ["aws:PrincipalArn": ["arn:aws:iam::1:user/x"]], true),
            ConditionCase(#"{"ArnNotEquals": {"aws:PrincipalArn": "\#(aliceArn)"}}"#, [:], true),
            ConditionCase(#"{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}}"#, ["aws:PrincipalArn": [aliceArn]], false),
            ConditionCase(#"{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}}"#, ["aws:PrincipalArn": ["not-an-arn"]], true),
            ConditionCase(#"{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}}"#, [:], true),
            ConditionCase(#"{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}"#, [:], true),
            ConditionCase(#"{"ArnEqualsIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}"#, ["aws:SourceArn": ["arn:aws:s3:::c"]], false),
        ])
    }

    func testNull() {
        check([
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": "true"}}"#, [:], true),
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": "true"}}"#, ["s3:x-amz-server-side-encryption": ["AES256"]], false),
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": "false"}}"#, [:], false),
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": "false"}}"#, ["s3:x-amz-server-side-encryption": ["AES256"]], true),
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": true}}"#, [:], true),
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": "true"}}"#, ["s3:x-amz-server-side-encryption": []], true),
            ConditionCase(#"{"Null": {"s3:x-amz-server-side-encryption": ["true", "false"]}}"#, ["s3:x-amz-server-side-encryption": ["x"]], true),
            ConditionCase(#"{"Null": {"S3:X-AMZ-Server-Side-Encryption": "false"}}"#, ["s3:x-amz-server-side-encryption": ["x"]], true),
        ])
    }

    func testSetQualifiers() {
        check([
            // ForAllValues: every request value matches some policy value; true when missing.
            ConditionCase(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, ["aws:TagKeys": ["a"]], true),
            ConditionCase(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, ["aws:TagKeys": ["a", "b"]], true),
            ConditionCase(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, ["aws:TagKeys": ["a", "c"]], false),
            ConditionCase(#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, [:], true),
            ConditionCase(#"{"ForAllValues:StringLike": {"aws:TagKeys": "key1*"}}"#, ["aws:TagKeys": ["key1a", "key1b"]], true),
            ConditionCase(#"{"ForAllValues:StringLike": {"aws:TagKeys": "key1*"}}"#, ["aws:TagKeys": ["key1a", "key2"]], false),
            // ForAnyValue: at least one request value matches; false when missing.
            ConditionCase(#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, ["aws:TagKeys": ["c", "b"]], true),
            ConditionCase(#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, ["aws:TagKeys": ["c", "d"]], false),
            ConditionCase(#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, [:], false),
            // Negated operators under a qualifier: "passes" means "matches none of the values".
            ConditionCase(#"{"ForAllValues:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}"#, ["aws:TagKeys": ["owner:Legal"]], true),
            ConditionCase(#"{"ForAllValues:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}"#, ["aws:TagKeys": ["Owner:Legal", "State:NY"]], false),
            ConditionCase(#"{"ForAllValues:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}"#, ["aws:TagKeys": ["owner:Legal", "State:NewYork"]], true),
            ConditionCase(#"{"ForAllValues:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}"#, [:], true),
            ConditionCase(#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}}"#, ["aws:TagKeys": ["DataClass", "Other"]], true),
            ConditionCase(#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}}"#, ["aws:TagKeys": ["DataClass", "Owner"]], false),
            ConditionCase(#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}}"#, [:], false),
            ConditionCase(#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": "a"}}"#, ["aws:TagKeys": ["b", "c"]], true),
            ConditionCase(#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": "a"}}"#, ["aws:TagKeys": ["a", "b"]], false),
            ConditionCase(#"{"ForAnyValue:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}"#, ["aws:TagKeys": ["Owner:x", "State:NY"]], false),
            ConditionCase(#"{"ForAnyValue:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}"#, ["aws:TagKeys": ["Owner:x", "Other"]], true),
            // With IfExists a missing key holds whatever the qualifier.
            ConditionCase(#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}"#, [:], true),
            ConditionCase(#"{"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": "a"}}"#, [:], true),
            ConditionCase(#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}"#, ["aws:TagKeys": ["b"]], false),
            // Other families under a qualifier.
            ConditionCase(#"{"ForAnyValue:NumericGreaterThan": {"k:n": "5"}}"#, ["k:n": ["1", "10"]], true),
            ConditionCase(#"{"ForAllValues:NumericGreaterThan": {"k:n": "5"}}"#, ["k:n": ["1", "10"]], false),
            ConditionCase(#"{"ForAnyValue:IpAddress": {"k:ip": "10.0.0.0/8"}}"#, ["k:ip": ["192.0.2.1", "10.9.9.9"]], true),
            ConditionCase(#"{"ForAllValues:ArnLike": {"k:arn": "arn:aws:iam::*:role/*"}}"#, ["k:arn": ["arn:aws:iam::1:role/a", "arn:aws:iam::2:role/b"]], true),
            ConditionCase(#"{"ForAllValues:StringEqualsIgnoreCase": {"aws:TagKeys": ["A", "B"]}}"#, ["aws:TagKeys": ["a", "b"]], true),
        ])
    }
}
