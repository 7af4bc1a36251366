@testable import CofferPolicy
import XCTest

/// A one-statement bucket policy (bucket `b`) allowing anonymous s3:GetObject under `condition`:
/// the request is allowed exactly when the condition holds.
func conditionHolds(
    _ condition: String, _ context: [String: [String]], version: String? = "2012-10-17",
    file: StaticString = #filePath, line: UInt = #line
) -> Bool? {
    let versionField = version.map { "\"Version\": \"\($0)\"," } ?? ""
    let json = """
        {\(versionField) "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::b/*", "Condition": \(condition)}]}
        """
    do {
        let policy = try Policy.parse(json, bucket: "b")
        let request = PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::b/k",
            context: context, derivePrincipalKeys: false)
        let decision = policy.evaluate(request)
        XCTAssertEqual(decision.decision == .allow, policy.decide(request) == .allow, "decide and evaluate disagree", file: file, line: line)
        return decision.decision == .allow
    } catch {
        XCTFail("policy refused: \(error) for \(condition)", file: file, line: line)
        return nil
    }
}

/// One row of a condition table: the Condition element, the request context, the expected truth.
struct ConditionCase {
    let condition: String
    let context: [String: [String]]
    let expected: Bool
    let line: UInt

    init(_ condition: String, _ context: [String: [String]], _ expected: Bool, line: UInt = #line) {
        self.condition = condition
        self.context = context
        self.expected = expected
        self.line = line
    }
}

func check(_ cases: [ConditionCase], version: String? = "2012-10-17", file: StaticString = #filePath) {
    for c in cases {
        let got = conditionHolds(c.condition, c.context, version: version, file: file, line: c.line)
        XCTAssertEqual(got, c.expected, "\(c.condition) with \(c.context)", file: file, line: c.line)
    }
}

/// Parses a bucket policy for bucket `b` or fails the test.
func bucketPolicy(_ json: String, bucket: String? = "b", file: StaticString = #filePath, line: UInt = #line) -> Policy? {
    do {
        return try Policy.parse(json, bucket: bucket)
    } catch {
        XCTFail("refused: \(error.reason)", file: file, line: line)
        return nil
    }
}

/// The statement list of a policy as JSON text, wrapped in a 2012-10-17 document.
func document(_ statements: String) -> String {
    "{\"Version\": \"2012-10-17\", \"Statement\": [\(statements)]}"
}

let alice = PolicyPrincipal.user("alice", account: "123456789012")
let bob = PolicyPrincipal.user("bob", account: "123456789012")
let mallory = PolicyPrincipal.user("mallory", account: "999999999999")
