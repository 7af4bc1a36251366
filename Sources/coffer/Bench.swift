import CofferSigV4
import ArgumentParser
import AsyncHTTPClient
import CofferCrypto
@_spi(Benchmark) import CofferS3
import Dispatch
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// `coffer bench`: measures a Coffer server (its own child process by default) and prints
/// figures: single-stream large-object MB/s, small-object ops/s at a fixed concurrency, and
/// the server's peak RSS while a 1 GiB object goes in and out. Bounded: every loop has a
/// count, the whole run has a deadline, and all traffic goes to the endpoint (loopback when
/// the benchmark starts its own server).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark a Coffer server: large-object MB/s, 4 KiB ops/s, peak RSS under a 1 GiB PUT and GET.",
        discussion: """
            By default it starts `coffer serve` (this same binary) on a free loopback port with a \
            temporary data directory and generated credentials, and stops it at the end; each RSS \
            run gets a fresh server of its own, so that its idle RSS is a true idle. With \
            --endpoint it measures an existing server instead (the RSS figures are then skipped). \
            Exits 1 when the VmRSS bound fails, 3 on the overall timeout. \
            Use a release build for figures: swift build -c release && .build/release/coffer bench
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "Measure this existing server (e.g. http://127.0.0.1:9000) instead of starting one.")
    var endpoint: String?
    @Option(help: "Access key for --endpoint (default: $AWS_ACCESS_KEY_ID).")
    var accessKey: String?
    @Option(help: "Secret key for --endpoint (default: $AWS_SECRET_ACCESS_KEY).")
    var secretKey: String?
    @Option(help: "Region to sign for.")
    var region: String = "us-east-1"

    @Option(help: "Repetitions of each measurement; figures are the median (and min/max).")
    var runs: Int = 5
    @Option(help: "Size of the single-stream object, MiB.")
    var largeMib: Int = 64
    @Option(help: "Small-object operations per run (each of PUT and GET).")
    var smallCount: Int = 4000
    @Option(help: "Size of a small object, bytes.")
    var smallSize: Int = 4096
    @Option(help: "Concurrent small-object requests.")
    var concurrency: Int = 8
    @Option(help: "Size of the object PUT and read back while the server's RSS is sampled, MiB.")
    var rssMib: Int = 1024
    @Option(help: "Repetitions of the RSS measurement (default: --runs).")
    var rssRuns: Int?
    @Option(help: "The RSS bound checked: peak minus idle must stay under this, MiB.")
    var rssBoundMib: Int = 128
    @Option(help: "Comma-separated phases to run: large, small, rss, pipeline (in process: sealed vs plain-copy stage, range reads), stage (64 MiB over HTTP: a sealing server vs a plain-copy one), ceiling (synced LevelDB batches of one 4 KiB value and one 200 B record from --concurrency threads, no HTTP: the disk's limit for small PUTs), commits (log syncs per 4 KiB PUT as the store counts them, at --concurrency and at 1, in-process server), kms (4 KiB PUTs: SSE-S3 vs SSE-KMS with and without bucket keys, key-service calls, audit trail cost), policy (20-statement policy evaluation; 4 KiB PUTs with and without it), versioning (4 KiB PUTs and GETs in a versioning-enabled bucket vs an unversioned one).")
    var phases: String = "large,small,ceiling,commits,rss,pipeline,stage,kms,policy,versioning"

    @Option(help: "Output format: text (a table) or json.")
    var format: Format = .text
    @Option(help: "Overall deadline in seconds: past it the benchmark stops the server and exits with status 3.")
    var timeout: Double = 1800
    @Option(help: "The coffer binary to start (default: this executable).")
    var serverBinary: String?
    @Option(help: "Directory in which the temporary data directory is made (default: the system temp dir).")
    var workDir: String?
    @Option(help: "--log-level passed to the started server (its log goes to a file in the work dir).")
    var serverLogLevel: String?
    @Flag(help: "Keep the started server's work directory (data and log) instead of deleting it.")
    var keepData = false

    func validate() throws {
        guard runs >= 1, runs <= 100 else { throw ValidationError("--runs must be 1...100") }
        guard largeMib >= 1, largeMib <= 4096 else { throw ValidationError("--large-mib must be 1...4096") }
        guard smallCount >= 1, smallCount <= 1_000_000 else { throw ValidationError("--small-count must be 1...1000000") }
        guard smallSize >= 0, smallSize <= 1 << 20 else { throw ValidationError("--small-size must be 0...1048576") }
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be 1...256") }
        guard rssMib >= 1, rssMib <= 65536 else { throw ValidationError("--rss-mib must be 1...65536") }
        guard (rssRuns ?? 1) >= 1, (rssRuns ?? 1) <= 100 else { throw ValidationError("--rss-runs must be 1...100") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        let known: Set<String> = ["large", "small", "ceiling", "commits", "rss", "pipeline", "stage", "kms", "policy", "versioning"]
        for phase in phaseSet where !known.contains(phase) { throw ValidationError("unknown phase '\(phase)' (\(known.sorted().joined(separator: ", ")))") }
        if endpoint != nil {
            guard (accessKey ?? ProcessInfo.processInfo.environment["AWS_ACCESS_KEY_ID"]) != nil,
                  (secretKey ?? ProcessInfo.processInfo.environment["AWS_SECRET_ACCESS_KEY"]) != nil
            else { throw ValidationError("--endpoint needs --access-key and --secret-key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)") }
        }
    }

    var phaseSet: Set<String> { Set(phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }

    func run() async throws {
        BenchSafety.install(timeout: timeout)
        let report: BenchReport
        do {
            report = try await measure()
        } catch {
            BenchCleanup.run()
            throw error
        }
        switch format {
        case .text: print(report.table())
        case .json: print(report.json())
        }
        if report.rss?.verdict == "FAIL" { throw ExitCode(1) }
    }

    func progress(_ message: String) {
        FileHandle.standardError.write(Data("bench: \(message)\n".utf8))
    }

    // MARK: - The measurements

    private func measure() async throws -> BenchReport {
        let started = Date()
        var report = BenchReport(
            command: CommandLine.arguments.joined(separator: " "),
            date: ISO8601DateFormatter().string(from: started),
            machine: .current(),
            server: .init(spawned: endpoint == nil, endpoint: "", binary: nil, pid: nil, startRSSMiB: nil, exitStatus: nil),
            settings: .init(runs: runs, largeMiB: largeMib, smallCount: smallCount, smallSize: smallSize,
                            concurrency: concurrency, rssMiB: rssMib, rssRuns: rssRuns ?? runs, rssBoundMiB: rssBoundMib),
            results: [], ceiling: nil, rss: nil, durationSeconds: 0)

        var failure: (any Error)?
        let mainPhases = !phaseSet.isDisjoint(with: ["large", "small"]) || (self.endpoint != nil && phaseSet.contains("rss"))
        if mainPhases {
            let target = try await open(main: true, report: &report)
            do {
                try await measurePhases(target, report: &report)
                if self.endpoint != nil, phaseSet.contains("rss") { try await measureRSS(existing: target, report: &report) }
            } catch {
                failure = error
            }
            if let exit = await close(target) { report.server.exitStatus = exit }
        }
        if failure == nil, phaseSet.contains("ceiling") {
            progress("ceiling: \(smallCount) synced LevelDB batches from \(concurrency) threads, \(runs) runs (in process, no HTTP)")
            do { try measureCeiling(report: &report) } catch { failure = error }
        }
        if failure == nil, phaseSet.contains("commits"), endpoint == nil {
            progress("commits: \(smallCount) x \(smallSize) B PUTs at concurrency \(concurrency) and \(max(smallCount / 4, 1)) at 1, \(runs) runs (in-process server, the store's sync counter)")
            do { report.commits = try await measureCommits() } catch { failure = error }
        }
        // The RSS runs each get a fresh server of their own, so that idle means idle: a server
        // that has just served the other phases (or a previous 1 GiB run) still holds their
        // caches and mapped table files, and its "idle" would hide what one upload costs.
        if failure == nil, self.endpoint == nil, phaseSet.contains("rss") {
            do { try await measureRSS(existing: nil, report: &report) } catch { failure = error }
        }
        if failure == nil, phaseSet.contains("pipeline") {
            progress("pipeline: sealed versus plain-copy stage, \(largeMib) MiB x \(runs), and 1 KiB range reads of a \(rssMib) MiB object (in process)")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-bench-pipeline-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            do {
                report.pipeline = try await PipelineBenchmark.run(directory: directory, objectMiB: largeMib, runs: runs, rangeObjectMiB: rssMib)
            } catch {
                failure = error
            }
        }
        if failure == nil, phaseSet.contains("stage"), endpoint == nil {
            progress("stage: \(largeMib) MiB over HTTP, a sealing server vs a plain-copy one (in process), \(runs) runs")
            do { report.stage = try await measureStage() } catch { failure = error }
        }
        if failure == nil, phaseSet.contains("kms"), endpoint == nil {
            progress("kms: \(smallCount) x 4 KiB PUTs at concurrency \(concurrency) per variant, \(runs) runs (in-process servers)")
            do { report.kms = try await measureKMS() } catch { failure = error }
        }
        if failure == nil, phaseSet.contains("policy"), endpoint == nil {
            progress("policy: evaluation of a 20-statement policy, then \(smallCount) x 4 KiB PUTs with and without it, \(runs) runs")
            do { report.policy = try await measurePolicy() } catch { failure = error }
        }
        if failure == nil, phaseSet.contains("versioning"), endpoint == nil {
            progress("versioning: \(smallCount) x 4 KiB PUTs and GETs in a versioned and an unversioned bucket, \(runs) runs")
            do { report.versioning = try await measureVersioning() } catch { failure = error }
        }
        if let failure { throw failure }
        report.durationSeconds = Date().timeIntervalSince(started)
        return report
    }

    /// The `ceiling` phase (`CeilingBenchmark`), each run on a fresh store in the work dir.
    private func measureCeiling(report: inout BenchReport) throws {
        var samples: [Double] = []
        var cpu: [Double] = []
        let base = workDir ?? FileManager.default.temporaryDirectory.path
        for run in 1...runs {
            let directory = base + "/coffer-bench-ceiling-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let figures = try CeilingBenchmark.run(directory: directory, threads: concurrency, count: smallCount, valueSize: smallSize, recordSize: 200)
            samples.append(figures.opsPerSecond)
            cpu.append(figures.cpuMicrosPerOp)
            progress(String(format: "ceiling run %d/%d: %.0f synced batches/s, %.0f µs CPU per batch", run, runs, figures.opsPerSecond, figures.cpuMicrosPerOp))
        }
        let ops = BenchReport.Result(name: "ceiling", label: "", unit: "ops/s", samples: samples).median
        let cpuPerOp = BenchReport.Result(name: "ceiling_cpu", label: "", unit: "µs", samples: cpu).median
        let smallPut = report.results.first { $0.name == "put_small" }?.median
        report.ceiling = .init(threads: concurrency, valueBytes: smallSize, recordBytes: 200, samples: samples, opsPerSecond: ops,
                               cpuMicrosPerOp: cpuPerOp, smallPutRatio: smallPut.map { $0 / ops })
    }

    private func measurePhases(_ target: Target, report: inout BenchReport) async throws {
        let client = target.client
        let bucket = target.bucket
        let server = target.server
        let phases = phaseSet
        let small = benchRandomBuffer(size: smallSize, seed: 0x5EED)
        let smallHash = Hex.encode(CofferCrypto.SHA256.hash(Array(small.readableBytesView)))

        if phases.contains("large") {
            let size = largeMib << 20
            let pattern = benchRandomBuffer(size: size, seed: 0x1A26E)
            var sink = ByteBufferAllocator().buffer(capacity: size)
            var puts: [Double] = []
            var gets: [Double] = []
            var putCPU = CPUAccount()
            var getCPU = CPUAccount()
            for run in 1...runs {
                let putTime = try await metered(&putCPU, server) {
                    try await client.putStream(bucket, "large", pattern: pattern, length: size, chunk: 256 << 10, timeout: .seconds(600))
                }
                sink.clear()
                let getTime = try await metered(&getCPU, server) {
                    let count = try await client.getStream(bucket, "large", timeout: .seconds(600)) { sink.writeImmutableBuffer($0) }
                    guard count == size else { throw BenchS3Client.Failure.shortBody(path: "/\(bucket)/large", expected: size, got: count) }
                }
                guard sink == pattern else { throw BenchS3Client.Failure.mismatch(path: "/\(bucket)/large") }
                puts.append(Double(size) / putTime / 1e6)
                gets.append(Double(size) / getTime / 1e6)
                progress(String(format: "large run %d/%d: PUT %.1f MB/s, GET %.1f MB/s", run, runs, puts.last!, gets.last!))
            }
            let megabytes = Double(size) / 1e6 * Double(runs)
            report.results.append(.init(name: "put_large", label: "PUT \(largeMib) MiB, 1 stream", unit: "MB/s", samples: puts, cpu: putCPU, work: megabytes))
            report.results.append(.init(name: "get_large", label: "GET \(largeMib) MiB, 1 stream", unit: "MB/s", samples: gets, cpu: getCPU, work: megabytes))
        }

        if phases.contains("small") {
            var puts: [Double] = []
            var gets: [Double] = []
            let count = smallCount
            var putCPU = CPUAccount()
            var getCPU = CPUAccount()
            for run in 1...runs {
                let putTime = try await metered(&putCPU, server) {
                    _ = try await concurrently(count: count, concurrency: concurrency) { index in
                        try await client.putSmall(bucket, "small-\(index)", body: small, sha256: smallHash)
                    }
                }
                let getTime = try await metered(&getCPU, server) {
                    _ = try await concurrently(count: count, concurrency: concurrency) { index in
                        try await client.getSmall(bucket, "small-\(index)", expected: small.readableBytes)
                    }
                }
                puts.append(Double(count) / putTime)
                gets.append(Double(count) / getTime)
                progress(String(format: "small run %d/%d: PUT %.0f ops/s, GET %.0f ops/s", run, runs, puts.last!, gets.last!))
            }
            let size = smallSize % 1024 == 0 ? "\(smallSize / 1024) KiB" : "\(smallSize) B"
            let operations = Double(count * runs)
            report.results.append(.init(name: "put_small", label: "PUT \(size), concurrency \(concurrency)", unit: "ops/s", samples: puts, cpu: putCPU, work: operations))
            report.results.append(.init(name: "get_small", label: "GET \(size), concurrency \(concurrency)", unit: "ops/s", samples: gets, cpu: getCPU, work: operations))
        }

    }

    /// A server and a client with a bucket of their own.
    private struct Target: Sendable {
        var client: BenchS3Client
        var bucket: String
        var server: BenchServerProcess?
    }

    /// Starts a server (unless --endpoint names one), makes a client and a bucket, and warms up.
    private func open(main: Bool, report: inout BenchReport) async throws -> Target {
        var server: BenchServerProcess?
        let endpoint: String
        let credential: Credential
        if let given = self.endpoint {
            let environment = ProcessInfo.processInfo.environment
            endpoint = given
            credential = Credential(accessKeyId: accessKey ?? environment["AWS_ACCESS_KEY_ID"]!,
                                    secretAccessKey: secretKey ?? environment["AWS_SECRET_ACCESS_KEY"]!, userName: "bench")
        } else {
            let binary = serverBinary ?? Self.ownExecutable()
            let parent = workDir ?? NSTemporaryDirectory()
            progress("starting \(binary) serve (work dir under \(parent))")
            let started = try BenchServerProcess(executable: binary, parentDir: parent, logLevel: serverLogLevel, startTimeout: 60)
            server = started
            endpoint = "http://127.0.0.1:\(started.port)"
            credential = Credential(accessKeyId: started.accessKey, secretAccessKey: started.secretKey, userName: "bench")
            report.server.binary = binary
            if main {
                report.server.pid = Int(started.pid)
                report.server.startRSSMiB = ProcStatus.field("VmRSS", pid: started.pid).map(mib)
            }
        }
        if main { report.server.endpoint = endpoint }
        progress("endpoint \(endpoint)")
        let target = Target(
            client: try BenchS3Client(endpoint: endpoint, credential: credential, region: region, concurrency: concurrency),
            bucket: "coffer-bench-" + String(UInt32.random(in: 0...UInt32.max), radix: 16), server: server)
        do {
            try await target.client.createBucket(target.bucket)
            // Warm-up: connections, code paths, the allocator; not measured.
            let small = benchRandomBuffer(size: 4096, seed: 0x3A4)
            let hash = Hex.encode(CofferCrypto.SHA256.hash(Array(small.readableBytesView)))
            _ = try await concurrently(count: 64, concurrency: concurrency) { index in
                try await target.client.putSmall(target.bucket, "warmup-\(index)", body: small, sha256: hash)
                try await target.client.getSmall(target.bucket, "warmup-\(index)", expected: small.readableBytes)
            }
        } catch {
            _ = await close(target)
            throw error
        }
        return target
    }

    /// Undoes `open`: deletes what we made on someone else's server, or stops ours (and
    /// removes its directory). Returns our server's exit status.
    private func close(_ target: Target) async -> Int? {
        if target.server == nil { await removeEverything(client: target.client, bucket: target.bucket) }
        await target.client.shutdown()
        guard let server = target.server else { return nil }
        let status = server.stop().map(Int.init)
        if keepData {
            progress("kept the server's work directory \(server.workDir)")
        } else {
            server.removeWorkDir()
        }
        return status
    }

    /// The 1 GiB PUT + GET with the server's RSS sampled. `existing` is the --endpoint
    /// target (RSS not measured); without it each run starts a fresh server.
    private func measureRSS(existing: Target?, report: inout BenchReport) async throws {
        let size = rssMib << 20
        // The generator cycles through a 64 MiB pattern (or less): the client never holds the object.
        let pattern = benchRandomBuffer(size: min(size, 64 << 20), seed: 0xB16)
        var rss = BenchReport.RSS(boundMiB: rssBoundMib, objectMiB: rssMib, measured: existing == nil, runs: [],
                                  worstDeltaMiB: nil, verdict: "n/a", worstAnonDeltaMiB: nil, anonVerdict: "n/a")
        var puts: [Double] = []
        var gets: [Double] = []
        let total = rssRuns ?? runs
        var putCPU = CPUAccount()
        var getCPU = CPUAccount()
        for run in 1...total {
            let target: Target
            if let existing { target = existing } else { target = try await open(main: false, report: &report) }
            let entry: BenchReport.RSSRun
            do {
                entry = try await rssRun(target, pattern: pattern, size: size, putCPU: &putCPU, getCPU: &getCPU)
            } catch {
                if existing == nil { _ = await close(target) }
                throw error
            }
            if existing == nil { _ = await close(target) }
            puts.append(entry.putMBps)
            gets.append(entry.getMBps)
            rss.runs.append(entry)
            var line = String(format: "rss run %d/%d: PUT %.1f MB/s, GET %.1f MB/s", run, total, entry.putMBps, entry.getMBps)
            if let delta = entry.deltaMiB {
                line += String(format: "; VmRSS idle %.1f MiB, peak PUT %.1f, peak GET %.1f, peak-idle %.1f MiB; RssAnon peak-idle %.1f MiB",
                               entry.idleMiB ?? 0, entry.peakPutMiB ?? 0, entry.peakGetMiB ?? 0, delta, entry.anonDeltaMiB ?? 0)
            }
            progress(line)
        }
        if existing == nil {
            let worst = rss.runs.compactMap(\.deltaMiB).max() ?? 0
            rss.worstDeltaMiB = worst
            rss.verdict = worst < Double(rssBoundMib) ? "PASS" : "FAIL"
            let worstAnon = rss.runs.compactMap(\.anonDeltaMiB).max() ?? 0
            rss.worstAnonDeltaMiB = worstAnon
            rss.anonVerdict = worstAnon < Double(rssBoundMib) ? "PASS" : "FAIL"
        }
        report.rss = rss
        report.results.append(.init(name: "put_rss_object", label: "PUT \(rssMib) MiB, 1 stream", unit: "MB/s", samples: puts, cpu: putCPU))
        report.results.append(.init(name: "get_rss_object", label: "GET \(rssMib) MiB, 1 stream", unit: "MB/s", samples: gets, cpu: getCPU))
    }

    /// One PUT then GET of `size` bytes; with a server of ours, its RSS sampled throughout.
    private func rssRun(
        _ target: Target, pattern: ByteBuffer, size: Int, putCPU: inout CPUAccount, getCPU: inout CPUAccount
    ) async throws -> BenchReport.RSSRun {
        let client = target.client
        let bucket = target.bucket
        let server = target.server
        let sampler = server.map { RSSSampler(pid: $0.pid) }
        defer { sampler?.stop() }
        var entry = BenchReport.RSSRun()
        if let sampler, let server {
            // Idle: the median of ~1 s of samples with no request in flight (after the warm-up).
            _ = sampler.recordAll(true)
            try await Task.sleep(for: .seconds(1))
            let idle = sampler.recordAll(false)
            func median(_ values: [Int]) -> Int { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
            let now = ProcStatus.reading(pid: server.pid) ?? RSSReading()
            entry.idleMiB = mib(idle.isEmpty ? now.rss : median(idle.map(\.rss)))
            entry.idleAnonMiB = mib(idle.isEmpty ? now.anon : median(idle.map(\.anon)))
            entry.idleFileMiB = mib(idle.isEmpty ? now.file : median(idle.map(\.file)))
            _ = sampler.takePeak()
            entry.hwmResetWorked = ProcStatus.resetPeak(pid: server.pid)
        }
        let putTime = try await metered(&putCPU, server) {
            try await client.putStream(bucket, "rss-object", pattern: pattern, length: size, chunk: 256 << 10, timeout: .seconds(1200))
        }
        if let sampler, let server {
            let (peak, samples) = sampler.takePeak()
            entry.peakPutMiB = mib(peak.rss)
            entry.peakAnonPutMiB = mib(peak.anon)
            entry.peakFilePutMiB = mib(peak.file)
            entry.samplesPut = samples
            if entry.hwmResetWorked == true {
                entry.hwmPutMiB = ProcStatus.field("VmHWM", pid: server.pid).map(mib)
                _ = ProcStatus.resetPeak(pid: server.pid)
            }
        }
        let getTime = try await metered(&getCPU, server) {
            let count = try await client.getStream(bucket, "rss-object", timeout: .seconds(1200)) { _ in }
            guard count == size else { throw BenchS3Client.Failure.shortBody(path: "/\(bucket)/rss-object", expected: size, got: count) }
        }
        if let sampler, let server {
            let (peak, samples) = sampler.takePeak()
            entry.peakGetMiB = mib(peak.rss)
            entry.peakAnonGetMiB = mib(peak.anon)
            entry.peakFileGetMiB = mib(peak.file)
            entry.samplesGet = samples
            if entry.hwmResetWorked == true { entry.hwmGetMiB = ProcStatus.field("VmHWM", pid: server.pid).map(mib) }
            let peakRSS = [entry.peakPutMiB, entry.peakGetMiB, entry.hwmPutMiB, entry.hwmGetMiB].compactMap { $0 }.max() ?? 0
            entry.deltaMiB = peakRSS - (entry.idleMiB ?? 0)
            entry.anonDeltaMiB = max(entry.peakAnonPutMiB ?? 0, entry.peakAnonGetMiB ?? 0) - (entry.idleAnonMiB ?? 0)
        }
        entry.putMBps = Double(size) / putTime / 1e6
        entry.getMBps = Double(size) / getTime / 1e6
        return entry
    }

    private func removeEverything(client: BenchS3Client, bucket: String) async {
        progress("removing the benchmark's objects and bucket \(bucket)")
        var keys = ["large", "rss-object"] + (0..<64).map { "warmup-\($0)" }
        if phaseSet.contains("small") { keys += (0..<smallCount).map { "small-\($0)" } }
        let all = keys
        _ = try? await concurrently(count: all.count, concurrency: concurrency) { index in
            try? await client.deleteObject(bucket, all[index])
        }
        do { try await client.deleteBucket(bucket) } catch { progress("could not delete bucket \(bucket): \(error)") }
    }

    // MARK: - Helpers

    /// Runs `operation(0..<count)` with `concurrency` workers; returns the wall time in seconds.
    func concurrently(count: Int, concurrency: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<min(concurrency, count) {
                    group.addTask {
                        var index = worker
                        while index < count {
                            try await operation(index)
                            index += concurrency
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// `timed`, also adding the interval's wall time and the client's and server's CPU time to `account`.
    private func metered(_ account: inout CPUAccount, _ server: BenchServerProcess?, _ body: () async throws -> Void) async throws -> Double {
        let before = CPUTimes.now(server: server?.pid)
        let seconds = try await timed(body)
        account.add(wall: seconds, from: before, to: CPUTimes.now(server: server?.pid))
        return seconds
    }

    func timed(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The path of the running executable, so the server started is the same build.
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        let argument = CommandLine.arguments[0]
        if argument.contains("/") { return URL(fileURLWithPath: argument).standardizedFileURL.path }
        return argument
    }
}

func mib(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

/// The overall deadline and the signals: either way the child server is stopped and its
/// directory removed before the benchmark exits.
enum BenchSafety {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install(timeout: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            FileHandle.standardError.write(Data("bench: overall timeout of \(Int(timeout)) s reached; stopping\n".utf8))
            BenchCleanup.run()
            exit(3)
        }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("bench: interrupted; stopping the server\n".utf8))
                BenchCleanup.run()
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
