@testable import CofferPolicy
import Foundation
import XCTest

/// Policy variables: substitution, defaults, escapes, missing keys, and the Version rule.
final class VariableTests: XCTestCase {
    func testSubstitutionUnder2012() {
        check([
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#, ["aws:username": ["alice"], "s3:prefix": ["home/alice/"]], true),
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#, ["aws:username": ["alice"], "s3:prefix": ["home/bob/"]], false),
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${AWS:UserName}/"}}"#, ["aws:username": ["alice"], "s3:prefix": ["home/alice/"]], true),
            ConditionCase(#"{"StringLike": {"s3:prefix": "home/${aws:username}/*"}}"#, ["aws:username": ["alice"], "s3:prefix": ["home/alice/x/y"]], true),
            ConditionCase(#"{"StringEqualsIgnoreCase": {"s3:prefix": "${aws:username}"}}"#, ["aws:username": ["Alice"], "s3:prefix": ["ALICE"]], true),
            ConditionCase(#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}"#,
                ["aws:PrincipalTag/team": ["blue"], "aws:ResourceTag/team": ["blue"]], true),
            ConditionCase(#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/${aws:username}"}}"#,
                ["aws:username": ["alice"], "aws:PrincipalArn": ["arn:aws:iam::123456789012:user/alice"]], true),
            ConditionCase(#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${k:bucket}/*"}}"#,
                ["k:bucket": ["b"], "aws:SourceArn": ["arn:aws:s3:::b/key"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "${k:a}-${k:b}"}}"#, ["k:a": ["1"], "k:b": ["2"], "k:x": ["1-2"]], true),
        ])
    }

    func testMissingVariableMatchesNothing() {
        check([
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#, ["s3:prefix": ["home//"]], false),
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#, ["s3:prefix": ["home/${aws:username}/"]], false),
            ConditionCase(#"{"StringLike": {"s3:prefix": "home/${aws:username}/*"}}"#, ["s3:prefix": ["home/x/"]], false),
            // The value that cannot be resolved matches nothing; the others still count.
            ConditionCase(#"{"StringEquals": {"s3:prefix": ["${aws:username}", "public"]}}"#, ["s3:prefix": ["public"]], true),
            // For a negated operator an unresolvable value excludes nothing.
            ConditionCase(#"{"StringNotEquals": {"s3:prefix": "${aws:username}"}}"#, ["s3:prefix": ["x"]], true),
            // A multivalued key cannot be substituted.
            ConditionCase(#"{"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}"#, ["aws:TagKeys": ["a", "b"], "s3:prefix": ["a"]], false),
        ])
    }

    func testDefaults() {
        check([
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username, 'guest'}/"}}"#, ["s3:prefix": ["home/guest/"]], true),
            ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username, 'guest'}/"}}"#, ["aws:username": ["al"], "s3:prefix": ["home/al/"]], true),
            ConditionCase(#"{"StringEquals": {"s3:prefix": "${aws:username,'guest'}"}}"#, ["s3:prefix": ["guest"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "${k:missing, 'it''s'}"}}"#, ["k:x": ["it's"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "${k:missing, ''}"}}"#, ["k:x": [""]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "${k:missing, '${k:other}'}"}}"#, ["k:x": ["${k:other}"], "k:other": ["o"]], true),
        ])
    }

    func testEscapes() {
        check([
            ConditionCase(#"{"StringLike": {"k:x": "a${*}b"}}"#, ["k:x": ["a*b"]], true),
            ConditionCase(#"{"StringLike": {"k:x": "a${*}b"}}"#, ["k:x": ["axb"]], false),
            ConditionCase(#"{"StringLike": {"k:x": "a${?}"}}"#, ["k:x": ["a?"]], true),
            ConditionCase(#"{"StringLike": {"k:x": "a${?}"}}"#, ["k:x": ["ab"]], false),
            ConditionCase(#"{"StringEquals": {"k:x": "cost${$}"}}"#, ["k:x": ["cost$"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "${*}"}}"#, ["k:x": ["*"]], true),
            // A substituted value is literal text, never a wildcard.
            ConditionCase(#"{"StringLike": {"k:x": "home/${k:user}/*"}}"#, ["k:user": ["*"], "k:x": ["home/x/y"]], false),
            ConditionCase(#"{"StringLike": {"k:x": "home/${k:user}/*"}}"#, ["k:user": ["*"], "k:x": ["home/*/y"]], true),
            // Text that is not a well-formed variable stays literal.
            ConditionCase(#"{"StringEquals": {"k:x": "${unclosed"}}"#, ["k:x": ["${unclosed"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "${}"}}"#, ["k:x": ["${}"]], true),
        ])
    }

    func testVariablesAreLiteralUnder2008() {
        for version in ["2008-10-17", nil] as [String?] {
            check([
                ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#, ["aws:username": ["alice"], "s3:prefix": ["home/alice/"]], false),
                ConditionCase(#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#, ["aws:username": ["alice"], "s3:prefix": ["home/${aws:username}/"]], true),
                ConditionCase(#"{"StringEquals": {"k:x": "${*}"}}"#, ["k:x": ["${*}"]], true),
                ConditionCase(#"{"StringLike": {"k:x": "${*}"}}"#, ["k:x": ["${anything}"]], true),  // the * is a wildcard here
            ], version: version)
        }
    }

    func testVariablesInResource() throws {
        let json = document(#"""
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": "arn:aws:s3:::b/home/${aws:username}/*"}
            """#)
        let policy = try Policy.parse(json, bucket: "b")
        func decision(_ p: PolicyPrincipal, _ key: String) -> PolicyDecision.Decision {
            policy.evaluate(PolicyRequest(principal: p, action: "s3:PutObject", resource: "arn:aws:s3:::b/\(key)")).decision
        }
        XCTAssertEqual(decision(alice, "home/alice/notes.txt"), .allow)
        XCTAssertEqual(decision(alice, "home/bob/notes.txt"), .implicitDeny)
        XCTAssertEqual(decision(bob, "home/bob/notes.txt"), .allow)
        // The root user has no aws:username: the resource matches nothing, and the decision says why.
        let root = policy.evaluate(PolicyRequest(principal: .root(account: "123456789012"), action: "s3:PutObject",
            resource: "arn:aws:s3:::b/home/x/y"))
        XCTAssertEqual(root.decision, .implicitDeny)
        XCTAssertEqual(root.statements[0].reason?.element, .resource)
        XCTAssertEqual(root.missingContextKeys, ["aws:username"])

        // Under 2008-10-17 the resource is literal text.
        let old = try Policy.parse(json.replacingOccurrences(of: "2012-10-17", with: "2008-10-17"), bucket: "b")
        XCTAssertEqual(old.evaluate(PolicyRequest(principal: alice, action: "s3:PutObject", resource: "arn:aws:s3:::b/home/alice/x")).decision, .implicitDeny)
        XCTAssertEqual(old.evaluate(PolicyRequest(principal: alice, action: "s3:PutObject", resource: "arn:aws:s3:::b/home/${aws:username}/x")).decision, .allow)
    }

    func testTemplateParsing() {
        let t = Template("a${aws:username}b${ k:x , 'd''e' }c${*}${?}${$}", variables: true)
        XCTAssertEqual(t.variableKeys, ["aws:username", "k:x"])
        XCTAssertEqual(t.resolve(in: ["aws:username": ["U"]]), "aUbd'ec*?$")
        XCTAssertNil(Template("${k:y}", variables: true).resolve(in: [:]))
        XCTAssertFalse(Template("${k:y}", variables: false).hasVariables)
        XCTAssertEqual(Template("${k:y}", variables: false).resolve(in: [:]), "${k:y}")
        XCTAssertFalse(Template("${a b}", variables: true).hasVariables)
        XCTAssertFalse(Template("${k:x, 'unterminated}", variables: true).hasVariables)
    }
}
