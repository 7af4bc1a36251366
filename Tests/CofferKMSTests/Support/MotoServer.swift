import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `moto_server` process (pip install 'moto[server]') on a free loopback port. Missing from
/// PATH is an error, never a reason to skip. Killed by ``stop()`` (idempotent) or on deinit.
final class MotoServer: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    private let process: Process
    private let logURL: URL
    private let lock = NSLock()
    private var stopped = false

    /// Starts the server and waits until it accepts connections.
    /// - Parameter environment: extra environment, e.g. `INITIAL_NO_AUTH_ACTION_COUNT`.
    static func start(environment extra: [String: String] = [:]) throws -> MotoServer {
        guard let executable = findExecutable("moto_server") else {
            throw Failure("""
                moto_server is not on PATH (\(ProcessInfo.processInfo.environment["PATH"] ?? "")): \
                install it with `pip install 'moto[server]'`; the key-service tests need it
                """)
        }
        let port = try LoopbackPort.free()
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = ["-p", String(port), "-H", "127.0.0.1"]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()

        let server = MotoServer(port: port, process: process, logURL: logURL)
        do {
            try server.waitUntilAnswering(timeout: 30)
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    private init(port: Int, process: Process, logURL: URL) {
        self.port = port
        self.process = process
        self.logURL = logURL
    }

    deinit { stop() }

    /// Kills the server and reaps it. SIGKILL, not SIGTERM: moto keeps nothing worth a clean
    /// shutdown, and its SIGTERM handler waits seconds for werkzeug's request threads.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: logURL)
    }

    /// The end of the server's log, for failure messages.
    var logTail: String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    private func waitUntilAnswering(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else {
                throw Failure("moto_server exited with status \(process.terminationStatus) before answering:\n\(logTail)")
            }
            if LoopbackPort.accepts(port) { return }
            usleep(50_000)
        }
        throw Failure("moto_server did not answer on 127.0.0.1:\(port) within \(Int(timeout)) s:\n\(logTail)")
    }

    private static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

/// Loopback TCP helpers.
enum LoopbackPort {
    /// A port that was free a moment ago: bind port 0 on 127.0.0.1 and read what the kernel chose.
    static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MotoServer.Failure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw MotoServer.Failure("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw MotoServer.Failure("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return connected == 0
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
