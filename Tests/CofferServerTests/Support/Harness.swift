import CofferAudit
import CofferCrypto
import CofferS3
import CofferServer
import CofferSigV4
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging

/// One Coffer server in process, for one test: the parts `coffer serve` runs
/// (`CofferServer.assemble`) over a fresh temp data dir, with the users root, alice and bob,
/// the audit trail on, and a `TestClock` as the only clock; served through Hummingbird's
/// router test framework (`app.test(.router)`), so no socket is opened.
///
/// Use `Harness.run { s3 in ... }`: each call builds its own server and removes it afterwards,
/// so tests never share state and need no order.
final class Harness: Sendable {
    /// The users a test can sign as (anonymous: unsigned).
    struct Identities {
        static let root = Credential(accessKeyId: "ROOTACCESSKEY", secretAccessKey: "root-secret-key-0123", userName: "root")
        static let alice = Credential(accessKeyId: "ALICEACCESSKEY", secretAccessKey: "alice-secret-key-0123", userName: "alice")
        static let bob = Credential(accessKeyId: "BOBACCESSKEY", secretAccessKey: "bob-secret-key-0123", userName: "bob")
    }

    let directory: String
    let region: String
    let clock: TestClock
    let parts: CofferServer.Assembly

    /// The account every user belongs to (root's account, generated per data dir).
    var accountId: String { parts.root.accountId }

    /// Builds a server. `alicePolicy`/`bobPolicy`: identity policies (JSON objects) written to
    /// the users file; `allowSigV2`: `--sigv2 allow` (the default) or `deny`.
    init(alicePolicy: String? = nil, bobPolicy: String? = nil, region: String = "us-east-1", allowSigV2: Bool = true) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-inproc-\(UUID().uuidString)").path
        self.region = region
        clock = TestClock()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let usersFile = (directory as NSString).appendingPathComponent("users.json")
        try Self.usersFile(alicePolicy: alicePolicy, bobPolicy: bobPolicy).write(toFile: usersFile, atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration(
            dataDir: (directory as NSString).appendingPathComponent("data"), httpAddress: nil, httpsAddress: nil, region: region,
            domains: ["localhost"], tlsCertificate: nil, tlsKey: nil, usersFile: usersFile,
            rootAccessKey: Identities.root.accessKeyId, rootSecretKey: Identities.root.secretAccessKey,
            sseS3RootKey: Base64.encode([UInt8](repeating: 0x42, count: 32)))
        configuration.allowSigV2 = allowSigV2
        let server = CofferServer(configuration: configuration, logger: Logger(label: "coffer-inproc") { _ in SwiftLogNoOpLogHandler() })
        parts = try await server.assemble(clock: clock.read)
    }

    /// Runs `body` against a new server, then closes and removes it.
    static func run<T: Sendable>(
        alicePolicy: String? = nil, bobPolicy: String? = nil, region: String = "us-east-1", allowSigV2: Bool = true,
        _ body: @Sendable (S3TestClient) async throws -> T
    ) async throws -> T {
        let harness = try await Harness(alicePolicy: alicePolicy, bobPolicy: bobPolicy, region: region, allowSigV2: allowSigV2)
        defer { harness.close() }
        let app = Application(responder: harness.parts.frontDoor(secure: false), logger: Logger(label: "coffer-inproc") { _ in SwiftLogNoOpLogHandler() })
        return try await app.test(.router) { client in
            try await body(S3TestClient(client: client, harness: harness))
        }
    }

    func close() {
        try? parts.trail?.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The audit trail's records so far, oldest first.
    func auditEvents() throws -> [AuditEvent] {
        guard let trail = parts.trail else { return [] }
        return try AuditReader(sink: trail.sink).records().map(\.event)
    }

    static func usersFile(alicePolicy: String?, bobPolicy: String?) -> String {
        func entry(_ credential: Credential, _ policy: String?) -> String {
            var fields = #""name": "\#(credential.userName)", "accessKeyId": "\#(credential.accessKeyId)", "secretAccessKey": "\#(credential.secretAccessKey)""#
            if let policy { fields += ", \"policy\": \(policy)" }
            return "{\(fields)}"
        }
        return #"{"users": [\#(entry(Identities.alice, alicePolicy)), \#(entry(Identities.bob, bobPolicy))]}"#
    }
}
