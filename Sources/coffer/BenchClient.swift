import CofferSigV4
import AsyncHTTPClient
import CofferCrypto
import CofferS3
import Foundation
import NIOCore
import NIOHTTP1

/// The benchmark's S3 client: AsyncHTTPClient requests signed with Coffer's own SigV4 signer.
/// Only path-style requests to the one bucket and simple ASCII keys, so no URI encoding.
struct BenchS3Client: Sendable {
    let http: HTTPClient
    let baseURL: String
    let hostHeader: String
    let signer: SigV4Signer

    enum Failure: Error, CustomStringConvertible {
        case status(method: String, path: String, status: UInt, body: String)
        case shortBody(path: String, expected: Int, got: Int)
        case mismatch(path: String)

        var description: String {
            switch self {
            case let .status(method, path, status, body): "\(method) \(path) answered \(status): \(body.prefix(400))"
            case let .shortBody(path, expected, got): "GET \(path) returned \(got) bytes, expected \(expected)"
            case let .mismatch(path): "GET \(path) returned bytes that differ from what was PUT"
            }
        }
    }

    /// `endpoint` is `http://host:port` (no path).
    init(endpoint: String, credential: Credential, region: String, concurrency: Int) throws {
        guard let url = URL(string: endpoint), let host = url.host, let scheme = url.scheme else {
            throw BenchError("invalid endpoint '\(endpoint)'")
        }
        let port = url.port
        baseURL = "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")"
        hostHeader = port.map { "\(host):\($0)" } ?? host
        signer = SigV4Signer(credential: credential, region: region, service: "s3")
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, concurrency))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// Signs and sends one request; throws on a non-2xx status (with the S3 error body).
    func send(
        _ method: HTTPMethod, path: String, query: String = "", headers extra: [(String, String)] = [],
        payloadHash: String, body: HTTPClientRequest.Body? = nil, timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        var headers: [(name: String, value: String)] = [("host", hostHeader)]
        for (name, value) in extra { headers.append((name, value)) }
        let signed = signer.sign(
            SigV4Request(method: method.rawValue, rawPath: path, rawQuery: query, headers: headers),
            date: Date(), payloadHash: payloadHash)
        var request = HTTPClientRequest(url: baseURL + path + (query.isEmpty ? "" : "?" + query))
        request.method = method
        for (name, value) in signed.request.headers { request.headers.add(name: name, value: value) }
        request.body = body
        let response = try await http.execute(request, timeout: timeout)
        guard (200..<300).contains(response.status.code) else {
            let text = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            throw Failure.status(method: method.rawValue, path: path, status: response.status.code, body: text)
        }
        return response
    }

    static let emptyHash = Hex.encode(CofferCrypto.SHA256.hash([UInt8]()))

    func createBucket(_ bucket: String) async throws {
        let response = try await send(.PUT, path: "/\(bucket)", payloadHash: Self.emptyHash, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    func deleteBucket(_ bucket: String) async throws {
        let response = try await send(.DELETE, path: "/\(bucket)", payloadHash: Self.emptyHash, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    func deleteObject(_ bucket: String, _ key: String) async throws {
        let response = try await send(.DELETE, path: "/\(bucket)/\(key)", payloadHash: Self.emptyHash, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    /// PutBucketPolicy.
    func putBucketPolicy(_ bucket: String, policy: String) async throws {
        let bytes = Array(policy.utf8)
        let response = try await send(.PUT, path: "/\(bucket)", query: "policy=", payloadHash: Hex.encode(CofferCrypto.SHA256.hash(bytes)),
                                      body: .bytes(ByteBuffer(bytes: bytes)), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    /// PutBucketVersioning with `status` (Enabled or Suspended).
    func putBucketVersioning(_ bucket: String, status: String) async throws {
        let bytes = Array("<VersioningConfiguration><Status>\(status)</Status></VersioningConfiguration>".utf8)
        let response = try await send(.PUT, path: "/\(bucket)", query: "versioning=", payloadHash: Hex.encode(CofferCrypto.SHA256.hash(bytes)),
                                      body: .bytes(ByteBuffer(bytes: bytes)), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    /// PUT of a small in-memory body whose SHA-256 the caller computed once.
    func putSmall(_ bucket: String, _ key: String, body: ByteBuffer, sha256: String, headers: [(String, String)] = []) async throws {
        let response = try await send(
            .PUT, path: "/\(bucket)/\(key)", headers: headers, payloadHash: sha256, body: .bytes(body), timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    /// GET of a small object into memory; checks its length.
    func getSmall(_ bucket: String, _ key: String, expected: Int) async throws {
        let response = try await send(.GET, path: "/\(bucket)/\(key)", payloadHash: Self.emptyHash, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: expected + 1)
        guard body.readableBytes == expected else {
            throw Failure.shortBody(path: "/\(bucket)/\(key)", expected: expected, got: body.readableBytes)
        }
    }

    /// PUT of `length` bytes streamed from `pattern` (cycled), sent as `UNSIGNED-PAYLOAD`
    /// with a Content-Length: the client never holds more than `pattern`.
    func putStream(_ bucket: String, _ key: String, pattern: ByteBuffer, length: Int, chunk: Int, timeout: TimeAmount) async throws {
        let body = PatternBody(pattern: pattern, total: length, chunk: chunk)
        let response = try await send(
            .PUT, path: "/\(bucket)/\(key)", payloadHash: "UNSIGNED-PAYLOAD",
            body: .stream(body, length: .known(Int64(length))), timeout: timeout)
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    /// GET streaming the body to `sink` (each chunk handed over, then dropped); returns the byte count.
    func getStream(
        _ bucket: String, _ key: String, timeout: TimeAmount, sink: (ByteBuffer) -> Void
    ) async throws -> Int {
        let response = try await send(.GET, path: "/\(bucket)/\(key)", payloadHash: Self.emptyHash, timeout: timeout)
        var count = 0
        for try await chunk in response.body {
            count += chunk.readableBytes
            sink(chunk)
        }
        return count
    }
}

/// `total` bytes made by cycling through `pattern` in slices of at most `chunk` bytes.
/// Slices share `pattern`'s storage, so nothing is copied or allocated per chunk.
struct PatternBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let pattern: ByteBuffer
    let total: Int
    let chunk: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let pattern: ByteBuffer
        let total: Int
        let chunk: Int
        var sent = 0

        mutating func next() async -> ByteBuffer? {
            guard sent < total else { return nil }
            let offset = sent % pattern.readableBytes
            let length = Swift.min(chunk, total - sent, pattern.readableBytes - offset)
            sent += length
            return pattern.getSlice(at: pattern.readerIndex + offset, length: length)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pattern: pattern, total: total, chunk: chunk)
    }
}

/// Pseudo-random bytes (xorshift64*), fast and incompressible enough for a benchmark.
func benchRandomBuffer(size: Int, seed: UInt64) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: size)
    var state = seed | 1
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
        let words = size / 8
        let base = raw.baseAddress!
        for index in 0..<words {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            let value = state &* 0x2545_F491_4F6C_DD1D
            base.storeBytes(of: value, toByteOffset: index * 8, as: UInt64.self)
        }
        for index in (words * 8)..<size { base.storeBytes(of: UInt8(truncatingIfNeeded: index), toByteOffset: index, as: UInt8.self) }
        return size
    }
    return buffer
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
