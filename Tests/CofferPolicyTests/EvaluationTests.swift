@testable import CofferPolicy
import Foundation
import XCTest

/// Decision logic, actions and resources, explanations, JSON and text output, combination.
final class EvaluationTests: XCTestCase {
    let policyText = document(#"""
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/uploads/*",
         "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}},
        {"Sid": "DenySecret", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"}
        """#)

    func request(_ p: PolicyPrincipal, _ action: String, _ key: String?, _ context: [String: [String]] = ["aws:SecureTransport": ["true"]]) -> PolicyRequest {
        PolicyRequest(principal: p, action: action, resource: "arn:aws:s3:::b" + (key.map { "/" + $0 } ?? ""), context: context)
    }

    func testDecisionLogic() throws {
        let policy = try Policy.parse(policyText, bucket: "b")
        XCTAssertEqual(policy.evaluate(request(.anonymous, "s3:GetObject", "a.txt")).decision, .allow)
        XCTAssertEqual(policy.evaluate(request(.anonymous, "s3:PutObject", "a.txt")).decision, .implicitDeny)
        // An explicit Deny beats a matching Allow.
        let secret = policy.evaluate(request(.anonymous, "s3:GetObject", "secret/x"))
        XCTAssertEqual(secret.decision, .explicitDeny)
        XCTAssertEqual(secret.matchedStatements, [.init(sid: "DenySecret", index: 3, effect: .deny)])
        XCTAssertTrue(secret.statements[0].matched)  // PublicRead matched but is outweighed
        let insecure = policy.evaluate(request(.anonymous, "s3:GetObject", "a.txt", ["aws:SecureTransport": ["false"]]))
        XCTAssertEqual(insecure.decision, .explicitDeny)
        XCTAssertEqual(insecure.matchedStatements.map(\.index), [1])
        let both = policy.evaluate(request(.anonymous, "s3:GetObject", "secret/a", ["aws:SecureTransport": ["false"]]))
        XCTAssertEqual(both.matchedStatements.map(\.index), [1, 3])
        XCTAssertEqual(policy.decide(request(.anonymous, "s3:GetObject", "secret/a")), .explicitDeny)
        XCTAssertEqual(policy.decide(request(.anonymous, "s3:GetObject", "a")), .allow)
        XCTAssertEqual(policy.decide(request(.anonymous, "s3:PutObject", "a")), .implicitDeny)

        let upload = request(alice, "s3:PutObject", "uploads/x",
            ["aws:SecureTransport": ["true"], "s3:x-amz-server-side-encryption": ["aws:kms"], "aws:SourceIp": ["192.0.2.9"]])
        let allowed = policy.evaluate(upload)
        XCTAssertEqual(allowed.decision, .allow)
        XCTAssertEqual(allowed.matchedStatements, [.init(sid: nil, index: 2, effect: .allow)])
        XCTAssertEqual(policy.evaluate(request(mallory, "s3:PutObject", "uploads/x", upload.context)).decision, .implicitDeny)
    }

    func testActionsAndResources() throws {
        let policy = try Policy.parse(document(#"""
            {"Effect": "Allow", "Principal": "*", "Action": ["s3:Get*", "S3:LISTBUCKET", "s3:Put?bject"], "Resource": ["arn:aws:s3:::b/Docs/*", "arn:aws:s3:::b"]}
            """#), bucket: "b")
        func d(_ action: String, _ key: String?) -> PolicyDecision.Decision { policy.evaluate(request(.anonymous, action, key)).decision }
        XCTAssertEqual(d("s3:GetObject", "Docs/a"), .allow)
        XCTAssertEqual(d("s3:getobject", "Docs/a"), .allow)  // actions are case-insensitive
        XCTAssertEqual(d("s3:GetObjectAcl", "Docs/a"), .allow)
        XCTAssertEqual(d("s3:ListBucket", nil), .allow)
        XCTAssertEqual(d("s3:PutObject", "Docs/x"), .allow)
        XCTAssertEqual(d("s3:PutObjectAcl", "Docs/x"), .implicitDeny)
        XCTAssertEqual(d("s3:GetObject", "docs/a"), .implicitDeny)  // resources are case-sensitive
        XCTAssertEqual(d("s3:GetObject", "Docs/a:b:c"), .allow)  // colons in keys
        XCTAssertEqual(d("s3:DeleteObject", "Docs/a"), .implicitDeny)
        XCTAssertEqual(d("iam:GetUser", nil), .implicitDeny)

        let not = try Policy.parse(document(#"""
            {"Effect": "Allow", "Principal": "*", "NotAction": "s3:Delete*", "NotResource": "arn:aws:s3:::b/private/*"}
            """#), bucket: "b")
        func n(_ action: String, _ key: String?) -> PolicyDecision.Decision { not.evaluate(request(.anonymous, action, key)).decision }
        XCTAssertEqual(n("s3:GetObject", "a"), .allow)
        XCTAssertEqual(n("s3:DeleteObject", "a"), .implicitDeny)
        XCTAssertEqual(n("s3:GetObject", "private/a"), .implicitDeny)
        let reason = not.evaluate(request(.anonymous, "s3:DeleteObject", "a")).statements[0].reason
        XCTAssertEqual(reason?.element, .notAction)
        XCTAssertEqual(not.evaluate(request(.anonymous, "s3:GetObject", "private/a")).statements[0].reason?.element, .notResource)
    }

    func testResourceSegments() {
        // IAM: a * inside an ARN segment stays in it; a * ending a segment may cross colons.
        XCTAssertTrue(Glob("arn:aws:ec2:us-*-1:*:instance/*", arnSegments: true).matches("arn:aws:ec2:us-east-1:123:instance/i-1"))
        XCTAssertFalse(Glob("arn:aws:iam::1*2:user/x", arnSegments: true).matches("arn:aws:iam::1:2:user/x"))
        XCTAssertTrue(Glob("arn:aws:iam::1*2:user/x", arnSegments: true).matches("arn:aws:iam::1002:user/x"))
        XCTAssertTrue(Glob("arn:aws:iam::1*2:user/x").matches("arn:aws:iam::1:2:user/x"))
        XCTAssertTrue(Glob("arn:aws:*", arnSegments: true).matches("arn:aws:s3:::b/k"))
        XCTAssertTrue(Glob("arn:aws:s3:::b/a*c", arnSegments: true).matches("arn:aws:s3:::b/a:b:c"))
        XCTAssertTrue(Glob("*", arnSegments: true).matches("anything:at:all"))
    }

    func testGlob() {
        let cases: [(String, String, Bool)] = [
            ("", "", true), ("", "a", false), ("*", "", true), ("a*", "a", true), ("a*b", "ab", true), ("a*b", "axxb", true),
            ("a*b", "axxbc", false), ("*b*", "aaabaaa", true), ("a?c", "abc", true), ("a?c", "ac", false), ("a*?c", "ac", false),
            ("a*?c", "abc", true), ("**", "x", true), ("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false), ("é*", "éa", true),
            ("?", "😀", true), ("*😀", "a😀", true), ("a", "A", false),
        ]
        for (p, t, want) in cases {
            XCTAssertEqual(Glob(p).matches(t), want, "\(p) ~ \(t)")
            XCTAssertEqual(Glob(p, arnSegments: true).matches(t), want, "segments \(p) ~ \(t)")
        }
        XCTAssertTrue(Glob("S3:Get*", caseInsensitive: true).matches("s3:GETOBJECT"))
        XCTAssertTrue(Glob("b/*").canMatchSomething(startingWith: "b/"))
        XCTAssertTrue(Glob("b*").canMatchSomething(startingWith: "b/"))
        XCTAssertFalse(Glob("c/*").canMatchSomething(startingWith: "b/"))
        XCTAssertFalse(Glob("b").canMatchSomething(startingWith: "b/"))
        XCTAssertTrue(Glob("b/x/y").canMatchSomething(startingWith: "b/"))
    }

    func testExplanations() throws {
        let policy = try Policy.parse(policyText, bucket: "b")
        let d = policy.evaluate(request(alice, "s3:PutObject", "uploads/x", ["aws:SecureTransport": ["true"], "s3:x-amz-server-side-encryption": ["AES256"]]))
        XCTAssertEqual(d.decision, .implicitDeny)
        XCTAssertEqual(d.matchedStatements, [])
        XCTAssertEqual(d.statements.map(\.matched), [false, false, false, false])
        XCTAssertEqual(d.statements[0].reason?.element, .action)
        XCTAssertEqual(d.statements[0].reason?.policyValues, ["s3:GetObject"])
        XCTAssertEqual(d.statements[0].reason?.requestValues, ["s3:PutObject"])
        let cond = try XCTUnwrap(d.statements[1].reason)
        XCTAssertEqual(cond.element, .condition)
        XCTAssertEqual(cond.conditionOperator, "Bool")
        XCTAssertEqual(cond.conditionKey, "aws:SecureTransport")
        XCTAssertEqual(cond.policyValues, ["false"])
        XCTAssertEqual(cond.requestValues, ["true"])
        let sse = try XCTUnwrap(d.statements[2].reason)
        XCTAssertEqual(sse.conditionOperator, "StringEquals")
        XCTAssertEqual(sse.conditionKey, "s3:x-amz-server-side-encryption")
        XCTAssertEqual(sse.policyValues, ["aws:kms"])
        XCTAssertEqual(sse.requestValues, ["AES256"])
        XCTAssertEqual(sse.message, "StringEquals s3:x-amz-server-side-encryption [aws:kms] is false for the request's [AES256]")
        // The request lacked aws:SourceIp, which a statement matching principal, action and resource asked for.
        XCTAssertEqual(d.missingContextKeys, ["aws:SourceIp"])

        let missing = policy.evaluate(request(alice, "s3:PutObject", "uploads/x", ["aws:SecureTransport": ["true"]]))
        let reason = try XCTUnwrap(missing.statements[2].reason)
        XCTAssertNil(reason.requestValues)
        XCTAssertEqual(reason.message, "StringEquals s3:x-amz-server-side-encryption [aws:kms]: the request has no s3:x-amz-server-side-encryption")
        XCTAssertEqual(missing.missingContextKeys, ["aws:SourceIp", "s3:x-amz-server-side-encryption"])

        let principal = policy.evaluate(request(mallory, "s3:PutObject", "uploads/x")).statements[2].reason
        XCTAssertEqual(principal?.element, .principal)
        XCTAssertEqual(principal?.policyValues, ["AWS:123456789012"])
        XCTAssertEqual(principal?.requestValues, ["arn:aws:iam::999999999999:user/mallory"])
        XCTAssertEqual(policy.evaluate(request(.anonymous, "s3:GetObject", "a")).statements[3].reason?.element, .resource)
    }

    func testMissingKeysAreSortedAndDeduplicated() throws {
        let policy = try Policy.parse(document(#"""
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringEquals": {"k:Zeta": "1", "aws:Alpha": "${k:var}"}, "StringLike": {"K:ZETA": "x"}}},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringEquals": {"k:ignored": "1"}}}
            """#), bucket: "b")
        let d = policy.evaluate(PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", derivePrincipalKeys: false))
        XCTAssertEqual(d.missingContextKeys, ["aws:Alpha", "k:Zeta", "k:var"])
    }

    func testJSONShape() throws {
        let policy = try Policy.parse(document(#"""
            {"Sid": "R", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            """#), bucket: "b")
        let d = policy.evaluate(PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", derivePrincipalKeys: false))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(d), as: UTF8.self)
        XCTAssertEqual(json, #"{"decision":"allow","matchedStatements":[{"effect":"Allow","index":0,"sid":"R"}],"missingContextKeys":["aws:SecureTransport"],"#
            + #""statements":[{"effect":"Allow","index":0,"matched":true,"reason":null,"sid":"R"},"#
            + #"{"effect":"Deny","index":1,"matched":false,"reason":{"element":"Condition","key":"aws:SecureTransport","message":"Bool aws:SecureTransport [false]: the request has no aws:SecureTransport","operator":"Bool","policyValues":["false"],"requestValues":null},"sid":null}]}"#)
        // Round trip.
        XCTAssertEqual(try JSONDecoder().decode(PolicyDecision.self, from: try encoder.encode(d)), d)
        let deny = policy.evaluate(PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: ["aws:SecureTransport": ["false"]]))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: try encoder.encode(deny)) as? [String: Any])
        XCTAssertEqual(object["decision"] as? String, "explicit-deny")
        let matched = try XCTUnwrap(object["matchedStatements"] as? [[String: Any]])
        XCTAssertEqual(matched.count, 1)
        XCTAssertTrue(matched[0]["sid"] is NSNull)
        XCTAssertEqual(matched[0]["effect"] as? String, "Deny")
        XCTAssertEqual(matched[0]["index"] as? Int, 1)
        XCTAssertEqual(try JSONDecoder().decode(PolicyDecision.self, from: try encoder.encode(deny)), deny)
        let implicit = policy.evaluate(PolicyRequest(principal: .anonymous, action: "s3:PutObject", resource: "arn:aws:s3:::b/k"))
        XCTAssertTrue(String(decoding: try encoder.encode(implicit), as: UTF8.self).hasPrefix(#"{"decision":"implicit-deny","matchedStatements":[]"#))
        let action = String(decoding: try encoder.encode(implicit.statements[0].reason), as: UTF8.self)
        XCTAssertEqual(action, #"{"element":"Action","message":"action s3:PutObject is not in Action [s3:GetObject]","policyValues":["s3:GetObject"],"requestValues":["s3:PutObject"]}"#)
    }

    func testText() throws {
        let policy = try Policy.parse(policyText, bucket: "b")
        let text = policy.evaluate(request(.anonymous, "s3:GetObject", "secret/x")).text()
        XCTAssertEqual(text, """
            decision: explicit-deny
            matched:
              statement 0 "PublicRead" (Allow) (outweighed by a Deny)
              statement 3 "DenySecret" (Deny)
            not matched:
              statement 1 "DenyInsecure" (Deny): Bool aws:SecureTransport [false] is false for the request's [true]
              statement 2 (Allow): principal anonymous is not in Principal [AWS:123456789012]

            """)
        let missing = policy.evaluate(request(alice, "s3:PutObject", "uploads/x")).text()
        XCTAssertTrue(missing.hasPrefix("decision: implicit-deny\nnot matched:\n"), missing)
        XCTAssertTrue(missing.hasSuffix("missing context keys: aws:SourceIp, s3:x-amz-server-side-encryption\n"), missing)
    }

    func testCombination() throws {
        let identity = try Policy.parse(document(#"""
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
            """#), requirePrincipal: false)
        let bucket = try Policy.parse(document(#"""
            {"Effect": "Allow", "Principal": {"AWS": ["123456789012", "999999999999"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/locked/*"}
            """#), bucket: "b")
        func combined(_ p: PolicyPrincipal, _ action: String, _ key: String, identity i: Policy? = nil) -> CombinedDecision {
            Policy.evaluate(identity: i ?? identity, bucket: bucket, request: request(p, action, key), bucketOwnerAccount: "123456789012")
        }
        // Same account: either policy may allow; any Deny wins.
        XCTAssertEqual(combined(alice, "s3:PutObject", "x").decision, .allow)  // identity allows
        XCTAssertEqual(combined(alice, "s3:GetObject", "x", identity: try Policy.parse(document(#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}"#), requirePrincipal: false)).decision, .allow)  // bucket allows
        XCTAssertEqual(combined(alice, "s3:PutObject", "locked/x").decision, .explicitDeny)  // bucket denies
        XCTAssertEqual(combined(alice, "s3:DeleteObject", "x").decision, .explicitDeny)  // identity denies
        // Cross account: both must allow.
        let other = try Policy.parse(document(#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#), requirePrincipal: false)
        XCTAssertEqual(combined(mallory, "s3:GetObject", "x", identity: other).decision, .allow)
        let cross = combined(mallory, "s3:PutObject", "x", identity: try Policy.parse(document(#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#), requirePrincipal: false))
        XCTAssertEqual(cross.decision, .implicitDeny)
        XCTAssertFalse(cross.sameAccount)
        // Anonymous callers have no identity policy: the bucket policy decides alone.
        let anon = combined(.anonymous, "s3:GetObject", "x")
        XCTAssertNil(anon.identity)
        XCTAssertEqual(anon.decision, .implicitDeny)

        XCTAssertEqual(PolicyDecision.combine(identity: nil, bucket: nil).decision, .implicitDeny)
        let allow = PolicyDecision(decision: .allow, matchedStatements: [], missingContextKeys: [], statements: [])
        let implicit = PolicyDecision(decision: .implicitDeny, matchedStatements: [], missingContextKeys: [], statements: [])
        let deny = PolicyDecision(decision: .explicitDeny, matchedStatements: [], missingContextKeys: [], statements: [])
        XCTAssertEqual(PolicyDecision.combine(identity: allow, bucket: implicit).decision, .allow)
        XCTAssertEqual(PolicyDecision.combine(identity: implicit, bucket: allow).decision, .allow)
        XCTAssertEqual(PolicyDecision.combine(identity: allow, bucket: deny).decision, .explicitDeny)
        XCTAssertEqual(PolicyDecision.combine(identity: deny, bucket: allow).decision, .explicitDeny)
        XCTAssertEqual(PolicyDecision.combine(identity: allow, bucket: implicit, sameAccount: false).decision, .implicitDeny)
        XCTAssertEqual(PolicyDecision.combine(identity: allow, bucket: allow, sameAccount: false).decision, .allow)
        XCTAssertEqual(PolicyDecision.combine(identity: allow, bucket: nil).decision, .allow)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(PolicyDecision.combine(identity: nil, bucket: implicit)), as: UTF8.self)
        XCTAssertEqual(json, #"{"bucket":{"decision":"implicit-deny","matchedStatements":[],"missingContextKeys":[],"statements":[]},"decision":"implicit-deny","identity":null,"sameAccount":true}"#)
        XCTAssertTrue(combined(alice, "s3:PutObject", "locked/x").text().contains("bucket policy:"))
    }
}
