import CofferAudit
import CofferCrypto
@testable import CofferMaintenance
import CofferS3
import CofferStorage
import Foundation
import Testing

@Suite struct BackupRestoreTests {
    /// A data dir with its backup (secrets left out unless `includeRootKeys`).
    private func backedUp(includeRootKeys: Bool = false) throws -> (BackupFixture, backup: String) {
        let fixture = BackupFixture()
        try fixture.makeDataDir()
        let backup = fixture.path("backup")
        _ = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: backup, includeRootKeys: includeRootKeys))
        return (fixture, backup)
    }

    private func refusal(_ body: () throws(BackupError) -> Restore.Report) -> BackupError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func aBackupWithItsSecretsRestoresTheSameStoreAndAVerifiableTrail() throws {
        let (fixture, backup) = try backedUp(includeRootKeys: true)
        defer { fixture.remove() }
        let restored = fixture.path("restored")
        let report = try Restore.run(from: backup, to: restored, secrets: RestoreSecrets())
        #expect(report.secrets["keys/sse-s3-root-keys.json"] == "from the backup")

        var expected = BackupFixture.committed
        expected[BackupFixture.formatKey] = BackupFixture.formatValue
        #expect(try BackupFixture.entries(of: restored + "/db") == expected)
        for directory in ["", "/db", "/audit", "/keys"] { #expect(BackupFixture.mode(restored + directory) == 0o700) }
        #expect(BackupFixture.mode(restored + "/keys/sse-s3-root-keys.json") == 0o600)
        #expect(BackupFixture.mode(restored + "/keys/audit-digest-ed25519.pub") == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: restored + "/keys").sorted()
            == ["audit-digest-ed25519.key", "audit-digest-ed25519.pub", "sse-s3-root-keys.json"])

        // The trail verifies as restored, and again once a writer opened it (as the restored
        // server does: it digests the copied active file).
        let audit = AuditLayout.auditDirectory(dataDir: restored), keys = AuditLayout.keyDirectory(dataDir: restored)
        #expect(try AuditVerifier.verify(directory: audit, keyDirectory: keys).isValid)
        let trail = try AuditTrail(directory: audit, keyDirectory: keys)
        try trail.record(BackupFixture.event(9))
        try trail.close()
        let report2 = try AuditVerifier.verify(directory: audit, keyDirectory: keys)
        #expect(report2.isValid, "\(report2.summary)")
    }

    @Test func restoreWithoutTheRootKeysIsRefusedWithWhatToDo() throws {
        let (fixture, backup) = try backedUp()
        defer { fixture.remove() }
        let restored = fixture.path("restored")
        let error = refusal { () throws(BackupError) in try Restore.run(from: backup, to: restored, secrets: RestoreSecrets(newAuditSigningKey: true)) }
        #expect(error?.code == .secrets)
        #expect(error?.message.contains("--root-keys FILE") == true)
        #expect(!FileManager.default.fileExists(atPath: restored))
    }

    @Test func restoreWithoutTheAuditSigningKeyAsksForItOrItsWaiver() throws {
        let (fixture, backup) = try backedUp()
        defer { fixture.remove() }
        let rootKeys = fixture.dataDir + "/keys/sse-s3-root-keys.json"
        let error = refusal { () throws(BackupError) in try Restore.run(from: backup, to: fixture.path("r1"), secrets: RestoreSecrets(rootKeys: rootKeys)) }
        #expect(error?.code == .secrets && error?.message.contains("--audit-signing-key") == true)
        let report = try Restore.run(from: backup, to: fixture.path("r2"), secrets: RestoreSecrets(rootKeys: rootKeys, newAuditSigningKey: true))
        #expect(report.secrets["keys/audit-digest-ed25519.key"]?.contains("new audit signing key") == true)
    }

    @Test func secretsSuppliedApartAreCheckedAndInstalled() throws {
        let (fixture, backup) = try backedUp()
        defer { fixture.remove() }
        let restored = fixture.path("restored")
        let secrets = RestoreSecrets(rootKeys: fixture.dataDir + "/keys/sse-s3-root-keys.json",
                                     auditSigningKey: fixture.dataDir + "/keys/audit-digest-ed25519.key")
        let report = try Restore.run(from: backup, to: restored, secrets: secrets)
        #expect(report.secrets["root-credentials.json"]?.contains("account 123456789012") == true)
        #expect(BackupFixture.mode(restored + "/keys/sse-s3-root-keys.json") == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: restored + "/keys/sse-s3-root-keys.json"))
            == Data(contentsOf: URL(fileURLWithPath: fixture.dataDir + "/keys/sse-s3-root-keys.json")))
        // The credentials keep the account and leave the keys to the server.
        let credentials = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: restored + "/root-credentials.json"))) as? [String: String]
        #expect(credentials == ["accessKeyId": "", "secretAccessKey": "", "accountId": "123456789012"])
        #expect(try RootKeyStore.load(dataDir: restored, operatorKey: nil).currentVersion == 1)
    }

    @Test func theWrongRootKeysOrSigningKeyAreRefused() throws {
        let (fixture, backup) = try backedUp()
        defer { fixture.remove() }
        let other = BackupFixture()
        defer { other.remove() }
        _ = try other.makeSecrets()
        _ = try AuditTrail(directory: other.dataDir + "/audit", keyDirectory: other.dataDir + "/keys")
        let wrongKeys = refusal { () throws(BackupError) in
            try Restore.run(from: backup, to: fixture.path("r1"), secrets: RestoreSecrets(rootKeys: other.dataDir + "/keys/sse-s3-root-keys.json", newAuditSigningKey: true))
        }
        #expect(wrongKeys?.code == .secrets && wrongKeys?.message.contains("is not the one this backup was taken with") == true)
        let wrongSigner = refusal { () throws(BackupError) in
            try Restore.run(from: backup, to: fixture.path("r2"), secrets: RestoreSecrets(rootKeys: fixture.dataDir + "/keys/sse-s3-root-keys.json",
                                                                                     auditSigningKey: other.dataDir + "/keys/audit-digest-ed25519.key"))
        }
        #expect(wrongSigner?.code == .secrets && wrongSigner?.message.contains("not the key that signed") == true)
        #expect(!FileManager.default.fileExists(atPath: fixture.path("r1")) && !FileManager.default.fileExists(atPath: fixture.path("r2")))
    }

    @Test(arguments: ["changed", "truncated", "removed", "added"])
    func aDamagedBackupIsRefusedNamingTheFile(_ damage: String) throws {
        let (fixture, backup) = try backedUp(includeRootKeys: true)
        defer { fixture.remove() }
        let manifest = try BackupManifest.read(backup: backup)
        let victim = try #require(manifest.files.first { $0.path.hasSuffix(".ldb") || $0.path.hasPrefix("db/MANIFEST") })
        let path = backup + "/" + victim.path
        switch damage {
        case "changed":
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case "truncated":
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: path))
        case "removed":
            try FileManager.default.removeItem(atPath: path)
        default:
            #expect(FileManager.default.createFile(atPath: backup + "/db/000999.ldb", contents: Data([1])))
        }
        let restored = fixture.path("restored")
        let error = refusal { () throws(BackupError) in try Restore.run(from: backup, to: restored, secrets: RestoreSecrets()) }
        #expect(error?.code == .damagedBackup)
        #expect(error?.message.contains(damage == "added" ? "db/000999.ldb" : victim.path) == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: restored))
        #expect(throws: BackupError.self) { try RestoreVerification.verify(backup: backup) }
    }

    @Test func theTargetMustBeNewOrEmpty() throws {
        let (fixture, backup) = try backedUp(includeRootKeys: true)
        defer { fixture.remove() }
        let error = refusal { () throws(BackupError) in try Restore.run(from: backup, to: fixture.dataDir, secrets: RestoreSecrets()) }
        #expect(error?.code == .invalidDestination)
        let unfinished = fixture.path("unfinished")
        try FileManager.default.createDirectory(atPath: unfinished, withIntermediateDirectories: true)
        let notABackup = refusal { () throws(BackupError) in try Restore.run(from: unfinished, to: fixture.path("restored"), secrets: RestoreSecrets()) }
        #expect(notABackup?.code == .invalidBackup)
    }

    @Test func manifestPathsStayInsideTheDataDir() {
        #expect(RestoreVerification.isSafe("db/000005.ldb"))
        #expect(RestoreVerification.isSafe("keys/sse-s3-root-keys.json"))
        #expect(RestoreVerification.isSafe("root-credentials.json"))
        #expect(!RestoreVerification.isSafe("../etc/passwd"))
        #expect(!RestoreVerification.isSafe("db/../../x"))
        #expect(!RestoreVerification.isSafe("/etc/passwd"))
        #expect(!RestoreVerification.isSafe("admin.sock"))
        #expect(!RestoreVerification.isSafe("db//x"))
    }
}
