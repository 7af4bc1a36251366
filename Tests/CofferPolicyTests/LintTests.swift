@testable import CofferPolicy
import Foundation
import XCTest

final class LintTests: XCTestCase {
    private func lint(_ statements: String, version: String? = "2012-10-17", bucket: String? = "b", lintBucket: String? = nil,
                      file: StaticString = #filePath, line: UInt = #line) -> [PolicyWarning] {
        let v = version.map { "\"Version\": \"\($0)\", " } ?? ""
        guard let p = bucketPolicy("{\(v)\"Statement\": [\(statements)]}", bucket: bucket, file: file, line: line) else { return [] }
        return p.lint(bucket: lintBucket)
    }

    private func codes(_ w: [PolicyWarning]) -> [PolicyWarning.Code] { w.map(\.code) }

    private func put(_ effect: String, _ condition: String, principal: String = #"{"AWS": "123456789012"}"#) -> String {
        #"{"Effect": "\#(effect)", "Principal": \#(principal), "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": \#(condition)}"#
    }

    func testCleanPolicyHasNoFindings() {
        XCTAssertEqual(lint(#"""
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/*"}
            """#), [])
    }

    func testUnknownConditionKeyWithSuggestion() throws {
        let w = lint(put("Deny", #"{"StringNotEquals": {"s3:x-amz-server-side-encyption": "aws:kms"}}"#))
        let finding = try XCTUnwrap(w.first { $0.code == .unknownConditionKey })
        XCTAssertEqual(finding.suggestion, "did you mean s3:x-amz-server-side-encryption?")
        XCTAssertTrue(finding.message.contains("always true"), finding.message)
        XCTAssertEqual(lint(put("Deny", #"{"IpAddress": {"aws:SorceIp": "10.0.0.0/8"}}"#)).first { $0.code == .unknownConditionKey }?.suggestion,
            "did you mean aws:SourceIp?")
        // Known keys in any case, and tag keys, are fine.
        XCTAssertFalse(codes(lint(put("Deny", #"{"NotIpAddress": {"AWS:SOURCEIP": "10.0.0.0/8"}, "StringEquals": {"s3:RequestObjectTag/Project": "x"}}"#))).contains(.unknownConditionKey))
    }

    func testKeyNeverInTheActionsContext() throws {
        let w = lint(#"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#)
        let finding = try XCTUnwrap(w.first { $0.code == .conditionKeyNotApplicable })
        XCTAssertTrue(finding.message.contains("s3:GetObject"), finding.message)
        XCTAssertTrue(finding.message.contains("always true"), finding.message)
        // PutObject carries it; s3:* covers PutObject; s3:prefix belongs to ListBucket.
        XCTAssertFalse(codes(lint(put("Deny", #"{"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}"#))).contains(.conditionKeyNotApplicable))
        XCTAssertFalse(codes(lint(#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#)).contains(.conditionKeyNotApplicable))
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"s3:prefix": "a/*"}}}"#)).contains(.conditionKeyNotApplicable))
        XCTAssertFalse(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "a/*"}}}"#)).contains(.conditionKeyNotApplicable))
        // Keys every S3 request carries apply everywhere.
        XCTAssertFalse(codes(lint(#"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"NumericLessThan": {"s3:signatureAge": "600000"}}}"#)).contains(.conditionKeyNotApplicable))
    }

    func testTagKeysBelongToTheirActions() {
        // Request tags: PutObject and PutObjectTagging carry them; existing tags: reads and tag changes.
        XCTAssertFalse(codes(lint(put("Deny", #"{"Null": {"s3:RequestObjectTag/classification": "true"}}"#))).contains(.conditionKeyNotApplicable))
        XCTAssertFalse(codes(lint(put("Deny", #"{"Null": {"s3:RequestObjectTag/classification": "true"}}"#))).contains(.unknownConditionKey))
        XCTAssertFalse(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObjectTagging", "Resource": "arn:aws:s3:::b/*", "Condition": {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b"]}}}"#)).contains(.conditionKeyNotApplicable))
        XCTAssertFalse(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectTagging"], "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "public"}}}"#)).contains(.conditionKeyNotApplicable))
        // S3 never evaluates an existing tag for PutObject, nor request tags for GetObject.
        XCTAssertTrue(codes(lint(put("Deny", #"{"StringEquals": {"s3:ExistingObjectTag/locked": "true"}}"#))).contains(.conditionKeyNotApplicable))
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"s3:RequestObjectTag/a": "b"}}}"#)).contains(.conditionKeyNotApplicable))
        // A typo in the key is caught.
        XCTAssertTrue(codes(lint(put("Deny", #"{"Null": {"s3:RequestObjectTags/classification": "true"}}"#))).contains(.unknownConditionKey))
    }

    func testPoliciesSayWhetherTheyReadATagKey() throws {
        let reads = try Policy.parse(#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"s3:existingobjecttag/Visibility": "public"}}}]}"#, bucket: "b")
        XCTAssertTrue(reads.readsKey(withPrefix: "s3:ExistingObjectTag/"))
        let variable = try Policy.parse(#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${s3:ExistingObjectTag/team}/*"}]}"#, bucket: "b")
        XCTAssertTrue(variable.readsKey(withPrefix: "s3:ExistingObjectTag/"))
        let other = try Policy.parse(#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Null": {"s3:RequestObjectTag/a": "false"}}}]}"#, bucket: "b")
        XCTAssertFalse(other.readsKey(withPrefix: "s3:ExistingObjectTag/"))
        XCTAssertTrue(other.readsKey(withPrefix: "s3:RequestObjectTag/"))
    }

    func testMissingKeyTraps() {
        // Deny + ordinary operator on an optional header: a request without it escapes.
        XCTAssertTrue(codes(lint(put("Deny", #"{"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertTrue(codes(lint(put("Deny", #"{"StringLike": {"s3:x-amz-acl": "public*"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertTrue(codes(lint(put("Deny", #"{"Bool": {"aws:MultiFactorAuthPresent": "false"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertTrue(codes(lint(put("Deny", #"{"ForAnyValue:StringNotEquals": {"s3:RequestObjectTagKeys": "x"}}"#))).contains(.missingKeyEscapesDeny))
        // Deny + negated operator, IfExists, or keys every request carries: safe.
        XCTAssertFalse(codes(lint(put("Deny", #"{"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertFalse(codes(lint(put("Deny", #"{"StringEqualsIfExists": {"s3:x-amz-server-side-encryption": "AES256"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertFalse(codes(lint(put("Deny", #"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertFalse(codes(lint(put("Deny", #"{"Bool": {"aws:SecureTransport": "false"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertFalse(codes(lint(put("Deny", #"{"Null": {"s3:x-amz-server-side-encryption": "true"}}"#))).contains(.missingKeyEscapesDeny))
        XCTAssertFalse(codes(lint(put("Deny", #"{"Null": {"s3:x-amz-server-side-encryption": "false"}, "StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}"#))).contains(.missingKeyEscapesDeny))
        // Allow + negated operator, IfExists or ForAllValues: a request without the key is allowed.
        XCTAssertTrue(codes(lint(put("Allow", #"{"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}"#))).contains(.missingKeyAllows))
        XCTAssertTrue(codes(lint(put("Allow", #"{"StringEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}"#))).contains(.missingKeyAllows))
        XCTAssertTrue(codes(lint(put("Allow", #"{"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a"]}}"#))).contains(.missingKeyAllows))
        XCTAssertFalse(codes(lint(put("Allow", #"{"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a"]}, "Null": {"s3:RequestObjectTagKeys": "false"}}"#))).contains(.missingKeyAllows))
        XCTAssertFalse(codes(lint(put("Allow", #"{"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}"#))).contains(.missingKeyAllows))
        XCTAssertFalse(codes(lint(put("Allow", #"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#))).contains(.missingKeyAllows))
    }

    func testPrincipalFindings() {
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)).contains(.notPrincipalWithAllow))
        XCTAssertFalse(codes(lint(#"{"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)).contains(.notPrincipalWithAllow))
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#)).contains(.publicWrite))
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}"#)).contains(.publicWrite))
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)).contains(.publicWrite))
        XCTAssertFalse(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}"#)).contains(.publicWrite))
        XCTAssertFalse(codes(lint(#"{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#)).contains(.publicWrite))
    }

    func testNeverMatches() throws {
        // A resource outside the bucket (the policy was parsed without one).
        let outside = lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}"#, bucket: nil, lintBucket: "b")
        let finding = try XCTUnwrap(outside.first { $0.code == .neverMatches })
        XCTAssertEqual(finding.severity, .error)
        XCTAssertEqual(finding.suggestion, "use arn:aws:s3:::b or arn:aws:s3:::b/...")
        XCTAssertEqual(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::other/*", "arn:aws:s3:::b/*"]}"#, bucket: nil, lintBucket: "b")
            .first { $0.code == .neverMatches }?.severity, .warning)
        // Contradictory conditions.
        for condition in [
            #"{"Null": {"s3:x-amz-acl": "true"}, "StringEquals": {"s3:x-amz-acl": "private"}}"#,
            #"{"StringEquals": {"s3:x-amz-acl": "private"}, "StringNotEquals": {"s3:x-amz-acl": ["private", "public-read"]}}"#,
            #"{"NumericLessThan": {"s3:object-lock-remaining-retention-days": "10"}, "NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "20"}}"#,
            #"{"NumericLessThan": {"s3:object-lock-remaining-retention-days": "10"}, "NumericGreaterThanEquals": {"s3:object-lock-remaining-retention-days": "10"}}"#,
            #"{"DateLessThan": {"aws:CurrentTime": "2020-01-01"}, "DateGreaterThan": {"aws:CurrentTime": "2021-01-01"}}"#,
        ] {
            XCTAssertTrue(lint(put("Allow", condition)).contains { $0.code == .neverMatches && $0.severity == .error }, condition)
        }
        for condition in [
            #"{"Null": {"s3:x-amz-acl": "true"}, "StringEqualsIfExists": {"s3:x-amz-acl": "private"}}"#,
            #"{"StringEquals": {"s3:x-amz-acl": "private"}, "StringNotEquals": {"s3:x-amz-acl": "public-read"}}"#,
            #"{"NumericLessThanEquals": {"s3:object-lock-remaining-retention-days": "10"}, "NumericGreaterThanEquals": {"s3:object-lock-remaining-retention-days": "10"}}"#,
            #"{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}, "DateLessThan": {"aws:CurrentTime": "2021-01-01"}}"#,
        ] {
            XCTAssertFalse(codes(lint(put("Allow", condition))).contains(.neverMatches), condition)
        }
    }

    func testOtherFindings() throws {
        let action = try XCTUnwrap(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"}"#).first { $0.code == .unknownAction })
        XCTAssertEqual(action.suggestion, "did you mean s3:GetObject?")
        XCTAssertEqual(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:Frobnicate*", "Resource": "arn:aws:s3:::b/*"}"#).first?.code, .unknownAction)
        XCTAssertTrue(codes(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}"#, version: "2008-10-17")).contains(.variablesNeedVersion))
        XCTAssertEqual(lint(#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#, version: nil).map(\.code), [.missingVersion])
        XCTAssertTrue(codes(lint(put("Deny", #"{"ForAnyValue:StringEquals": {"s3:x-amz-acl": "public-read"}}"#))).contains(.setOperatorOnSingleValuedKey))
        XCTAssertTrue(codes(lint(put("Deny", #"{"StringNotEquals": {"s3:x-amz-acl": "a", "S3:X-AMZ-ACL": "b"}}"#))).contains(.duplicateConditionKey))
        let values = try XCTUnwrap(lint(put("Allow", #"{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "10.0.0.300"]}, "NumericLessThan": {"s3:max-keys": "ten"}, "Bool": {"aws:SecureTransport": "yes"}}"#))
            .filter { $0.code == .invalidConditionValue }.map(\.message).joined(separator: "\n"))
        XCTAssertTrue(values.contains("\"10.0.0.300\""), values)
        XCTAssertTrue(values.contains("\"ten\""), values)
        XCTAssertTrue(values.contains("\"yes\""), values)
    }

    func testWarningJSONAndText() throws {
        let w = PolicyWarning(.warning, .publicWrite, statement: nil, "m", suggestion: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(String(decoding: try encoder.encode(w), as: UTF8.self),
            #"{"code":"public-write","message":"m","severity":"warning","sid":null,"statementIndex":null,"suggestion":null}"#)
        let finding = try XCTUnwrap(lint(#"{"Sid": "Up", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#).first)
        XCTAssertTrue(finding.description.hasPrefix("warning statement 0 \"Up\": Allow to every principal"), finding.description)
    }
}
