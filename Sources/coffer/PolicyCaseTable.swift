import CofferPolicy
import Foundation

/// A case table for `coffer policy test` (format in docs/bucket-policies.md):
///
/// ```json
/// {"description": "...", "policy": "deny-deletes.json" or {inline policy}, "bucket": "example-bucket",
///  "now": "2026-01-01T00:00:00Z", "cases": [
///    {"name": "...", "request": {"principal": ..., "action": ..., "resource": ..., "context": {...}},
///     "expect": "allow" | "deny" | "explicit-deny" | "implicit-deny", "matchedSids": ["..."]},
///    {"name": "...", "request": {"http": "PUT /example-bucket/k", "headers": {...}, "secure": true,
///     "sourceIp": "203.0.113.7", "principal": ...}, "expect": "explicit-deny"}]}
/// ```
struct PolicyCaseTable {
    struct Case {
        var name: String
        var request: PolicyRequestSpec
        var expect: PolicyExpectation
        /// The Sids of the statements that decided (order does not matter); a statement without
        /// a Sid is written `#<index>`.
        var matchedSids: [String]?
    }

    var source: String
    var description: String?
    var policy: PolicyDocument
    var bucket: String?
    var now: Date?
    var cases: [Case]

    static func load(_ path: String) throws -> PolicyCaseTable {
        guard let data = FileManager.default.contents(atPath: path) else { throw PolicyCommandError("cannot read case table \(path)") }
        let o = try PolicyJSONObject(JSONValue.parse(data, source: path), path: path,
                                     known: ["description", "policy", "bucket", "now", "cases"])
        let description = try o.string("description")
        let bucket = try o.string("bucket")
        let now = try PolicyRequestSpec.time(o.string("now"), path: path)
        let policy: PolicyDocument
        switch o.value("policy") {
        case let .string(file)?:
            let resolved = file.hasPrefix("/") ? file : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(file).path
            guard let bytes = FileManager.default.contents(atPath: resolved) else {
                throw PolicyCommandError("\(path): cannot read policy file \(resolved)")
            }
            policy = PolicyDocument(source: resolved, bytes: Array(bytes))
        case let .object(members)?:
            policy = PolicyDocument(source: path + " (inline policy)", bytes: Array(JSONValue.object(members).jsonText.utf8))
        default:
            throw PolicyCommandError("\(path): \"policy\" must be a file name (relative to the table) or an inline policy object")
        }
        guard case let .array(items)? = o.value("cases"), !items.isEmpty else {
            throw PolicyCommandError("\(path): \"cases\" must be a non-empty array")
        }
        var cases: [Case] = []
        for (i, item) in items.enumerated() {
            let c = try PolicyJSONObject(item, path: "\(path): cases[\(i)]", known: ["name", "request", "expect", "matchedSids"])
            let name = try c.string("name") ?? "case \(i)"
            guard let request = c.value("request") else { throw PolicyCommandError("\(c.path) has no \"request\"") }
            let expectText = try c.requiredString("expect")
            guard let expect = PolicyExpectation(rawValue: expectText) else {
                throw PolicyCommandError("\(c.path): \"expect\" '\(expectText)' is not allow, deny, explicit-deny or implicit-deny")
            }
            let sids = try c.strings("matchedSids")
            let spec = try PolicyRequestSpec(json: request, path: "\(c.path).request")
            cases.append(Case(name: name, request: spec, expect: expect, matchedSids: sids))
        }
        return PolicyCaseTable(source: path, description: description, policy: policy, bucket: bucket, now: now, cases: cases)
    }
}

/// The outcome of one case.
struct PolicyCaseResult {
    var name: String
    /// Nil when the case passed.
    var failure: String?
    /// The request and the explained decision, when the case got that far.
    var detail: String?
}

extension PolicyCaseTable {
    /// Runs every case. The policy is parsed once per bucket: the table's `bucket`, or else the
    /// bucket each case's resource names.
    func run(defaultNow: Date) -> [PolicyCaseResult] {
        var parsed: [String: Result<Policy, PolicyError>] = [:]
        func policy(for bucket: String?) -> Result<Policy, PolicyError> {
            if let cached = parsed[bucket ?? ""] { return cached }
            let result = Result { () throws(PolicyError) -> Policy in try self.policy.parse(bucket: bucket) }
            parsed[bucket ?? ""] = result
            return result
        }
        return cases.map { c in
            let simulated: SimulatedRequest
            do {
                var spec = c.request
                spec.now = spec.now ?? now
                simulated = try spec.build(defaultNow: defaultNow)
            } catch {
                return PolicyCaseResult(name: c.name, failure: "\(error)")
            }
            let p: Policy
            switch policy(for: bucket ?? simulated.bucket) {
            case let .success(ok): p = ok
            case let .failure(error): return PolicyCaseResult(name: c.name, failure: PolicyDocument.describe(error))
            }
            let decision = simulated.evaluate(p)
            let detail = simulated.text() + "\n" + decision.text()
            if !c.expect.accepts(decision.decision) {
                return PolicyCaseResult(name: c.name, failure: "expected \(c.expect.rawValue), got \(decision.decision.rawValue)", detail: detail)
            }
            if let want = c.matchedSids {
                let got = decision.matchedStatements.map { $0.sid ?? "#\($0.index)" }
                if want.sorted() != got.sorted() {
                    let failure = "expected matched statements [\(want.joined(separator: ", "))], got [\(got.joined(separator: ", "))]"
                    return PolicyCaseResult(name: c.name, failure: failure, detail: detail)
                }
            }
            return PolicyCaseResult(name: c.name, failure: nil, detail: detail)
        }
    }
}
