import CofferSigV4
import CofferCrypto
@_spi(Benchmark) import CofferS3
import Foundation
import Logging
import NIOCore
import Synchronization

/// The encryption issue's end-to-end bar: single-stream 64 MiB PUT and GET over HTTP against
/// two in-process servers, one sealing as always and one whose stage is the benchmark-only
/// plain copy, measured alternately in one run.
struct StageResult: Codable, Sendable {
    var objectMiB: Int
    var runs: Int
    var sealedPutMBps: Double
    var plainPutMBps: Double
    var sealedGetMBps: Double
    var plainGetMBps: Double
    var putRatio: Double { sealedPutMBps / plainPutMBps }
    var getRatio: Double { sealedGetMBps / plainGetMBps }
}

extension Bench {
    func measureStage() async throws -> StageResult {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-bench-stage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let credential = Credential(accessKeyId: "BENCHSTAGEKEY001", secretAccessKey: Hex.encode(secureRandomBytes(20)), userName: "root")
        var servers: [(plain: Bool, server: InProcessServer)] = []
        defer { for entry in servers { entry.server.task.cancel() } }
        for plain in [false, true] {
            let server = try await InProcessServer.start(dataDir: work + (plain ? "/plain" : "/sealed"), credential: credential, concurrency: 1, plainStage: plain)
            try await server.client.createBucket("stage")
            servers.append((plain, server))
        }
        let size = largeMib << 20
        let pattern = benchRandomBuffer(size: size, seed: 0x57A6E)
        var sink = ByteBufferAllocator().buffer(capacity: size)
        var puts: [Bool: [Double]] = [:], gets: [Bool: [Double]] = [:]
        for run in 0..<runs {
            for entry in (run % 2 == 0 ? servers : servers.reversed()) {
                let server = (plain: entry.plain, client: entry.server.client)
                var start = ContinuousClock.now
                try await server.client.putStream("stage", "large", pattern: pattern, length: size, chunk: 256 << 10, timeout: .seconds(600))
                puts[server.plain, default: []].append(Double(size) / 1e6 / Self.seconds(since: start))
                sink.clear()
                start = ContinuousClock.now
                let count = try await server.client.getStream("stage", "large", timeout: .seconds(600)) { sink.writeImmutableBuffer($0) }
                gets[server.plain, default: []].append(Double(size) / 1e6 / Self.seconds(since: start))
                guard count == size, sink == pattern else { throw BenchS3Client.Failure.mismatch(path: "/stage/large") }
            }
            progress(String(format: "stage run %d/%d: sealed PUT %.1f GET %.1f MB/s; plain PUT %.1f GET %.1f MB/s", run + 1, runs,
                puts[false]!.last!, gets[false]!.last!, puts[true]!.last!, gets[true]!.last!))
        }
        for entry in servers { await entry.server.client.shutdown() }
        return StageResult(
            objectMiB: largeMib, runs: runs, sealedPutMBps: PipelineBenchmark.median(puts[false]!), plainPutMBps: PipelineBenchmark.median(puts[true]!),
            sealedGetMBps: PipelineBenchmark.median(gets[false]!), plainGetMBps: PipelineBenchmark.median(gets[true]!))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        PipelineBenchmark.seconds(ContinuousClock.now - start)
    }
}

/// A continuation resumed at most once, from whichever side gets there first.
final class OnceContinuation: Sendable {
    private let state = Mutex<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>((nil, nil))

    func resume(_ result: Result<Int, any Error>) {
        let waiter: CheckedContinuation<Int, any Error>? = state.withLock { s in
            guard s.result == nil else { return nil }
            s.result = result
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = state.withLock { s in
                if let result = s.result { return result }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
