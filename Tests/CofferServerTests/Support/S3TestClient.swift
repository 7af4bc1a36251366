import CofferCrypto
@testable import CofferS3
import CofferSigV4
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Who sends a request: a user of the harness (signed with SigV4 by `SigV4Signer`), anyone
/// (unsigned), or a made-up credential (to provoke authentication errors).
enum Caller: Sendable, CustomStringConvertible {
    case root, alice, bob, anonymous
    case credential(Credential)

    var credential: Credential? {
        switch self {
        case .root: Harness.Identities.root
        case .alice: Harness.Identities.alice
        case .bob: Harness.Identities.bob
        case .anonymous: nil
        case .credential(let credential): credential
        }
    }

    var description: String { credential?.userName ?? "anonymous" }
}

/// The signing test client: builds a request, signs it for `caller` at the harness clock's
/// time, and sends it through `app.test(.router)`. The router test framework addresses every
/// request to `localhost` (path-style) and sets Content-Length when a body is given; `body:
/// nil` sends no body and no Content-Length.
struct S3TestClient: Sendable {
    let client: any TestClientProtocol
    let harness: Harness

    var clock: TestClock { harness.clock }
    var accountId: String { harness.accountId }

    /// Sends one request. `path` and `query` are raw (percent-encoded as on the wire).
    /// `signedAt`: the signing time (default: the clock's now); `payloadHash`: what the
    /// signature claims the body hashes to (default: the body's SHA-256); `region`/`service`:
    /// the credential scope (default: the harness's region, `s3`).
    func send(
        _ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [], body: [UInt8]? = nil,
        as caller: Caller = .root, service: String = "s3", region: String? = nil, signedAt: Date? = nil, payloadHash: String? = nil
    ) async throws -> S3Reply {
        var list = headers.map { (name: $0.0, value: $0.1) }
        if let credential = caller.credential {
            let signer = SigV4Signer(credential: credential, region: region ?? harness.region, service: service)
            let request = SigV4Request(method: method.rawValue, rawPath: path, rawQuery: query, headers: [("host", "localhost")] + list)
            let hash = payloadHash ?? Hex.encode(SHA256.hash(body ?? []))
            list = signer.sign(request, date: signedAt ?? clock.now, payloadHash: hash).request.headers.filter { $0.name.lowercased() != "host" }
        }
        return try await sendRaw(method, path, query: query, headers: list.map { ($0.name, $0.value) }, body: body)
    }

    /// Sends exactly these headers (nothing signed by the client).
    func sendRaw(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> S3Reply {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let uri = query.isEmpty ? path : path + "?" + query
        let response = try await client.execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
        return S3Reply(status: response.status, headers: response.headers, body: Array(buffer: response.body))
    }

    // MARK: Fixtures

    /// Creates `bucket` (as root unless told) and fails the test if it could not.
    @discardableResult
    func createBucket(_ bucket: String, as caller: Caller = .root) async throws -> S3Reply {
        try await send(.put, "/\(bucket)", body: bucketConfiguration, as: caller).expect(.ok)
    }

    /// CreateBucket's body: none in us-east-1, else the harness's region as LocationConstraint.
    var bucketConfiguration: [UInt8] {
        harness.region == "us-east-1" ? [] : Array(
            "<CreateBucketConfiguration><LocationConstraint>\(harness.region)</LocationConstraint></CreateBucketConfiguration>".utf8)
    }

    @discardableResult
    func putObject(_ bucket: String, _ key: String, _ text: String = "hello", headers: [(String, String)] = [], as caller: Caller = .root) async throws -> S3Reply {
        try await send(.put, "/\(bucket)/\(key)", headers: headers, body: Array(text.utf8), as: caller).expect(.ok)
    }

    /// Sets `bucket`'s policy (as root) to `document`.
    func putPolicy(_ bucket: String, _ document: String) async throws {
        try await send(.put, "/\(bucket)", query: "policy", body: Array(document.utf8)).expect(.noContent)
    }

    /// Starts a multipart upload and returns its id.
    func createUpload(_ bucket: String, _ key: String, as caller: Caller = .root) async throws -> String {
        let reply = try await send(.post, "/\(bucket)/\(key)", query: "uploads", body: [], as: caller).expect(.ok)
        return try #require(reply.xml?.childText("UploadId"))
    }

    /// Uploads one part and returns its quoted ETag.
    func uploadPart(_ bucket: String, _ key: String, uploadId: String, number: Int, _ text: String = "part") async throws -> String {
        let reply = try await send(.put, "/\(bucket)/\(key)", query: "partNumber=\(number)&uploadId=\(uploadId)", body: Array(text.utf8)).expect(.ok)
        return try #require(reply.header("etag"))
    }

    static func contentMD5(_ body: [UInt8]) -> (String, String) { ("Content-MD5", Base64.encode(MD5.hash(body))) }
}

/// A response as the tests read it.
struct S3Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as XML (element names without namespace), nil when it is not XML.
    var xml: XMLElementNode? { XMLElementNode.parse(body) }
    /// The `Code` of an S3 error document.
    var code: String? { xml.flatMap { $0.name == "Error" ? $0.childText("Code") : nil } }
    var requestId: String? { header("x-amz-request-id") }

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }

    /// Records a test issue unless the status is `status`; returns the reply.
    @discardableResult
    func expect(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) -> S3Reply {
        #expect(self.status == status, "\(self.status.code) \(code ?? "") \(text.prefix(300))", sourceLocation: sourceLocation)
        return self
    }

    /// Whether the request was refused with S3's 403 AccessDenied.
    var isAccessDenied: Bool { status == .forbidden && code == "AccessDenied" }
}
