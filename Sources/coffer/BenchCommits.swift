import CofferCrypto
@_spi(Benchmark) import CofferS3
import CofferSigV4
import CofferStorage
import Foundation
import NIOCore

/// The `commits` phase: log syncs per 4 KiB PUT, as the store counts them
/// (``LevelDB/commitStatistics``), at `--concurrency` and with one client. It runs a server in
/// this process (the full HTTP path, SigV4 with the payload's SHA-256, audit on) so that it can
/// read the store's own counters; durability is unchanged (every PUT is acknowledged after its
/// commit is synced), and the figure shows how many commits share one sync.
struct CommitsResult: Codable, Sendable {
    struct Load: Codable, Sendable {
        var concurrency: Int
        var puts: Int
        var commits: Int
        var syncs: Int
        var opsPerSecond: [Double]
        var syncsPerPut: Double { puts > 0 ? Double(syncs) / Double(puts) : 0 }
        var commitsPerSync: Double { syncs > 0 ? Double(commits) / Double(syncs) : 0 }
    }

    var loads: [Load]
}

extension Bench {
    func measureCommits() async throws -> CommitsResult {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-bench-commits-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let credential = Credential(accessKeyId: "BENCHCOMMITKEY01", secretAccessKey: Hex.encode(secureRandomBytes(20)), userName: "root")
        let server = try await InProcessServer.start(dataDir: work, credential: credential, concurrency: concurrency, audit: true)
        defer { Task { await server.stop() } }
        guard let database = server.service.store.db else { throw BenchS3Client.Failure.mismatch(path: "commits: not a LevelDB store") }
        try await server.client.createBucket("commits")
        let body = benchRandomBuffer(size: smallSize, seed: 0xC0_3317)
        let sha = Hex.encode(CofferCrypto.SHA256.hash(Array(buffer: body)))
        var loads: [CommitsResult.Load] = []
        for width in Array(Set([concurrency, 1])).sorted(by: >) {
            var load = CommitsResult.Load(concurrency: width, puts: 0, commits: 0, syncs: 0, opsPerSecond: [])
            let count = width == 1 ? max(smallCount / 4, 1) : smallCount
            for run in 0..<runs {
                let before = database.commitStatistics
                let client = server.client
                let seconds = try await concurrently(count: count, concurrency: width) { index in
                    try await client.putSmall("commits", "c\(width)-\(index)", body: body, sha256: sha)
                }
                let after = database.commitStatistics
                load.puts += count
                load.commits += after.commits - before.commits
                load.syncs += after.syncs - before.syncs
                load.opsPerSecond.append(Double(count) / seconds)
                progress(String(format: "commits run %d/%d, concurrency %d: %.0f PUT/s, %.2f syncs per PUT", run + 1, runs, width,
                                load.opsPerSecond.last!, Double(after.syncs - before.syncs) / Double(count)))
            }
            loads.append(load)
        }
        return CommitsResult(loads: loads)
    }
}
