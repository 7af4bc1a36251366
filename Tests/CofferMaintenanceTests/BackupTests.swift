import CofferAudit
import CofferCrypto
@testable import CofferMaintenance
import CofferStorage
import Foundation
import Testing

@Suite struct BackupTests {
    @Test func theStoreCopyIsOneSnapshotWithoutUnreferencedBlobs() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        let source = try fixture.makeDatabase()
        let snapshot = source.snapshot()
        // Written after the snapshot: not in the copy.
        try source.put(Array("blate".utf8), [2], sync: false)
        try source.delete(Array("k1234".utf8), sync: false)

        let copy = try LevelDB(path: fixture.path("copy"))
        let counts = try LevelDB.copyStore(from: snapshot, into: copy, batchBytes: 4096)
        #expect(counts.records == ["buckets": 1, "objects": 1, "kmsKeys": 1, "auditNotes": 1, "meta": 1])
        #expect(counts.blobs == 1 && counts.chunks == 2 && counts.blobsLeftOut == 1)

        var expected = BackupFixture.committed
        expected[BackupFixture.formatKey] = BackupFixture.formatValue
        let iterator = copy.makeIterator()
        iterator.seekToFirst()
        var copied: [[UInt8]: [UInt8]] = [:]
        while iterator.isValid {
            copied[iterator.key] = iterator.value
            iterator.next()
        }
        #expect(copied == expected)
    }

    @Test func aStoreOfAnotherFormatIsRefused() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        let source = try LevelDB(path: fixture.database)
        try source.put(BackupFixture.formatKey, [0, 0, 0, 9], sync: false)
        #expect(throws: StorageError.self) { try LevelDB.copyStore(from: source.snapshot(), into: LevelDB(path: fixture.path("copy"))) }
    }

    @Test func aBackupHoldsTheStoreTheTrailAndAManifestOfHashes() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        try fixture.makeDataDir()
        let destination = fixture.path("backup")
        let manifest = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: destination))

        #expect(manifest.takenFrom == .stoppedServer)
        #expect(manifest.database.records["objects"] == 1 && manifest.database.blobs == 1 && manifest.database.blobsLeftOut == 1)
        #expect(manifest.audit.logFiles == 2 && manifest.audit.digestFiles == 1 && manifest.audit.undigestedFiles.count == 1)
        #expect(manifest.accountId == "123456789012")
        #expect(manifest.rootKeyChecks?.keys.sorted() == ["1"])
        #expect(BackupFixture.mode(destination) == 0o700)
        // Every file is in the manifest with its size and hash, and nothing else is there.
        let onDisk = try FileManager.default.subpathsOfDirectory(atPath: destination).filter {
            (try? FileManager.default.attributesOfItem(atPath: destination + "/" + $0)[.type] as? FileAttributeType) == .typeRegular
        }
        #expect(Set(onDisk) == Set(manifest.files.map(\.path) + [BackupManifest.fileName]))
        for file in manifest.files {
            let data = try Data(contentsOf: URL(fileURLWithPath: destination + "/" + file.path))
            #expect(Int64(data.count) == file.bytes)
            #expect(Hex.encode(CofferCrypto.SHA256.hash([UInt8](data))) == file.sha256)
        }
        // The database copy holds the committed entries.
        var expected = BackupFixture.committed
        expected[BackupFixture.formatKey] = BackupFixture.formatValue
        #expect(try BackupFixture.entries(of: destination + "/db") == expected)
    }

    @Test func withoutTheFlagNoSecretIsInTheBackup() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        try fixture.makeDataDir()
        let manifest = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: fixture.path("backup")))
        #expect(manifest.files.allSatisfy { !BackupSecrets.isSecret($0.path) })
        #expect(manifest.files.contains { $0.path == "keys/audit-digest-ed25519.pub" })
        #expect(manifest.secret("keys/sse-s3-root-keys.json")?.state == .leftOut)
        #expect(manifest.secret("keys/audit-digest-ed25519.key")?.state == .leftOut)
        #expect(manifest.secret("root-credentials.json")?.state == .leftOut)
        #expect(manifest.secret("tls")?.state == .absent)
        #expect(manifest.secret("keys/sse-s3-root-keys.json")?.restore?.contains("--root-keys") == true)
    }

    @Test func withTheFlagTheSecretsAreInTheBackupMode0600() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        try fixture.makeDataDir()
        let destination = fixture.path("backup")
        let manifest = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: destination, includeRootKeys: true))
        for path in ["keys/sse-s3-root-keys.json", "keys/audit-digest-ed25519.key", "root-credentials.json"] {
            #expect(manifest.secret(path)?.state == .included)
            #expect(manifest.files.contains { $0.path == path })
            #expect(BackupFixture.mode(destination + "/" + path) == 0o600)
        }
    }

    @Test func theActiveAuditFileIsCopiedUpToItsLastCompleteLine() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        try fixture.makeDataDir()
        let active = try fixture.activeLogFile()
        let manifest = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: fixture.path("backup")))
        let name = (active as NSString).lastPathComponent
        #expect(manifest.audit.undigestedFiles == [name])
        let original = try Data(contentsOf: URL(fileURLWithPath: active))
        let copied = try Data(contentsOf: URL(fileURLWithPath: fixture.path("backup/audit/" + name)))
        #expect(copied.last == 0x0A)
        #expect(original.starts(with: copied) && original.count == copied.count + "{\"half\":".utf8.count)
        #expect(copied.split(separator: 0x0A).count == 2)
    }

    @Test func theDestinationMustBeNewOrEmptyAndOutsideTheDataDir() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        try fixture.makeDataDir()
        let full = fixture.path("full")
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: full + "/something", contents: Data()))
        #expect(throws: BackupError.self) { try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: full)) }
        #expect(throws: BackupError.self) { try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: fixture.dataDir + "/inside")) }
        #expect(throws: BackupError.self) { try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: fixture.path("missing/backup"))) }
        // An empty directory is taken, and no temporary sibling is left behind.
        let empty = fixture.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        _ = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: empty))
        #expect(FileManager.default.fileExists(atPath: empty + "/manifest.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root).sorted() == ["data", "empty", "full"])
    }

    @Test func aDatabaseOpenElsewhereIsInUse() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        let open = try fixture.makeDatabase()
        do {
            _ = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: fixture.path("backup")))
            Issue.record("the backup opened a database that is open")
        } catch {
            #expect(error.code == .databaseInUse)
        }
        withExtendedLifetime(open) {}
        #expect(!FileManager.default.fileExists(atPath: fixture.path("backup")))
    }

    @Test func aDirectoryWithoutADatabaseIsNotADataDir() throws {
        let fixture = BackupFixture()
        defer { fixture.remove() }
        do {
            _ = try Backup.makeOffline(dataDir: fixture.dataDir, request: BackupRequest(to: fixture.path("backup")))
            Issue.record("backed up a directory without a database")
        } catch {
            #expect(error.code == .notADataDirectory)
        }
    }
}
