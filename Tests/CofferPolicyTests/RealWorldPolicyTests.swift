@testable import CofferPolicy
import XCTest

/// Policies in the shapes AWS's S3 documentation uses, with the decisions they must give.
final class RealWorldPolicyTests: XCTestCase {
    private func put(_ context: [String: [String]], _ p: PolicyPrincipal = alice) -> PolicyRequest {
        PolicyRequest(principal: p, action: "s3:PutObject", resource: "arn:aws:s3:::b/k", context: context)
    }

    func testDenyUnencryptedUploadsThreeForms() throws {
        let allowAll = #"{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#
        let forms = [
            // StringNotEquals: a missing header is "not aws:kms", so it is denied too.
            #"{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#,
            // Null + StringNotEqualsIfExists in two statements.
            #"{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}, {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#,
        ]
        for deny in forms {
            let policy = try Policy.parse(document(allowAll + ", " + deny), bucket: "b")
            XCTAssertEqual(policy.evaluate(put(["s3:x-amz-server-side-encryption": ["aws:kms"]])).decision, .allow, deny)
            XCTAssertEqual(policy.evaluate(put(["s3:x-amz-server-side-encryption": ["AES256"]])).decision, .explicitDeny, deny)
            XCTAssertEqual(policy.evaluate(put([:])).decision, .explicitDeny, deny)
            XCTAssertFalse(policy.lint().contains { $0.code == .missingKeyEscapesDeny }, deny)
        }
        // The trap: StringEquals AES256 in a Deny lets a PUT without the header through.
        let trap = try Policy.parse(document(allowAll + #", {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}"#), bucket: "b")
        XCTAssertEqual(trap.evaluate(put([:])).decision, .allow)
        XCTAssertTrue(trap.lint().contains { $0.code == .missingKeyEscapesDeny })
    }

    func testRequireSpecificKMSKeyAndDenySSEC() throws {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let policy = try Policy.parse(document(#"""
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
            {"Sid": "RequireKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "\#(key)"}}},
            {"Sid": "DenySSEC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}}
            """#), bucket: "b")
        XCTAssertEqual(policy.evaluate(put(["s3:x-amz-server-side-encryption-aws-kms-key-id": [key]])).decision, .allow)
        XCTAssertEqual(policy.evaluate(put(["s3:x-amz-server-side-encryption-aws-kms-key-id": ["arn:aws:kms:us-east-1:123456789012:key/other"]])).matchedStatements.map(\.sid), ["RequireKey"])
        XCTAssertEqual(policy.evaluate(put(["s3:x-amz-server-side-encryption-aws-kms-key-id": [key],
            "s3:x-amz-server-side-encryption-customer-algorithm": ["AES256"]])).matchedStatements.map(\.sid), ["DenySSEC"])
    }

    func testHTTPSOnlyIPAllowListPublicPrefixHomeFoldersDenyDeletes() throws {
        let policy = try Policy.parse(document(#"""
            {"Sid": "HTTPSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "Office", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}, "Bool": {"aws:ViaAWSService": "false"}}},
            {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/*"},
            {"Sid": "HomeList", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
             "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/${aws:username}/"]}}},
            {"Sid": "Home", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/home/${aws:username}/*"},
            {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::b/*"}
            """#), bucket: "b")
        let office: [String: [String]] = ["aws:SecureTransport": ["true"], "aws:SourceIp": ["192.0.2.7"], "aws:ViaAWSService": ["false"]]
        func d(_ p: PolicyPrincipal, _ action: String, _ key: String?, _ c: [String: [String]]) -> PolicyDecision.Decision {
            policy.evaluate(PolicyRequest(principal: p, action: action, resource: "arn:aws:s3:::b" + (key.map { "/" + $0 } ?? ""), context: c)).decision
        }
        XCTAssertEqual(d(.anonymous, "s3:GetObject", "public/x", office), .allow)
        XCTAssertEqual(d(.anonymous, "s3:GetObject", "public/x", office.merging(["aws:SecureTransport": ["false"]]) { $1 }), .explicitDeny)
        XCTAssertEqual(d(.anonymous, "s3:GetObject", "public/x", office.merging(["aws:SourceIp": ["198.51.100.1"]]) { $1 }), .explicitDeny)
        XCTAssertEqual(d(.anonymous, "s3:GetObject", "public/x", office.merging(["aws:SourceIp": ["2001:db8::9"]]) { $1 }), .allow)
        XCTAssertEqual(d(alice, "s3:PutObject", "home/alice/a", office), .allow)
        XCTAssertEqual(d(alice, "s3:PutObject", "home/bob/a", office), .implicitDeny)
        XCTAssertEqual(d(alice, "s3:DeleteObject", "home/alice/a", office), .explicitDeny)
        XCTAssertEqual(d(alice, "s3:ListBucket", nil, office.merging(["s3:prefix": ["home/alice/"]]) { $1 }), .allow)
        XCTAssertEqual(d(alice, "s3:ListBucket", nil, office.merging(["s3:prefix": ["home/bob/"]]) { $1 }), .implicitDeny)
        XCTAssertEqual(d(alice, "s3:ListBucket", nil, office), .implicitDeny)
    }
}
