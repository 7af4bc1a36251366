@testable import CofferPolicy
import XCTest

/// Prints the evaluation figures (no assertion on time: benchmarks print, they do not gate).
/// Debug builds are several times slower than release; `coffer bench` reports release figures.
final class BenchmarkTests: XCTestCase {
    func testBenchmarkPolicyIsValidAndDecides() throws {
        let policy = try Policy.parse(PolicyBenchmark.policyText, bucket: "bench-bucket")
        XCTAssertEqual(policy.statements.count, 20)
        let decisions = PolicyBenchmark.requests().map { policy.evaluate($0).decision }
        XCTAssertEqual(decisions, [.allow, .allow, .allow, .allow])
        for r in PolicyBenchmark.requests() {
            XCTAssertEqual(policy.decide(r), policy.evaluate(r).decision)
        }
    }

    /// `decide` and `evaluate` agree on many generated requests, and explanations agree with
    /// the verdict.
    func testDecideAgreesWithEvaluate() throws {
        let policy = try Policy.parse(PolicyBenchmark.policyText, bucket: "bench-bucket")
        var seed: UInt64 = 42
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        let principals: [PolicyPrincipal] = [
            .anonymous, alice, .user("reporter", account: "111122223333"), .user("x", account: "111122223333"),
            .aws(AWSPrincipal(arn: "arn:aws:sts::444455556666:assumed-role/partner-a/s", accountId: "444455556666")),
            .service("logging.s3.amazonaws.com"), mallory,
        ]
        let actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:GetObjectVersion"]
        let keys = ["", "public/a", "home/x/f", "home/alice/f", "reports/r", "shared/s", "secure/k", "archive/a", "tagged/t", "logs/l", "agents/a"]
        let values: [(String, [String])] = [
            ("aws:SecureTransport", ["true"]), ("aws:SecureTransport", ["false"]), ("aws:SourceIp", ["192.0.2.1"]),
            ("aws:SourceIp", ["198.51.100.1"]), ("s3:x-amz-server-side-encryption", ["aws:kms"]),
            ("s3:x-amz-server-side-encryption", ["AES256"]), ("s3:x-amz-acl", ["bucket-owner-full-control"]),
            ("aws:CurrentTime", ["2026-01-01T00:00:00Z"]), ("aws:CurrentTime", ["2036-01-01T00:00:00Z"]), ("s3:TlsVersion", ["1.1"]),
            ("s3:RequestObjectTagKeys", ["project", "owner"]), ("s3:RequestObjectTagKeys", ["other"]), ("s3:prefix", ["home/x/"]),
            ("aws:SourceAccount", ["111122223333"]), ("aws:UserAgent", ["Boto3/1.2"]), ("s3:x-amz-storage-class", ["standard"]),
        ]
        var counts: [PolicyDecision.Decision: Int] = [:]
        for _ in 0..<3000 {
            var context: [String: [String]] = [:]
            for _ in 0..<next(6) { let (k, v) = values[next(values.count)]; context[k] = v }
            let key = keys[next(keys.count)]
            let request = PolicyRequest(principal: principals[next(principals.count)], action: actions[next(actions.count)],
                resource: "arn:aws:s3:::bench-bucket" + (key.isEmpty ? "" : "/" + key), context: context)
            let d = policy.evaluate(request)
            XCTAssertEqual(policy.decide(request), d.decision)
            let matched = d.statements.filter(\.matched)
            XCTAssertEqual(d.decision == .explicitDeny, matched.contains { $0.effect == .deny })
            XCTAssertEqual(d.decision == .allow, !matched.contains { $0.effect == .deny } && matched.contains { $0.effect == .allow })
            XCTAssertEqual(d.matchedStatements.map(\.index), matched.filter { $0.effect == (d.decision == .allow ? .allow : .deny) && d.decision != .implicitDeny }.map(\.index))
            counts[d.decision, default: 0] += 1
        }
        XCTAssertEqual(counts.count, 3, "every decision kind occurs: \(counts)")
    }

    func testPrintFigures() {
        let r = PolicyBenchmark.run(iterations: 2_000)
        XCTAssertEqual(r.statements, 20)
        print("policy evaluate (20 statements): median \(r.medianMicroseconds) µs, p90 \(r.p90Microseconds) µs; "
            + "with explanations \(r.explainedMedianMicroseconds) µs; decide median \(r.decideMedianMicroseconds) µs; request build median \(r.requestMedianMicroseconds) µs")
    }
}
