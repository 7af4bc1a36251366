@_spi(Benchmark) import CofferS3
import Foundation

/// What `coffer bench` measured, printed as a table or as JSON.
struct BenchReport: Codable, Sendable {
    struct Machine: Codable, Sendable {
        var nproc: Int
        var cpuModel: String
        var memTotalMiB: Double?
        var kernel: String

        static func current() -> Machine {
            let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
            let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
            let memKiB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
                .flatMap { Int($0.filter(\.isNumber)) }
            let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return Machine(nproc: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model,
                           memTotalMiB: memKiB.map { Double($0) / 1024 }, kernel: kernel)
        }
    }

    struct Server: Codable, Sendable {
        var spawned: Bool
        var endpoint: String
        var binary: String?
        var pid: Int?
        var startRSSMiB: Double?
        var exitStatus: Int?
    }

    struct Settings: Codable, Sendable {
        var runs: Int
        var largeMiB: Int
        var smallCount: Int
        var smallSize: Int
        var concurrency: Int
        var rssMiB: Int
        var rssRuns: Int
        var rssBoundMiB: Int
    }

    struct Result: Codable, Sendable {
        var name: String
        var label: String
        var unit: String
        var samples: [Double]
        var median: Double
        var min: Double
        var max: Double
        /// CPU use over the measured intervals, percent of one core (200 = both cores of a 2-core machine).
        var clientCPUPercent: Double?
        var serverCPUPercent: Double?
        /// The server's CPU time (user + system, from /proc/<pid>/stat) over all runs divided by
        /// the work done: µs per operation for ops/s figures, ms per MB for MB/s figures.
        var serverCPUPerUnit: Double?

        /// `work`: the operations (ops/s) or MB (MB/s) of all runs together.
        init(name: String, label: String, unit: String, samples: [Double], cpu: CPUAccount? = nil, work: Double? = nil) {
            clientCPUPercent = cpu?.clientPercent
            serverCPUPercent = cpu?.serverPercent
            if let server = cpu?.server, let work, work > 0 {
                serverCPUPerUnit = server / work * (unit == "ops/s" ? 1e6 : 1e3)
            }
            self.name = name
            self.label = label
            self.unit = unit
            self.samples = samples
            let sorted = samples.sorted()
            median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
            min = sorted.first ?? 0
            max = sorted.last ?? 0
        }
    }

    /// The `ceiling` phase: raw synced LevelDB batches (`CeilingBenchmark`).
    struct Ceiling: Codable, Sendable {
        var threads: Int
        var valueBytes: Int
        var recordBytes: Int
        var samples: [Double]
        var opsPerSecond: Double
        var cpuMicrosPerOp: Double
        /// The small-PUT phase's median ops/s divided by `opsPerSecond`, when both ran.
        var smallPutRatio: Double?
    }

    /// One 1 GiB PUT + GET, MiB. VmRSS = RssAnon (heap, stacks) + RssFile (mapped files,
    /// LevelDB's mmap'd tables among them) + RssShmem.
    struct RSSRun: Codable, Sendable {
        /// Median over ~1 s with no request in flight, just before the PUT.
        var idleMiB: Double?
        var idleAnonMiB: Double?
        var idleFileMiB: Double?
        /// Highest value sampled (every ~20 ms) during the PUT / the GET, each field on its own.
        var peakPutMiB: Double?
        var peakGetMiB: Double?
        var peakAnonPutMiB: Double?
        var peakAnonGetMiB: Double?
        var peakFilePutMiB: Double?
        var peakFileGetMiB: Double?
        var samplesPut: Int?
        var samplesGet: Int?
        /// The kernel's own VmRSS high-water mark (VmHWM, reset before each phase): catches spikes between samples.
        var hwmPutMiB: Double?
        var hwmGetMiB: Double?
        var hwmResetWorked: Bool?
        /// Highest VmRSS (sampled or VmHWM) minus idle VmRSS: the figure the bound is about.
        var deltaMiB: Double?
        /// Highest RssAnon minus idle RssAnon: what the server itself allocated.
        var anonDeltaMiB: Double?
        var putMBps: Double = 0
        var getMBps: Double = 0
    }

    struct RSS: Codable, Sendable {
        var boundMiB: Int
        var objectMiB: Int
        var measured: Bool
        var runs: [RSSRun]
        var worstDeltaMiB: Double?
        /// VmRSS against the bound: PASS, FAIL, or n/a (an --endpoint server, whose process the benchmark cannot see).
        var verdict: String
        var worstAnonDeltaMiB: Double?
        /// RssAnon (anonymous memory only) against the same bound.
        var anonVerdict: String
    }

    var command: String
    var date: String
    var machine: Machine
    var server: Server
    var settings: Settings
    var results: [Result]
    var ceiling: Ceiling?
    var rss: RSS?
    /// The in-process pipeline phase (sealed versus plain copy, range reads).
    var pipeline: PipelineBenchmark.Result?
    /// The end-to-end stage phase (sealing server vs plain-copy server over HTTP).
    var stage: StageResult?
    /// The SSE-KMS phase (4 KiB PUTs per encryption mode, key-service calls, audit cost).
    var kms: KMSBenchResult?
    /// The bucket-policy phase.
    var policy: PolicyBenchResult?
    /// The versioning phase.
    var versioning: VersioningBenchResult?
    /// The commits phase: log syncs per 4 KiB PUT as the store counts them.
    var commits: CommitsResult?
    var durationSeconds: Double

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        var out: [String] = []
        func f(_ value: Double?, _ decimals: Int = 1) -> String {
            guard let value else { return "-" }
            return String(format: "%.\(decimals)f", value)
        }
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + padding : padding + text
        }
        out.append("Coffer benchmark")
        out.append("  command:  \(command)")
        out.append("  date:     \(date)")
        out.append("  machine:  nproc \(machine.nproc), \(machine.cpuModel), \(f(machine.memTotalMiB.map { $0 / 1024 })) GiB RAM, Linux \(machine.kernel)")
        var serverLine = !server.spawned ? "existing server at \(server.endpoint)"
            : server.pid == nil ? "none started: the phases run ran their servers in the benchmark's own process"
            : "started by the benchmark: \(server.binary ?? "?") (pid \(server.pid.map(String.init) ?? "?")) at \(server.endpoint)"
        if let start = server.startRSSMiB { serverLine += ", RSS at start \(f(start)) MiB" }
        out.append("  server:   \(serverLine)")
        out.append("  runs:     \(settings.runs) per figure; median [min .. max]; MB = 10^6 bytes, MiB = 2^20 bytes")
        out.append("  took:     \(f(durationSeconds, 0)) s; CPU columns: percent of one core over the measured intervals (client = this process)")
        out.append("")
        out.append(pad("measurement", 40, left: true) + pad("median", 10) + pad("min", 10) + pad("max", 10) + "  " + pad("unit", 6, left: true)
                   + pad("client CPU", 12) + pad("server CPU", 12) + pad("server CPU per op/MB", 22))
        for result in results {
            let decimals = result.unit == "ops/s" ? 0 : 1
            let perUnit = result.serverCPUPerUnit.map { result.unit == "ops/s" ? f($0, 0) + " µs/op" : f($0, 2) + " ms/MB" } ?? "-"
            out.append(pad(result.label, 40, left: true) + pad(f(result.median, decimals), 10) + pad(f(result.min, decimals), 10)
                       + pad(f(result.max, decimals), 10) + "  " + pad(result.unit, 6, left: true)
                       + pad(result.clientCPUPercent.map { f($0, 0) + "%" } ?? "-", 12) + pad(result.serverCPUPercent.map { f($0, 0) + "%" } ?? "-", 12)
                       + pad(perUnit, 22))
        }
        if let ceiling {
            out.append("")
            out.append("Ceiling: \(f(ceiling.opsPerSecond, 0)) synced LevelDB batches/s (median) from \(ceiling.threads) threads, "
                       + "one \(ceiling.valueBytes) B value + one \(ceiling.recordBytes) B record each, no HTTP; "
                       + "\(f(ceiling.cpuMicrosPerOp, 0)) µs CPU per batch in this process.")
            if let ratio = ceiling.smallPutRatio {
                out.append("  small PUT rate / ceiling: \(f(ratio * 100, 0)) % (the same run)")
            }
        }
        if let rss {
            out.append("")
            out.append("Server RSS while a \(rss.objectMiB) MiB object is PUT, then read back with GET (MiB; sampled every 20 ms, plus VmHWM):")
            if rss.measured {
                let header = ["run", "idle", "peak PUT", "peak GET", "HWM PUT", "HWM GET", "peak-idle", "PUT MB/s", "GET MB/s"]
                let widths = [4, 9, 10, 10, 9, 9, 11, 10, 10]
                out.append("  VmRSS (all resident memory, mapped files included):")
                out.append(zip(header, widths).map { pad($0, $1) }.joined())
                for (index, run) in rss.runs.enumerated() {
                    let cells = ["\(index + 1)", f(run.idleMiB), f(run.peakPutMiB), f(run.peakGetMiB), f(run.hwmPutMiB), f(run.hwmGetMiB),
                                 f(run.deltaMiB), f(run.putMBps), f(run.getMBps)]
                    out.append(zip(cells, widths).map { pad($0, $1) }.joined())
                }
                out.append("  split: RssAnon (heap, stacks) and RssFile (mapped files: binary, libraries, LevelDB tables):")
                let splitHeader = ["run", "anon idle", "anon PUT", "anon GET", "anon peak-idle", "file idle", "file PUT", "file GET"]
                let splitWidths = [4, 11, 10, 10, 16, 11, 10, 10]
                out.append(zip(splitHeader, splitWidths).map { pad($0, $1) }.joined())
                for (index, run) in rss.runs.enumerated() {
                    let cells = ["\(index + 1)", f(run.idleAnonMiB), f(run.peakAnonPutMiB), f(run.peakAnonGetMiB), f(run.anonDeltaMiB),
                                 f(run.idleFileMiB), f(run.peakFilePutMiB), f(run.peakFileGetMiB)]
                    out.append(zip(cells, splitWidths).map { pad($0, $1) }.joined())
                }
                out.append("")
                func verdictLine(_ what: String, _ verdict: String, _ worst: Double?) -> String {
                    "\(what): \(verdict): worst peak - idle = \(f(worst ?? 0)) MiB \(verdict == "PASS" ? "<" : ">=") \(rss.boundMiB) MiB"
                }
                out.append(verdictLine("RSS bound (VmRSS)", rss.verdict, rss.worstDeltaMiB))
                out.append(verdictLine("RSS bound, anonymous memory only (RssAnon)", rss.anonVerdict, rss.worstAnonDeltaMiB))
            } else {
                out.append("  not measured: the server is not a child of the benchmark (--endpoint)")
            }
        }
        if let e = stage {
            out.append("")
            out.append("\(e.objectMiB) MiB over HTTP, in-process servers, \(e.runs) runs, medians (the plain-copy server exists only in this benchmark):")
            out.append("  PUT  sealing \(f(e.sealedPutMBps)) MB/s, plain copy \(f(e.plainPutMBps)) MB/s: sealed/plain = \(f(e.putRatio * 100))%")
            out.append("  GET  sealing \(f(e.sealedGetMBps)) MB/s, plain copy \(f(e.plainGetMBps)) MB/s: sealed/plain = \(f(e.getRatio * 100))%")
        }
        if let c = commits {
            out.append("")
            out.append("Log syncs per 4 KiB PUT, as the store counts them (in-process server, full HTTP path, audit on; \(c.loads.first?.opsPerSecond.count ?? 0) runs):")
            for load in c.loads {
                let rate = BenchReport.Result(name: "", label: "", unit: "ops/s", samples: load.opsPerSecond).median
                out.append("  concurrency \(load.concurrency): \(String(format: "%.2f", load.syncsPerPut)) syncs per PUT (\(load.syncs) syncs for \(load.puts) PUTs, \(String(format: "%.1f", load.commitsPerSync)) commits per sync), \(f(rate)) PUT/s median")
            }
        }
        if let k = kms {
            out.append("")
            out.append("4 KiB PUTs at concurrency \(k.concurrency), \(k.objectsPerRun) objects per variant per run, \(k.runs) runs, medians (in-process servers):")
            out.append("  SSE-S3                      \(f(k.sseS3OpsPerSecond)) ops/s")
            out.append("  SSE-KMS with bucket key     \(f(k.kmsBucketKeyOpsPerSecond)) ops/s = \(f(k.bucketKeyRatio * 100))% of SSE-S3; key-service calls per 10,000 objects (mean over the runs, first bucket key included): \(f(k.bucketKeyCallsPer10k))")
            out.append("  SSE-KMS without bucket key  \(f(k.kmsPerObjectOpsPerSecond)) ops/s = \(f(k.perObjectRatio * 100))% of SSE-S3; key-service calls per 10,000 objects: \(f(k.perObjectCallsPer10k))")
            out.append("  audit trail on vs off (SSE-KMS with bucket key): \(f(k.auditOnOpsPerSecond)) vs \(f(k.auditOffOpsPerSecond)) ops/s: cost \(f(k.auditCost * 100))%")
        }
        if let p = policy {
            out.append("")
            out.append("Bucket policy (\(p.evaluation.statements) statements with conditions; evaluation in process, medians of \(p.evaluation.iterations) iterations):")
            out.append("  evaluate (explained decision) \(f(p.evaluation.medianMicroseconds)) us, p90 \(f(p.evaluation.p90Microseconds)) us; decide (verdict only) \(f(p.evaluation.decideMedianMicroseconds)) us; building the request \(f(p.evaluation.requestMedianMicroseconds)) us")
            out.append("  4 KiB PUT at concurrency \(p.concurrency), \(p.runs) runs: without a policy \(f(p.withoutPolicyOpsPerSecond)) ops/s, with it \(f(p.withPolicyOpsPerSecond)) ops/s = \(f(p.ratio * 100))%")
        }
        if let v = versioning {
            out.append("")
            out.append("Versioning (in process, \(v.runs) runs of \(v.objectsPerRun) objects at concurrency \(v.concurrency), medians; the same keys each run):")
            out.append("  4 KiB PUT: unversioned \(f(v.unversionedPutOpsPerSecond)) ops/s, versioning enabled \(f(v.versionedPutOpsPerSecond)) ops/s = \(f(v.putRatio * 100))%")
            out.append("  4 KiB GET: unversioned \(f(v.unversionedGetOpsPerSecond)) ops/s, versioning enabled \(f(v.versionedGetOpsPerSecond)) ops/s = \(f(v.getRatio * 100))%")
        }
        if let p = pipeline {
            out.append("")
            out.append("Body pipeline in process (\(p.objectMiB) MiB, \(p.runs) runs, medians; the plain-copy stage exists only in this benchmark):")
            out.append("  PUT  sealed \(f(p.sealedPutMBps)) MB/s, plain copy \(f(p.plainPutMBps)) MB/s: sealed/plain = \(f(p.putRatio * 100))%")
            out.append("  GET  sealed \(f(p.sealedGetMBps)) MB/s, plain copy \(f(p.plainGetMBps)) MB/s: sealed/plain = \(f(p.getRatio * 100))%")
            out.append("  1 KiB range from the middle of a \(p.rangeObjectMiB) MiB object: \(f(p.rangeReadMicroseconds)) us, \(p.packagesOpenedByRangeRead) packages opened; whole 1 KiB object: \(f(p.smallObjectReadMicroseconds)) us")
        }
        return out.joined(separator: "\n")
    }
}
