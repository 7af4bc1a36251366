import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `coffer serve` child process started by the benchmark on a loopback port of its own,
/// with a fresh data directory and generated root credentials.
final class BenchServerProcess: Sendable {
    let pid: pid_t
    let port: Int
    let dataDir: String
    let workDir: String
    let accessKey: String
    let secretKey: String
    private let process: Process

    /// Starts `executable serve ...` and waits (at most `startTimeout` seconds) for its banner.
    init(executable: String, parentDir: String, logLevel: String?, startTimeout: Double) throws {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        workDir = (parentDir as NSString).appendingPathComponent("coffer-bench-\(token)")
        dataDir = (workDir as NSString).appendingPathComponent("data")
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        accessKey = "BENCH" + String((0..<15).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".randomElement()! })
        secretKey = String((0..<40).map { _ in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement()! })

        let stdoutPath = (workDir as NSString).appendingPathComponent("server.stdout")
        let stderrPath = (workDir as NSString).appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["serve", "--data-dir", dataDir, "--http-address", "127.0.0.1:0", "--https-address", "off"]
        if let logLevel { arguments += ["--log-level", logLevel] }
        process.arguments = arguments
        // Only our settings: a COFFER_* variable of the caller's shell must not change the server.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
        environment["COFFER_ROOT_ACCESS_KEY"] = accessKey
        environment["COFFER_ROOT_SECRET_KEY"] = secretKey
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        pid = process.processIdentifier
        self.process = process
        BenchCleanup.register(pid: pid, directory: workDir)

        // The banner line is `  HTTP:  http://127.0.0.1:PORT`.
        let deadline = Date().addingTimeInterval(startTimeout)
        var found: Int?
        while found == nil {
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("  HTTP:  http://") {
                if let colon = line.lastIndex(of: ":"), let value = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) {
                    found = value
                }
            }
            if found != nil { break }
            if !process.isRunning {
                let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                throw BenchError("the server exited (status \(process.terminationStatus)) before printing its HTTP port:\n\(text)\n\(log.suffix(2000))")
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                throw BenchError("the server printed no HTTP port within \(Int(startTimeout)) s")
            }
            usleep(50_000)
        }
        port = found!
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns the exit status (or nil if killed).
    @discardableResult
    func stop(grace: Double = 15) -> Int32? {
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(pid, SIGKILL)
                process.waitUntilExit()
                BenchCleanup.unregister(pid: pid)
                return nil
            }
        }
        process.waitUntilExit()
        BenchCleanup.unregister(pid: pid)
        return process.terminationStatus
    }

    func removeWorkDir() {
        try? FileManager.default.removeItem(atPath: workDir)
        BenchCleanup.unregister(directory: workDir)
    }
}

/// What a watchdog or a signal must undo before the benchmark exits abnormally: the
/// servers it started and their directories.
enum BenchCleanup {
    private static let state = Mutex<(pids: Set<pid_t>, directories: Set<String>)>(([], []))

    static func register(pid: pid_t, directory: String) { state.withLock { $0.pids.insert(pid); $0.directories.insert(directory) } }
    static func unregister(pid: pid_t) { _ = state.withLock { $0.pids.remove(pid) } }
    static func unregister(directory: String) { _ = state.withLock { $0.directories.remove(directory) } }

    /// Kills the servers (SIGKILL after 5 s of SIGTERM) and removes their directories.
    static func run() {
        let (pids, directories) = state.withLock { $0 }
        for pid in pids { kill(pid, SIGTERM) }
        for pid in pids {
            for _ in 0..<250 {
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || result < 0 { break }
                usleep(20_000)
            }
            kill(pid, SIGKILL)
        }
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// One reading of `/proc/<pid>/status`, bytes: `VmRSS` = `RssAnon` (heap, stacks) +
/// `RssFile` (mapped files: the binary, libraries, and LevelDB's mmap'd table files) + `RssShmem`.
struct RSSReading: Sendable {
    var rss = 0
    var anon = 0
    var file = 0

    mutating func formMax(_ other: RSSReading) {
        rss = max(rss, other.rss)
        anon = max(anon, other.anon)
        file = max(file, other.file)
    }
}

/// Reads `VmRSS` / `RssAnon` / `RssFile` / `VmHWM` of a process from `/proc/<pid>/status`.
enum ProcStatus {
    static func read(pid: pid_t) -> [String: Int]? {
        let fd = open("/proc/\(pid)/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var total = 0
        while total < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if n <= 0 { break }
            total += n
        }
        var fields: [String: Int] = [:]
        for line in String(decoding: bytes[0..<total], as: UTF8.self).split(separator: "\n") where line.hasPrefix("Vm") || line.hasPrefix("Rss") {
            guard let colon = line.firstIndex(of: ":"), line.hasSuffix("kB") else { continue }
            if let kB = Int(line[line.index(after: colon)...].filter(\.isNumber)) { fields[String(line[..<colon])] = kB * 1024 }
        }
        return fields
    }

    /// The named field (`VmRSS`, `VmHWM`) in bytes, or nil.
    static func field(_ name: String, pid: pid_t) -> Int? { read(pid: pid)?[name] }

    static func reading(pid: pid_t) -> RSSReading? {
        guard let fields = read(pid: pid), let rss = fields["VmRSS"] else { return nil }
        return RSSReading(rss: rss, anon: fields["RssAnon"] ?? 0, file: fields["RssFile"] ?? 0)
    }

    /// Resets the process's `VmHWM` to its current RSS (`echo 5 > clear_refs`); false if not allowed.
    static func resetPeak(pid: pid_t) -> Bool {
        let fd = open("/proc/\(pid)/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }
}

/// Samples a process's RSS every `interval` on a thread of its own and keeps the peaks
/// since the last `takePeak()`.
final class RSSSampler: Sendable {
    private struct State {
        var peak = RSSReading()
        var samples = 0
        var running = true
        var all: [RSSReading] = []
        var keepAll = false
    }

    private let state = Mutex(State())
    let pid: pid_t
    let interval: Double

    init(pid: pid_t, interval: Double = 0.02) {
        self.pid = pid
        self.interval = interval
        let thread = Thread { [self] in
            while true {
                let reading = ProcStatus.reading(pid: pid)
                let running = state.withLock { state -> Bool in
                    if let reading {
                        state.peak.formMax(reading)
                        state.samples += 1
                        if state.keepAll { state.all.append(reading) }
                    }
                    return state.running
                }
                if !running { return }
                usleep(UInt32(interval * 1_000_000))
            }
        }
        thread.start()
    }

    /// The peaks (each field separately) since the last call, and how many samples they
    /// come from; starts a new window.
    func takePeak() -> (peak: RSSReading, samples: Int) {
        state.withLock { state in
            defer { state.peak = RSSReading(); state.samples = 0 }
            return (state.peak, state.samples)
        }
    }

    /// Starts (or stops) keeping every sample and returns those kept so far.
    func recordAll(_ on: Bool) -> [RSSReading] {
        state.withLock { state in
            defer { state.all = []; state.keepAll = on }
            return state.all
        }
    }

    func stop() { state.withLock { $0.running = false } }
}

/// CPU seconds (user + system) used so far by the benchmark itself and by the server.
struct CPUTimes: Sendable {
    var client: Double
    var server: Double?

    static func now(server pid: pid_t?) -> CPUTimes {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let client = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return CPUTimes(client: client, server: pid.flatMap(serverSeconds))
    }

    /// utime + stime from `/proc/<pid>/stat` (fields 14 and 15, in clock ticks).
    private static func serverSeconds(_ pid: pid_t) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Wall and CPU time summed over the measured intervals of one figure.
struct CPUAccount: Sendable {
    var wall = 0.0
    var client = 0.0
    var server: Double?

    mutating func add(wall: Double, from start: CPUTimes, to end: CPUTimes) {
        self.wall += wall
        client += end.client - start.client
        if let a = start.server, let b = end.server { server = (server ?? 0) + (b - a) }
    }

    var clientPercent: Double? { wall > 0 ? client / wall * 100 : nil }
    var serverPercent: Double? { wall > 0 ? server.map { $0 / wall * 100 } : nil }
}
