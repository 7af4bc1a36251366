@testable import CofferAudit
import CofferStorage
import Foundation
import XCTest

/// A clock the tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_795_608_000)) { current = start } // 2026-11-25T12:00:00Z

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    var function: @Sendable () -> Date { { self.now } }
}

/// A fresh data dir with `audit/` and `keys/` paths, removed at the end of the test; the
/// trail's files are in a ``FileAuditSink`` over `audit/` (`.files`) or in a
/// ``MemoryAuditSink`` (`.memory`, the signing keys still in `keys/`).
struct TrailFixture {
    enum Backend: String, CaseIterable {
        case files, memory
    }

    let root: String
    let backend: Backend
    private let memory: MemoryAuditSink?
    var directory: String { AuditLayout.auditDirectory(dataDir: root) }
    var keyDirectory: String { AuditLayout.keyDirectory(dataDir: root) }
    var sink: any AuditSink { memory ?? FileAuditSink(directory: directory) }

    init(_ test: XCTestCase, backend: Backend = .files) {
        root = NSTemporaryDirectory() + "coffer-audit-tests-" + UUID().uuidString
        self.backend = backend
        memory = backend == .memory ? MemoryAuditSink() : nil
        let path = root
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A trail over this fixture's sink.
    func trail(options: AuditTrail.Options = .init(), clock: TestClock = TestClock()) throws -> AuditTrail {
        try AuditTrail(sink: sink, keyDirectory: keyDirectory, options: options, clock: clock.function)
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func logFiles() throws -> [String] { try AuditReader(sink: sink).logFiles().map(\.name) }

    func digestFile(of logFile: String) -> String { AuditLayout.digestFileName(forLogFile: logFile) }

    func bytes(_ name: String) throws -> [UInt8] { try sink.read(name) }

    /// Replaces (or with `nil` removes) an item behind the trail's back, as an intruder would.
    func replace(_ name: String, with bytes: [UInt8]?) throws {
        if let memory { return memory.overwrite(name, with: bytes) }
        if let bytes {
            try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        } else {
            try FileManager.default.removeItem(atPath: path(name))
        }
    }

    func lines(_ name: String) throws -> [String] {
        String(decoding: try bytes(name), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func write(_ name: String, lines: [String]) throws {
        try replace(name, with: Array(lines.map { $0 + "\n" }.joined().utf8))
    }

    func publicKey() throws -> [UInt8] { try AuditSigningKey.loadPublicKey(keyDirectory: keyDirectory) }

    func verify() throws -> AuditVerificationReport { AuditVerifier.verify(sink: sink, publicKey: try publicKey()) }
}

enum Events {
    static let account = "123456789012"
    static let keyId = "1234abcd-12ab-34cd-56ef-1234567890ab"
    static let keyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    static func context(_ time: Date, user: String = "alice", accessKey: String = "AKIAALICE", ip: String = "10.0.0.1",
                        requestID: String = UUID().uuidString) -> AuditContext {
        AuditContext(time: time, region: "us-east-1",
                     identity: .iamUser(accountId: account, userName: user, accessKeyId: accessKey),
                     sourceIPAddress: ip, userAgent: "test-agent/1.0", requestID: requestID, recipientAccountId: account)
    }

    static func generateDataKey(_ time: Date, user: String = "alice", keyArn: String = keyArn, objectArn: String? = nil) -> AuditEvent {
        var context: [String: AuditJSON] = ["purpose": "test"]
        if let objectArn { context["aws:s3:arn"] = .string(objectArn) }
        return .kmsCall("GenerateDataKey", context: Events.context(time, user: user), keyArn: keyArn,
                        requestParameters: ["keyId": "alias/app", "encryptionContext": .object(context), "keySpec": "AES_256"])
    }
}
