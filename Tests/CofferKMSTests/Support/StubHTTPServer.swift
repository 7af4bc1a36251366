import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback HTTP/1.1 server that answers each request with the next canned response (the
/// last one repeats) and records what it received: for the client's retry and error-mapping
/// paths that no real service produces on demand (throttling, namespaced `__type`, garbage).
final class StubHTTPServer: @unchecked Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: String

        static func json(_ status: Int, _ body: String) -> Response {
            Response(status: status, headers: [("Content-Type", "application/x-amz-json-1.1")], body: body)
        }

        /// Read the request, never answer (until the server stops): a service that hangs.
        static let hang = Response(status: 0, body: "")
    }

    struct Request: Sendable {
        var requestLine: String
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let responses: [Response]
    private let lock = NSLock()
    private var received: [Request] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(responses: [Response]) throws {
        precondition(!responses.isEmpty)
        self.responses = responses
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MotoServer.Failure("socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = LoopbackPort.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw MotoServer.Failure("could not listen on loopback")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// The requests received so far.
    var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    func stop() {
        lock.lock()
        let already = stopping
        stopping = true
        lock.unlock()
        guard !already else { return }
        finished.wait()
        close(listener)
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func serve() {
        defer { finished.signal() }
        while !isStopping {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        var expected = 0
        while true {
            if headerEnd == nil, let end = data.firstRange(of: separator)?.upperBound {
                headerEnd = end
                let head = String(decoding: data[..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    expected = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let end = headerEnd, data.count - end >= expected { break }
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            data += chunk[..<count]
        }
        let end = headerEnd!
        let lines = String(decoding: data[..<end], as: UTF8.self).split(separator: "\r\n").map(String.init)
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(requestLine: lines.first ?? "", headers: headers, body: Array(data[end..<(end + expected)]))
        lock.lock()
        received.append(request)
        let response = responses[min(received.count - 1, responses.count - 1)]
        lock.unlock()

        if response.status == 0 {
            while !isStopping { usleep(10_000) }
            return
        }
        let body = Array(response.body.utf8)
        var head = "HTTP/1.1 \(response.status) Stub\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            sent += written
        }
    }
}
