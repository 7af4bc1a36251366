import CofferSigV4
import CofferCrypto
import CofferPolicy
@_spi(Benchmark) import CofferS3
import Foundation
import NIOCore

/// The bucket-policy issue's bars: evaluating a 20-statement policy with conditions (median,
/// in process), and 4 KiB PUT throughput to a bucket with that policy against one without,
/// on one server, alternating, in one run.
struct PolicyBenchResult: Codable, Sendable {
    var evaluation: PolicyBenchmark.Result
    var runs: Int
    var objectsPerRun: Int
    var concurrency: Int
    var withPolicyOpsPerSecond: Double
    var withoutPolicyOpsPerSecond: Double
    var ratio: Double { withPolicyOpsPerSecond / withoutPolicyOpsPerSecond }
}

extension Bench {
    /// The benchmark policy of `PolicyBenchmark`, attached to `bucket` of `account`: every
    /// statement still evaluated, none refusing the benchmark's own PUTs (HTTP, AES256, root).
    static func benchPolicy(bucket: String, account: String) -> String {
        PolicyBenchmark.policyText
            .replacingOccurrences(of: "bench-bucket", with: bucket)
            .replacingOccurrences(of: "111122223333", with: account)
            .replacingOccurrences(of: #"{"Bool": {"aws:SecureTransport": "false"}}"#,
                                  with: #"{"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}"#)
    }

    func measurePolicy() async throws -> PolicyBenchResult {
        let evaluation = PolicyBenchmark.run(iterations: 50_000)
        progress(String(format: "policy: evaluate median %.2f us, decide median %.2f us (%d statements)",
                        evaluation.medianMicroseconds, evaluation.decideMedianMicroseconds, evaluation.statements))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-bench-policy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let credential = Credential(accessKeyId: "BENCHPOLICYKEY01", secretAccessKey: Hex.encode(secureRandomBytes(20)), userName: "root")
        let server = try await InProcessServer.start(dataDir: work, credential: credential, concurrency: concurrency)
        defer { Task { await server.stop() } }
        let account = server.service.users.root.accountId
        try await server.client.createBucket("bench-plain")
        try await server.client.createBucket("bench-policy")
        try await server.client.putBucketPolicy("bench-policy", policy: Self.benchPolicy(bucket: "bench-policy", account: account))
        let rates = try await alternatingSmallRates(server.client, buckets: ["bench-plain", "bench-policy"], gets: false) { run, rates in
            progress(String(format: "policy run %d/%d: without policy %.0f, with the 20-statement policy %.0f ops/s", run, runs,
                            rates.puts["bench-plain"]!.last!, rates.puts["bench-policy"]!.last!))
        }.puts
        return PolicyBenchResult(evaluation: evaluation, runs: runs, objectsPerRun: smallCount, concurrency: concurrency,
                                 withPolicyOpsPerSecond: PipelineBenchmark.median(rates["bench-policy"]!),
                                 withoutPolicyOpsPerSecond: PipelineBenchmark.median(rates["bench-plain"]!))
    }
}
