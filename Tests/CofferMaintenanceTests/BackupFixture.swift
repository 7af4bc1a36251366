import CofferAudit
import CofferCrypto
@testable import CofferMaintenance
import CofferS3
import CofferStorage
import Foundation

/// A data dir for the backup tests, in a fresh temporary directory removed by ``remove()``:
/// a LevelDB store holding raw entries, an audit trail with a finished file and an active
/// one, the audit key pair, SSE-S3 root keys and root credentials.
struct BackupFixture {
    let root: String
    var dataDir: String { root + "/data" }
    var database: String { dataDir + "/db" }

    /// The store's entries besides the format key: a bucket, an object, a KMS key, a note,
    /// and the chunks of a committed blob.
    static let committed: [[UInt8]: [UInt8]] = [
        Array("bphotos".utf8): Array("\u{2}{\"name\":\"photos\"}".utf8),
        Array("ophotos\u{0}cat.jpg".utf8): Array("\u{2}{\"key\":\"cat.jpg\"}".utf8),
        Array("k1234".utf8): Array("\u{1}{\"keyId\":\"1234\"}".utf8),
        Array("revent-1".utf8): Array("{\"eventID\":\"event-1\"}".utf8),
        chunk(blob: 1, index: 0): [UInt8](repeating: 0xAB, count: 70_000),
        chunk(blob: 1, index: 1): [UInt8](repeating: 0xCD, count: 1_000),
    ]
    /// The store format key and its value (docs/storage-layout.md).
    static let formatKey = Array("mformat".utf8)
    static let formatValue: [UInt8] = [0, 0, 0, 1]

    init() {
        root = NSTemporaryDirectory() + "coffer-backup-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// 16 bytes of blob id `n`, then the chunk index, big-endian.
    static func chunk(blob n: UInt8, index: UInt32) -> [UInt8] {
        [UInt8(ascii: "c")] + blobID(n) + [UInt8(index >> 24), UInt8(index >> 16 & 0xFF), UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)]
    }

    static func blobID(_ n: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 15) + [n] }

    /// Opens (creating) the fixture's database with the format key and the committed entries,
    /// and a pending blob (blob 2: its marker and one chunk) that a backup leaves out.
    func makeDatabase() throws -> LevelDB {
        let db = try LevelDB(path: database)
        try db.put(Self.formatKey, Self.formatValue, sync: false)
        for (key, value) in Self.committed { try db.put(key, value, sync: false) }
        try db.put(Self.chunk(blob: 2, index: 0), [1, 2, 3], sync: false)
        try db.put([UInt8(ascii: "g")] + Self.blobID(2), [1], sync: true)
        return db
    }

    /// Every entry of the database at `path`.
    static func entries(of path: String) throws -> [[UInt8]: [UInt8]] {
        let db = try LevelDB(path: path)
        let iterator = db.makeIterator()
        iterator.seekToFirst()
        var entries: [[UInt8]: [UInt8]] = [:]
        while iterator.isValid {
            entries[iterator.key] = iterator.value
            iterator.next()
        }
        try iterator.checkError()
        return entries
    }

    /// An audit trail with one finished file (3 records) and an active one (2 records, then
    /// half a line, as a writer caught mid-append leaves it); returns the trail, still open.
    func makeTrail() throws -> AuditTrail {
        let trail = try AuditTrail(directory: AuditLayout.auditDirectory(dataDir: dataDir), keyDirectory: AuditLayout.keyDirectory(dataDir: dataDir))
        for n in 0..<3 { try trail.record(Self.event(n)) }
        try trail.rotate()
        for n in 3..<5 { try trail.record(Self.event(n)) }
        let active = try activeLogFile()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: active))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"half\":".utf8))
        try handle.close()
        return trail
    }

    /// The path of the trail's log file that has no digest.
    func activeLogFile() throws -> String {
        let audit = AuditLayout.auditDirectory(dataDir: dataDir)
        let names = try FileManager.default.contentsOfDirectory(atPath: audit)
        let undigested = names.filter { $0.hasSuffix(".jsonl") && !names.contains(String($0.dropLast(6)) + ".digest.json") }
        guard let name = undigested.first else { throw BackupError(.io, "no active file") }
        return audit + "/" + name
    }

    static func event(_ n: Int) -> AuditEvent {
        let context = AuditContext(time: Date(timeIntervalSince1970: 1_795_608_000 + Double(n)), region: "us-east-1",
                                   identity: .anonymous, requestID: "request-\(n)", recipientAccountId: "123456789012")
        return .s3DataEvent("PutObject", context: context, bucket: "photos", key: "cat-\(n).jpg")
    }

    /// SSE-S3 root keys (one version) and root credentials in the data dir.
    func makeSecrets() throws -> RootKeyring {
        let keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        try RootKeyStore.save(keyring, dataDir: dataDir)
        let credentials = #"{"accessKeyId": "AKCFTEST", "accountId": "123456789012", "secretAccessKey": "secret-for-tests"}"#
        try Data(credentials.utf8).write(to: URL(fileURLWithPath: dataDir + "/root-credentials.json"))
        return keyring
    }

    /// A whole data dir: database (closed), trail (closed uncleanly: its active file has a
    /// half line), keys.
    func makeDataDir() throws {
        _ = try makeDatabase()
        _ = try makeTrail()
        _ = try makeSecrets()
    }

    /// The mode bits of `path`.
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }
}
