import CofferAudit
import CofferCrypto
import CofferStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The routes of the admin socket (``AdminSocket``): JSON requests, JSON answers, errors as
/// `{"error": {"code": ..., "message": ...}}` with a matching status (``AdminError``).
///
/// | route | body | answer |
/// |---|---|---|
/// | `POST /v1/backup` | `{"to": "/abs/path", "includeRootKeys": false}` (`BackupRequest`) | `BackupSummary` (`AdminSocket+Backup.swift`) |
/// | `POST /v1/fsck` | `{"maxListedPerKind": 100}` (`FsckRequest`, fields optional) | `FsckReport` (`AdminSocket+Fsck.swift`) |
///
/// To add a route: a file `AdminSocket+<Name>.swift` with `extension AdminRoutes { func
/// add<Name>(to router: Router<BasicRequestContext>) }` registering it (decode the body with
/// ``decode(_:from:)``, answer with ``json(_:)``, throw ``AdminError``), its line in
/// ``router()``, and its row above.
struct AdminRoutes: Sendable {
    /// The running server's data dir.
    let dataDir: String
    /// The running server's database (the store's `ObjectStore.db`).
    let database: LevelDB
    let logger: Logger
    /// What `POST /v1/fsck` checks beside the database: the SSE-S3 root keys, the audit trail
    /// (nil when off), and whether SSE-KMS keys may live in a remote key service.
    let keyring: RootKeyring
    let trail: AuditTrail?
    let remoteKeyService: Bool
    /// Whether a backup is running (one at a time).
    let backupRunning = NIOLockedValueBox(false)
    /// Whether an fsck is running (one at a time).
    let fsckRunning = NIOLockedValueBox(false)

    /// The largest request body a route reads.
    static let maxBodyBytes = 1 << 20

    /// The router of every admin route.
    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        addBackup(to: router)
        addFsck(to: router)
        return router
    }

    /// Decodes a JSON request body (at most ``maxBodyBytes``); a body that does not decode is
    /// a 400 naming the type expected.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw AdminError(.badRequest, code: "invalidRequest", "the request body is missing or larger than \(maxBodyBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw AdminError(.badRequest, code: "invalidRequest", "the request body is not a JSON \(T.self)")
        }
    }

    /// A 200 answer carrying `value` as JSON.
    static func json<T: Encodable>(_ value: T) throws -> Response {
        try AdminError.jsonResponse(value, status: .ok)
    }
}

/// An admin route's error answer: `status` with `{"error": {"code": ..., "message": ...}}`.
struct AdminError: HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var description: String { "\(status.code) \(code): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try Self.jsonResponse(["error": ["code": code, "message": message]], status: status)
    }

    static func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
