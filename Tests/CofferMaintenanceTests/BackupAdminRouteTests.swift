import CofferMaintenance
@testable import CofferServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The admin socket's `POST /v1/backup` and `POST /v1/fsck`, in process (the live tests drive
/// them over the socket).
@Suite struct BackupAdminRouteTests {
    private static let logger = Logger(label: "coffer-admin-tests") { _ in SwiftLogNoOpLogHandler() }

    private struct ErrorAnswer: Decodable {
        struct Detail: Decodable { var code: String; var message: String }
        var error: Detail
    }

    /// Runs `body` against the admin routes of a data dir whose database is open.
    private func withRoutes(_ body: @Sendable (BackupFixture, AdminRoutes, any TestClientProtocol) async throws -> Void) async throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        let database = try fixture.makeDatabase()
        let keyring = try fixture.makeSecrets()
        let routes = AdminRoutes(dataDir: fixture.dataDir, database: database, logger: Self.logger, keyring: keyring, trail: nil,
                                 remoteKeyService: false)
        let app = Application(router: routes.router(), logger: Self.logger)
        try await app.test(.router) { client in try await body(fixture, routes, client) }
    }

    private func post(_ client: some TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/backup", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
    }

    @Test func aBackupAnswersItsSummary() async throws {
        try await withRoutes { fixture, _, client in
            let destination = fixture.path("backup")
            let response = try await post(client, #"{"to": "\#(destination)"}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let summary = try JSONDecoder().decode(BackupSummary.self, from: Data(response.body.readableBytesView))
            #expect(summary.destination == destination && summary.takenFrom == .runningServer)
            #expect(summary.database.records["objects"] == 1 && summary.database.blobsLeftOut == 1)
            #expect(summary.secrets.first { $0.path == "keys/sse-s3-root-keys.json" }?.state == .leftOut)
            #expect(try RestoreVerification.verify(backup: destination).takenFrom == .runningServer)
        }
    }

    @Test func refusalsAreJSONErrorsWithTheirStatus() async throws {
        try await withRoutes { fixture, routes, client in
            let cases: [(body: String, status: HTTPResponse.Status, code: String)] = [
                ("not json", .badRequest, "invalidRequest"),
                (#"{"includeRootKeys": true}"#, .badRequest, "invalidRequest"),
                (#"{"to": "relative"}"#, .badRequest, "invalidDestination"),
                (#"{"to": "\#(fixture.dataDir)/inside"}"#, .badRequest, "invalidDestination"),
            ]
            for refusal in cases {
                let response = try await post(client, refusal.body)
                #expect(response.status == refusal.status, "\(refusal.body)")
                let answer = try JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body.readableBytesView))
                #expect(answer.error.code == refusal.code, "\(refusal.body)")
            }
            // One backup at a time.
            routes.backupRunning.withLockedValue { $0 = true }
            let busy = try await post(client, #"{"to": "\#(fixture.path("second"))"}"#)
            #expect(busy.status == .conflict)
            routes.backupRunning.withLockedValue { $0 = false }
            #expect(!FileManager.default.fileExists(atPath: fixture.path("second")))
        }
    }

    @Test func theSocketPathMustFitAUnixAddress() {
        #expect(AdminSocket(dataDir: "/srv/coffer")?.path == "/srv/coffer/admin.sock")
        #expect(AdminSocket(dataDir: "/" + String(repeating: "d", count: 100)) == nil)
    }

    @Test func anOnlineFsckAnswersItsReport() async throws {
        try await withRoutes { _, _, client in
            let response = try await client.execute(uri: "/v1/fsck", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(response.status == .ok)
            let report = try JSONDecoder().decode(FsckReport.self, from: Data(response.body.readableBytesView))
            // The fixture's records are placeholders, not records: each is a finding, as is the
            // missing trail (this server runs without one).
            #expect(report.mode == .online && !report.isClean)
            #expect(report.findings.contains { $0.kind == .auditTrail })
            let refused = try await client.execute(uri: "/v1/fsck", method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"maxListedPerKind": -1}"#))
            #expect(refused.status == .badRequest)
        }
    }
}
