import CofferSigV4
import CofferCrypto
@_spi(Benchmark) import CofferS3
import Foundation
import NIOCore

/// The versioning issue's bar: 4 KiB PUT and GET throughput in a versioning-enabled bucket
/// within 10 % of an unversioned one, on one in-process server, alternating, in one run. Each
/// run writes the same keys again, so the versioned bucket's keys gain a noncurrent version
/// per run (the write moves the current version aside; the read finds the current one).
struct VersioningBenchResult: Codable, Sendable {
    var runs: Int
    var objectsPerRun: Int
    var concurrency: Int
    var unversionedPutOpsPerSecond: Double
    var versionedPutOpsPerSecond: Double
    var unversionedGetOpsPerSecond: Double
    var versionedGetOpsPerSecond: Double
    var putRatio: Double { versionedPutOpsPerSecond / unversionedPutOpsPerSecond }
    var getRatio: Double { versionedGetOpsPerSecond / unversionedGetOpsPerSecond }
}

extension Bench {
    func measureVersioning() async throws -> VersioningBenchResult {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-bench-versioning-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let credential = Credential(accessKeyId: "BENCHVERSIONKEY1", secretAccessKey: Hex.encode(secureRandomBytes(20)), userName: "root")
        let server = try await InProcessServer.start(dataDir: work, credential: credential, concurrency: concurrency)
        defer { Task { await server.stop() } }
        try await server.client.createBucket("bench-unversioned")
        try await server.client.createBucket("bench-versioned")
        try await server.client.putBucketVersioning("bench-versioned", status: "Enabled")
        let rates = try await alternatingSmallRates(server.client, buckets: ["bench-unversioned", "bench-versioned"], gets: true) { run, rates in
            progress(String(format: "versioning run %d/%d: PUT unversioned %.0f, versioned %.0f ops/s; GET unversioned %.0f, versioned %.0f ops/s",
                            run, runs, rates.puts["bench-unversioned"]!.last!, rates.puts["bench-versioned"]!.last!,
                            rates.gets["bench-unversioned"]!.last!, rates.gets["bench-versioned"]!.last!))
        }
        let median = PipelineBenchmark.median
        return VersioningBenchResult(
            runs: runs, objectsPerRun: smallCount, concurrency: concurrency,
            unversionedPutOpsPerSecond: median(rates.puts["bench-unversioned"]!), versionedPutOpsPerSecond: median(rates.puts["bench-versioned"]!),
            unversionedGetOpsPerSecond: median(rates.gets["bench-unversioned"]!), versionedGetOpsPerSecond: median(rates.gets["bench-versioned"]!))
    }

    /// Per run, `smallCount` SSE-S3 4 KiB PUTs at `concurrency` into each of `buckets` (and, with
    /// `gets`, as many GETs of them), the buckets' order alternating from run to run so that
    /// neither always runs on a warmer store; ops/s per bucket per run. `report` sees the rates
    /// after each run.
    func alternatingSmallRates(
        _ client: BenchS3Client, buckets: [String], gets: Bool,
        report: (_ run: Int, _ rates: (puts: [String: [Double]], gets: [String: [Double]])) -> Void
    ) async throws -> (puts: [String: [Double]], gets: [String: [Double]]) {
        let body = benchRandomBuffer(size: 4096, seed: 0x9071C7)
        let sha = Hex.encode(CofferCrypto.SHA256.hash(Array(buffer: body)))
        let headers = [("x-amz-server-side-encryption", "AES256")]
        var rates: (puts: [String: [Double]], gets: [String: [Double]]) = ([:], [:])
        let count = smallCount
        for run in 0..<runs {
            for bucket in (run % 2 == 0 ? buckets : buckets.reversed()) {
                let seconds = try await concurrently(count: count, concurrency: concurrency) { index in
                    try await client.putSmall(bucket, "obj-\(index)", body: body, sha256: sha, headers: headers)
                }
                rates.puts[bucket, default: []].append(Double(count) / seconds)
                guard gets else { continue }
                let readSeconds = try await concurrently(count: count, concurrency: concurrency) { index in
                    try await client.getSmall(bucket, "obj-\(index)", expected: body.readableBytes)
                }
                rates.gets[bucket, default: []].append(Double(count) / readSeconds)
            }
            report(run + 1, rates)
        }
        return rates
    }
}
