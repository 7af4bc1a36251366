@testable import CofferPolicy
import XCTest

/// The grammar: a corpus of accepted documents and a corpus of refused ones with S3's reasons.
final class ParseTests: XCTestCase {
    private let read = #"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#

    func testAcceptedCorpus() {
        let accepted: [(String, UInt)] = [
            (document(read), #line),
            // Statement as a single object; Action, Resource and Principal as strings or arrays.
            (#"{"Version": "2012-10-17", "Statement": \#(read)}"#, #line),
            (document(#"{"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/*"]}"#), #line),
            // Version 2008-10-17, no Version, an Id, a Sid with spaces and punctuation (S3 accepts any text).
            (#"{"Version": "2008-10-17", "Statement": [\#(read)]}"#, #line),
            (#"{"Statement": [\#(read)]}"#, #line),
            (#"{"Version": "2012-10-17", "Id": "Policy 1", "Statement": [\#(read)]}"#, #line),
            (document(#"{"Sid": "Allow get requests from example.com", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), #line),
            (document(#"{"Sid": "", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), #line),
            // Leading whitespace, escapes, Unicode.
            ("\n  " + document(read), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/caf\u00e9/\ud83d\ude00/*"}"#), #line),
            // Resources: the bucket, objects, wildcards that can name the bucket, variables.
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b*"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::?/*"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/home/${aws:username}/*"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::b/*"}"#), #line),
            // Action wildcards that include an action for the resource; NotAction; NotResource.
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:List*", "Resource": "arn:aws:s3:::b/*"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::b"}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "S3:getobject", "Resource": "arn:aws:s3:::b/*"}"#), #line),
            (document(#"{"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b"}"#), #line),
            (document(#"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/public/*"}"#), #line),
            (document(#"{"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}"#), #line),
            // An action the table does not know gets the benefit of the doubt (lint reports it).
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObjectz", "Resource": "arn:aws:s3:::b"}"#), #line),
            // Principal forms.
            (document(#"{"Effect": "Allow", "Principal": {"AWS": ["123456789012", "arn:aws:iam::123456789012:user/a", "arn:aws:iam::123456789012:role/x/y", "arn:aws:sts::123456789012:assumed-role/y/s", "arn:aws:sts::123456789012:federated-user/f"], "Service": "logging.s3.amazonaws.com", "CanonicalUser": "\#(String(repeating: "0f", count: 32))", "Federated": "cognito-identity.amazonaws.com"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), #line),
            // Conditions: every family, numbers and booleans as JSON scalars, empty blocks.
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"s3:x": ["a", 1, true]}, "NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": true}, "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}, "Null": {"k:x": "true"}, "BinaryEquals": {"k:b": "AAAA"}, "ForAllValues:StringLike": {"aws:TagKeys": "a*"}, "ForAnyValue:StringNotEqualsIfExists": {"aws:TagKeys": "x"}}}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {}}"#), #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"k:x": []}}}"#), #line),
            // Several statements with distinct Sids.
            (document("\(read.replacingSid("A")), \(read.replacingSid("B"))"), #line),
        ]
        for (json, line) in accepted {
            XCTAssertNoThrow(try Policy.parse(json, bucket: "b"), line: line)
        }
    }

    func testIdentityPolicies() throws {
        let p = try Policy.parse(document(#"{"Sid": "S1", "Effect": "Allow", "Action": ["s3:*", "iam:GetUser", "ec2:Describe*"], "Resource": "*"}"#), requirePrincipal: false)
        XCTAssertNil(p.statements[0].principals)
        XCTAssertEqual(p.evaluate(PolicyRequest(principal: alice, action: "s3:PutObject", resource: "arn:aws:s3:::any/k")).decision, .allow)
        XCTAssertNoThrow(try Policy.parse(document(#"{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t"}"#), requirePrincipal: false))
        XCTAssertNoThrow(try Policy.parse(document(#"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}"#), requirePrincipal: false))
        XCTAssertThrowsError(try Policy.parse(document(read), requirePrincipal: false)) {
            XCTAssertEqual(($0 as? PolicyError)?.reason, "Policy document should not specify a principal.")
        }
        XCTAssertThrowsError(try Policy.parse(document(#"{"Sid": "my sid", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#), requirePrincipal: false)) {
            XCTAssertEqual(($0 as? PolicyError)?.code, .invalidSid)
        }
    }

    func testRejectedCorpus() {
        let big = document(read).dropLast(2) + String(repeating: " ", count: 20481) + "]}"
        let rejected: [(String, String, UInt)] = [
            ("", "Policies must be valid JSON and the first byte must be '{'", #line),
            ("[]", "Policies must be valid JSON and the first byte must be '{'", #line),
            ("\"{}\"", "Policies must be valid JSON and the first byte must be '{'", #line),
            ("{", "Policies must be valid JSON and the first byte must be '{'", #line),
            ("{} x", "Policies must be valid JSON and the first byte must be '{'", #line),
            (document(read + ","), "Policies must be valid JSON and the first byte must be '{'", #line),
            (#"{"Statement": [\#(read)],}"#, "Policies must be valid JSON and the first byte must be '{'", #line),
            (#"{'Statement': []}"#, "Policies must be valid JSON and the first byte must be '{'", #line),
            (#"{"Statement": [\#(read)] /* comment */}"#, "Policies must be valid JSON and the first byte must be '{'", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/\u12"}"#), "Policies must be valid JSON and the first byte must be '{'", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/\ud800"}"#), "Policies must be valid JSON and the first byte must be '{'", #line),
            (String(big), "Policy document exceeds the maximum size", #line),
            (document(#"{"Effect": "Allow", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Duplicate key Effect", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4", "aws:SourceIp": "5.6.7.8"}}}"#), "Duplicate key aws:SourceIp", #line),
            (#"{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": [\#(read)]}"#, "Duplicate key Version", #line),
            (#"{"Version": "2012-10-17"}"#, "Missing required field Statement", #line),
            (#"{"Version": "2012-10-17", "Statement": []}"#, "Missing required field Statement", #line),
            (#"{"Version": "2012-10-17", "Foo": 1, "Statement": [\#(read)]}"#, "Unknown field Foo", #line),
            (#"{"version": "2012-10-17", "Statement": [\#(read)]}"#, "Unknown field version", #line),
            (#"{"Version": "2012-10-18", "Statement": [\#(read)]}"#, "Invalid policy version", #line),
            (#"{"Version": 2012, "Statement": [\#(read)]}"#, "Invalid policy version", #line),
            (document(#"{"Effect": "Allow", "Principals": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Unknown field Principals", #line),
            (document(#"{"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Missing required field Effect", #line),
            (document(#"{"Effect": "Allowx", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Invalid effect: Allowx", #line),
            (document(#"{"Effect": "allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Invalid effect: allow", #line),
            (document(#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Missing required field Principal", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Resource": "arn:aws:s3:::b/*"}"#), "Missing required field Action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": [], "Resource": "arn:aws:s3:::b/*"}"#), "Missing required field Action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}"#), "Missing required field Resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#), "Statement cannot contain both Action and NotAction", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Statement cannot contain both Principal and NotPrincipal", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "NotResource": "arn:aws:s3:::b/x"}"#), "Statement cannot contain both Resource and NotResource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3GetObject", "Resource": "arn:aws:s3:::b/*"}"#), "Policy has invalid action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:", "Resource": "arn:aws:s3:::b/*"}"#), "Policy has invalid action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:Get Object", "Resource": "arn:aws:s3:::b/*"}"#), "Policy has invalid action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "ec2:RunInstances", "Resource": "arn:aws:s3:::b/*"}"#), "Policy has invalid action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": 5, "Resource": "arn:aws:s3:::b/*"}"#), "Policy has invalid action", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "b/*"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1::b/*"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3::123456789012:b/*"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:sqs:::b/*"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::"}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", 3]}"#), "Policy has invalid resource", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}"#), "Action does not apply to any resource(s) in statement", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}"#), "Action does not apply to any resource(s) in statement", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}"#), "Action does not apply to any resource(s) in statement", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::b"}"#), "Action does not apply to any resource(s) in statement", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject*", "Resource": "arn:aws:s3:::b"}"#), "Action does not apply to any resource(s) in statement", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEqualz": {"k:x": "a"}}}"#), "Invalid Condition type : StringEqualz", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"NullIfExists": {"k:x": "true"}}}"#), "Invalid Condition type : NullIfExists", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"stringequals": {"k:x": "a"}}}"#), "Invalid Condition type : stringequals", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"ForSomeValues:StringEquals": {"k:x": "a"}}}"#), "Invalid Condition type : ForSomeValues:StringEquals", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"nocolon": "a"}}}"#), "Policy has an invalid condition key", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"k:x": {"a": 1}}}}"#), "Invalid Condition value for k:x", #line),
            (document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"k:x": null}}}"#), "Invalid Condition value for k:x", #line),
            (document("\(read.replacingSid("A")), \(read.replacingSid("A"))"), "Statement IDs (SID) in a single policy must be unique.", #line),
            (document(#""just a string""#), "Statement must be an object", #line),
        ]
        for (json, reason, line) in rejected {
            XCTAssertThrowsError(try Policy.parse(json, bucket: "b"), line: line) { error in
                XCTAssertEqual((error as? PolicyError)?.reason, reason, line: line)
                XCTAssertEqual((error as? PolicyError)?.s3ErrorCode, "MalformedPolicy", line: line)
            }
        }
    }

    func testBytesAndStatementIndex() {
        XCTAssertNoThrow(try Policy.parse(Array(document(read).utf8), bucket: "b"))
        XCTAssertThrowsError(try Policy.parse(document("\(read), {\"Effect\": \"Nope\"}"), bucket: "b")) {
            XCTAssertEqual(($0 as? PolicyError)?.statementIndex, 1)
        }
        // Exactly 20 KB is accepted.
        let base = document(read)
        let padded = String(base.dropLast(2)) + String(repeating: " ", count: Policy.maximumSize - base.utf8.count) + "]}"
        XCTAssertEqual(padded.utf8.count, Policy.maximumSize)
        XCTAssertNoThrow(try Policy.parse(padded, bucket: "b"))
    }

    func testWithoutBucketAnyS3Resource() {
        XCTAssertNoThrow(try Policy.parse(document(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}"#)))
    }

    func testPublicView() throws {
        let p = try Policy.parse(#"{"Version": "2012-10-17", "Id": "x", "Statement": {"Sid": "S", "Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "NotAction": "s3:Get*", "NotResource": "arn:aws:s3:::b/public/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}, "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b"]}}}}"#, bucket: "b")
        XCTAssertEqual(p.version, .v2012_10_17)
        XCTAssertTrue(p.versionGiven)
        XCTAssertEqual(p.id, "x")
        let s = p.statements[0]
        XCTAssertEqual(s.sid, "S")
        XCTAssertEqual(s.effect, .deny)
        XCTAssertEqual(s.principals, [.aws("123456789012")])
        XCTAssertTrue(s.isNotPrincipal && s.isNotAction && s.isNotResource)
        XCTAssertEqual(s.actions, ["s3:Get*"])
        XCTAssertEqual(s.conditions.map(\.operator.description), ["Bool", "ForAnyValue:StringLikeIfExists"])
        XCTAssertEqual(s.conditions.map(\.key), ["aws:SecureTransport", "aws:TagKeys"])
        XCTAssertEqual(s.conditions[1].values, ["a*", "b"])
        XCTAssertEqual(ConditionOperator("ForAllValues:NumericLessThanIfExists"), ConditionOperator(base: .numericLessThan, qualifier: .forAllValues, ifExists: true))
        XCTAssertNil(ConditionOperator("IfExists"))
        XCTAssertNil(ConditionOperator("StringEqualsIfExistsIfExists"))
    }

    func testJSONParser() throws {
        XCTAssertEqual(try JSONParser.parse(Array(#"{"a": [1, -2.5e3, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9"]}"#.utf8)),
            .object([("a", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x\"\\/\u{8}\u{c}\n\r\té")]))]))
        XCTAssertEqual(try JSONParser.parse(Array(#""\ud83d\ude00""#.utf8)), .string("😀"))
        for bad in ["01", "1.", ".5", "-", "tru", "nul", "\"\u{1}\"", "[1 2]", "{\"a\" 1}", "{\"a\":}", "\"\\x\"", "\"\\udc00\"", "[", "+1"] {
            XCTAssertThrowsError(try JSONParser.parse(Array(bad.utf8)), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]))  // invalid UTF-8
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]))  // encoded surrogate
        XCTAssertThrowsError(try JSONParser.parse(Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8))) {
            XCTAssertEqual($0 as? JSONError, .tooDeep)
        }
        XCTAssertThrowsError(try JSONParser.parse(Array(#"{"a": {"b": 1, "b": 2}}"#.utf8))) {
            XCTAssertEqual($0 as? JSONError, .duplicateKey("b"))
        }
        // Key order is kept.
        guard case let .object(members) = try JSONParser.parse(Array(#"{"z": 1, "a": 2, "m": 3}"#.utf8)) else { return XCTFail() }
        XCTAssertEqual(members.map(\.key), ["z", "a", "m"])
    }

    func testJSONTextRoundTrips() throws {
        let text = #"{"z":[1,-2.5e3,true,false,null],"a":"q\"b\\s/\u0001\n\t\u00e9😀","m":{}}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        XCTAssertEqual(value.jsonText, #"{"z":[1,-2.5e3,true,false,null],"a":"q\"b\\s/\u0001\n\té😀","m":{}}"#)
        XCTAssertEqual(try JSONValue(parsing: Array(value.jsonText.utf8)), value)
        XCTAssertEqual(JSONError.duplicateKey("expect").description, #"duplicate key "expect""#)
    }
}

private extension String {
    /// The statement with a Sid added.
    func replacingSid(_ sid: String) -> String { "{\"Sid\": \"\(sid)\", " + dropFirst() }
}
