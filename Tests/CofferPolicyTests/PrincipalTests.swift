@testable import CofferPolicy
import XCTest

/// Principal and NotPrincipal forms.
final class PrincipalTests: XCTestCase {
    private func allows(_ principal: String, _ caller: PolicyPrincipal, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let json = document(#"{"Effect": "Allow", "Principal": \#(principal), "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)
        guard let policy = bucketPolicy(json, file: file, line: line) else { return false }
        return policy.evaluate(PolicyRequest(principal: caller, action: "s3:GetObject", resource: "arn:aws:s3:::b/k")).decision == .allow
    }

    let role = PolicyPrincipal.aws(AWSPrincipal(arn: "arn:aws:iam::123456789012:role/team/admin", accountId: "123456789012"))
    let session = PolicyPrincipal.aws(AWSPrincipal(arn: "arn:aws:sts::123456789012:assumed-role/admin/ci-run", accountId: "123456789012"))
    let canonical = String(repeating: "ab", count: 32)
    let cloudtrail = PolicyPrincipal.service("cloudtrail.amazonaws.com")

    func testEveryone() {
        for p in [#""*""#, #"{"AWS": "*"}"#, #"{"AWS": ["*"]}"#] {
            XCTAssertTrue(allows(p, .anonymous), p)
            XCTAssertTrue(allows(p, alice), p)
            XCTAssertTrue(allows(p, mallory), p)
            XCTAssertTrue(allows(p, cloudtrail), p)
        }
    }

    func testAccount() {
        for p in [#"{"AWS": "123456789012"}"#, #"{"AWS": "arn:aws:iam::123456789012:root"}"#] {
            XCTAssertTrue(allows(p, alice), p)
            XCTAssertTrue(allows(p, .root(account: "123456789012")), p)
            XCTAssertTrue(allows(p, role), p)
            XCTAssertTrue(allows(p, session), p)
            XCTAssertFalse(allows(p, mallory), p)
            XCTAssertFalse(allows(p, .anonymous), p)
            XCTAssertFalse(allows(p, cloudtrail), p)
        }
    }

    func testUserAndRoleArns() {
        let user = #"{"AWS": "arn:aws:iam::123456789012:user/alice"}"#
        XCTAssertTrue(allows(user, alice))
        XCTAssertFalse(allows(user, bob))
        XCTAssertFalse(allows(user, .root(account: "123456789012")))
        XCTAssertFalse(allows(user, .anonymous))
        XCTAssertTrue(allows(#"{"AWS": ["arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/alice"]}"#, alice))

        // A role ARN matches the role and its sessions (the session ARN carries no path).
        let roleArn = #"{"AWS": "arn:aws:iam::123456789012:role/team/admin"}"#
        XCTAssertTrue(allows(roleArn, role))
        XCTAssertTrue(allows(roleArn, session))
        XCTAssertFalse(allows(roleArn, alice))
        XCTAssertFalse(allows(#"{"AWS": "arn:aws:iam::123456789012:role/other"}"#, session))
        XCTAssertTrue(allows(#"{"AWS": "arn:aws:sts::123456789012:assumed-role/admin/ci-run"}"#, session))
        XCTAssertFalse(allows(#"{"AWS": "arn:aws:sts::123456789012:assumed-role/admin/other"}"#, session))
    }

    func testServiceAndCanonicalUser() {
        XCTAssertTrue(allows(#"{"Service": "cloudtrail.amazonaws.com"}"#, cloudtrail))
        XCTAssertTrue(allows(#"{"Service": ["logging.s3.amazonaws.com", "CloudTrail.amazonaws.com"]}"#, cloudtrail))
        XCTAssertFalse(allows(#"{"Service": "cloudtrail.amazonaws.com"}"#, alice))
        XCTAssertFalse(allows(#"{"Service": "cloudtrail.amazonaws.com"}"#, .anonymous))
        let withId = PolicyPrincipal.aws(AWSPrincipal(arn: "arn:aws:iam::123456789012:user/c", accountId: "123456789012", canonicalUserId: canonical))
        XCTAssertTrue(allows(#"{"CanonicalUser": "\#(canonical.uppercased())"}"#, withId))
        XCTAssertFalse(allows(#"{"CanonicalUser": "\#(canonical)"}"#, alice))
        XCTAssertTrue(allows(#"{"AWS": "999999999999", "Service": "cloudtrail.amazonaws.com"}"#, mallory))
        XCTAssertFalse(allows(#"{"Federated": "cognito-identity.amazonaws.com"}"#, alice))
    }

    func testNotPrincipalDeny() throws {
        let json = document(#"""
            {"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
            """#)
        let policy = try Policy.parse(json, bucket: "b")
        func decision(_ p: PolicyPrincipal) -> PolicyDecision.Decision {
            policy.evaluate(PolicyRequest(principal: p, action: "s3:GetObject", resource: "arn:aws:s3:::b/k")).decision
        }
        // The account alone exempts its root user only: alice's requests carry her user ARN too
        // (NotPrincipalTests has the rest).
        XCTAssertEqual(decision(.root(account: "123456789012")), .allow)
        XCTAssertEqual(decision(alice), .explicitDeny)
        XCTAssertEqual(decision(mallory), .explicitDeny)
        XCTAssertEqual(decision(.anonymous), .explicitDeny)
        XCTAssertEqual(decision(cloudtrail), .explicitDeny)
        let d = policy.evaluate(PolicyRequest(principal: .root(account: "123456789012"), action: "s3:GetObject", resource: "arn:aws:s3:::b/k"))
        XCTAssertEqual(d.statements[0].reason?.element, .notPrincipal)
    }

    func testNotPrincipalAllow() throws {
        let json = document(#"{"Effect": "Allow", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)
        let policy = try Policy.parse(json, bucket: "b")
        func decision(_ p: PolicyPrincipal) -> PolicyDecision.Decision {
            policy.evaluate(PolicyRequest(principal: p, action: "s3:GetObject", resource: "arn:aws:s3:::b/k")).decision
        }
        XCTAssertEqual(decision(.anonymous), .allow)
        XCTAssertEqual(decision(mallory), .allow)
        XCTAssertEqual(decision(alice), .implicitDeny)
    }

    func testInvalidPrincipals() {
        let bad = [
            #""arn:aws:iam::123456789012:root""#,  // only "*" may be a bare string
            #""**""#,
            #"{"AWS": "arn:aws:iam::123456789012:user/*"}"#,
            #"{"AWS": "12345"}"#,
            #"{"AWS": "arn:aws:iam::12345:user/a"}"#,
            #"{"AWS": "arn:aws:iam::123456789012:group/devs"}"#,
            #"{"AWS": "arn:aws:s3:::b"}"#,
            #"{"AWS": []}"#,
            #"{"AWS": 123456789012}"#,
            #"{"Foo": "x"}"#,
            #"{}"#,
            #"{"CanonicalUser": "abc"}"#,
            #"{"Service": "*"}"#,
            #"["*"]"#,
        ]
        for p in bad {
            let json = document(#"{"Effect": "Allow", "Principal": \#(p), "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)
            XCTAssertThrowsError(try Policy.parse(json, bucket: "b"), p) { error in
                XCTAssertEqual((error as? PolicyError)?.reason, "Invalid principal in policy", p)
            }
        }
    }

    func testDerivedPrincipalKeys() {
        let r = PolicyRequest(principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: ["aws:SourceIp": ["192.0.2.1"]])
        XCTAssertEqual(r.values("AWS:PrincipalArn"), ["arn:aws:iam::123456789012:user/alice"])
        XCTAssertEqual(r.values("aws:username"), ["alice"])
        XCTAssertEqual(r.values("aws:PrincipalAccount"), ["123456789012"])
        XCTAssertEqual(r.values("aws:PrincipalType"), ["User"])
        XCTAssertEqual(r.values("aws:sourceip"), ["192.0.2.1"])
        XCTAssertNil(PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "x").values("aws:PrincipalArn"))
        XCTAssertEqual(PolicyRequest(principal: .root(account: "1"), action: "a", resource: "r").values("aws:PrincipalType"), ["Account"])
        XCTAssertEqual(PolicyRequest(principal: session, action: "a", resource: "r").values("aws:PrincipalType"), ["AssumedRole"])
        // The caller's own values win.
        XCTAssertEqual(PolicyRequest(principal: alice, action: "a", resource: "r", context: ["aws:username": ["x"]]).values("aws:username"), ["x"])
        XCTAssertNil(PolicyRequest(principal: alice, action: "a", resource: "r", derivePrincipalKeys: false).values("aws:username"))
    }
}
