import AsyncHTTPClient
import Foundation
import NIOCore

/// A client of a running server's admin socket, `<data-dir>/admin.sock` (`AdminSocket` in
/// CofferServer): JSON in, JSON out, over HTTP on the unix socket. No credentials: being
/// able to open the socket (mode 0600, the data dir's owner) is the authorisation.
struct AdminClient {
    /// The socket's path.
    let socketPath: String

    init(dataDir: String) {
        socketPath = (dataDir as NSString).appendingPathComponent("admin.sock")
    }

    /// POSTs `body` as JSON to `path` and decodes the answer as `Answer`. Waits as long as the
    /// server takes (a backup takes minutes on a large store). An error answer throws its
    /// message.
    func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, answer: Answer.Type) async throws -> Answer {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw AdminClientError("no admin socket at \(socketPath): the server holding the data dir does not offer one (an older coffer serve?)")
        }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: path) else {
            throw AdminClientError("\(socketPath) cannot be used as a socket address")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, deadline: .distantFuture)
        } catch {
            throw AdminClientError("cannot reach the server through \(socketPath): \(error)")
        }
        let bytes = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
        guard response.status == .ok else {
            let message = (try? JSONDecoder().decode(ErrorAnswer.self, from: bytes))?.error.message
            throw AdminClientError("the server answered \(response.status.code): \(message ?? String(decoding: bytes.prefix(500), as: UTF8.self))")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: bytes)
        } catch {
            throw AdminClientError("the server's answer to \(path) is not a \(Answer.self)")
        }
    }
}

/// An admin route's error answer: `{"error": {"code": ..., "message": ...}}`.
private struct ErrorAnswer: Decodable {
    struct Detail: Decodable { var message: String }
    var error: Detail
}

/// A failure to reach the admin socket, or its error answer.
struct AdminClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
