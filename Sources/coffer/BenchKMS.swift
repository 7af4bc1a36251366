@_spi(Benchmark) import CofferServer
import CofferSigV4
import CofferCrypto
@_spi(Benchmark) import CofferS3
import Foundation
import Logging
import NIOCore
import Synchronization

/// The SSE-KMS issue's bars: 4 KiB PUT ops/s with SSE-KMS and bucket keys against SSE-S3 in
/// one run (the key-service calls per 10,000 objects printed beside it), and what the audit
/// trail costs (the same server with the trail switched off through the benchmark-only SPI).
struct KMSBenchResult: Codable, Sendable {
    var runs: Int
    var objectsPerRun: Int
    var concurrency: Int
    var sseS3OpsPerSecond: Double
    var kmsBucketKeyOpsPerSecond: Double
    var kmsPerObjectOpsPerSecond: Double
    var bucketKeyCallsPer10k: Double
    var perObjectCallsPer10k: Double
    var auditOnOpsPerSecond: Double
    var auditOffOpsPerSecond: Double
    var bucketKeyRatio: Double { kmsBucketKeyOpsPerSecond / sseS3OpsPerSecond }
    var perObjectRatio: Double { kmsPerObjectOpsPerSecond / sseS3OpsPerSecond }
    var auditCost: Double { 1 - auditOnOpsPerSecond / auditOffOpsPerSecond }
}

/// An in-process server for a benchmark phase.
struct InProcessServer {
    let task: Task<Void, any Error>
    let client: BenchS3Client
    let service: S3Service

    static func start(dataDir: String, credential: Credential, concurrency: Int, audit: Bool = true, plainStage: Bool = false) async throws -> InProcessServer {
        var logger = Logger(label: "coffer-bench")
        logger.logLevel = .critical
        var server = CofferServer(
            configuration: ServerConfiguration(
                dataDir: dataDir, httpAddress: ListenAddress(host: "127.0.0.1", port: 0), httpsAddress: nil,
                region: "us-east-1", domains: ["localhost"], tlsCertificate: nil, tlsKey: nil, usersFile: nil,
                rootAccessKey: credential.accessKeyId, rootSecretKey: credential.secretAccessKey),
            logger: logger)
        server.auditEnabled = audit
        if plainStage { server.packageStage = PipelineBenchmark.plainCopyStage }
        let serviceBox = Mutex<S3Service?>(nil)
        server.onService = { service in serviceBox.withLock { $0 = service } }
        let ready = OnceContinuation()
        let runner = server
        let task = Task {
            do {
                try await runner.run { startup in ready.resume(.success(startup.httpPort ?? 0)) }
            } catch {
                ready.resume(.failure(error))
                throw error
            }
        }
        let port = try await ready.value()
        let client = try BenchS3Client(endpoint: "http://127.0.0.1:\(port)", credential: credential, region: "us-east-1", concurrency: concurrency)
        guard let service = serviceBox.withLock({ $0 }) else { throw BenchS3Client.Failure.mismatch(path: "service") }
        return InProcessServer(task: task, client: client, service: service)
    }

    func stop() async {
        await client.shutdown()
        task.cancel()
    }
}

extension Bench {
    func measureKMS() async throws -> KMSBenchResult {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-bench-kms-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let credential = Credential(accessKeyId: "BENCHKMSKEY00001", secretAccessKey: Hex.encode(secureRandomBytes(20)), userName: "root")
        // One server for the encryption modes (interleaved on the same store), and a pair with
        // identical histories, one with the audit trail and one without, for the trail's cost.
        let main = try await InProcessServer.start(dataDir: work + "/modes", credential: credential, concurrency: concurrency, audit: true)
        let audited = try await InProcessServer.start(dataDir: work + "/audited", credential: credential, concurrency: concurrency, audit: true)
        let unaudited = try await InProcessServer.start(dataDir: work + "/unaudited", credential: credential, concurrency: concurrency, audit: false)
        defer { Task { await main.stop(); await audited.stop(); await unaudited.stop() } }
        for server in [main, audited, unaudited] { try await server.client.createBucket("kms") }

        let body = benchRandomBuffer(size: 4096, seed: 0x4B4D53)
        let sha = Hex.encode(CofferCrypto.SHA256.hash(Array(buffer: body)))
        let variants: [(name: String, server: InProcessServer, headers: [(String, String)])] = [
            ("sse-s3", main, [("x-amz-server-side-encryption", "AES256")]),
            ("kms-bucket-key", main, [("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-bucket-key-enabled", "true")]),
            ("kms-per-object", main, [("x-amz-server-side-encryption", "aws:kms")]),
            ("kms-bucket-key-audited", audited, [("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-bucket-key-enabled", "true")]),
            ("kms-bucket-key-unaudited", unaudited, [("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-bucket-key-enabled", "true")]),
        ]
        var rates: [String: [Double]] = [:]
        var calls: [String: [Double]] = [:]
        let count = smallCount
        for run in 0..<runs {
            let order = run % 2 == 0 ? variants : variants.reversed()
            for variant in order {
                let client = variant.server.client
                let before = variant.server.service.kmsCallCount
                let headers = variant.headers
                let name = variant.name
                let seconds = try await concurrently(count: count, concurrency: concurrency) { index in
                    try await client.putSmall("kms", "\(name)-\(index)", body: body, sha256: sha, headers: headers)
                }
                rates[variant.name, default: []].append(Double(count) / seconds)
                calls[variant.name, default: []].append(Double(variant.server.service.kmsCallCount - before) * 10_000 / Double(count))
            }
            progress(String(format: "kms run %d/%d: SSE-S3 %.0f, KMS+bucket key %.0f, KMS per object %.0f; KMS+bucket key with audit %.0f, without %.0f ops/s", run + 1, runs,
                            rates["sse-s3"]!.last!, rates["kms-bucket-key"]!.last!, rates["kms-per-object"]!.last!,
                            rates["kms-bucket-key-audited"]!.last!, rates["kms-bucket-key-unaudited"]!.last!))
        }
        let median = PipelineBenchmark.median
        return KMSBenchResult(
            runs: runs, objectsPerRun: count, concurrency: concurrency,
            sseS3OpsPerSecond: median(rates["sse-s3"]!), kmsBucketKeyOpsPerSecond: median(rates["kms-bucket-key"]!),
            kmsPerObjectOpsPerSecond: median(rates["kms-per-object"]!),
            bucketKeyCallsPer10k: calls["kms-bucket-key"]!.reduce(0, +) / Double(runs), perObjectCallsPer10k: calls["kms-per-object"]!.reduce(0, +) / Double(runs),
            auditOnOpsPerSecond: median(rates["kms-bucket-key-audited"]!), auditOffOpsPerSecond: median(rates["kms-bucket-key-unaudited"]!))
    }
}
