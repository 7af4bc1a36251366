import CofferMaintenance
import CofferStorage
import Foundation
import Testing

/// A data directory whose `db` is a real LevelDB database with tables and a log.
private struct GuardedDataDir {
    let path: String
    var db: String { path + "/db" }

    /// Writes `batches` rounds of keys, closing and reopening the database after each so that
    /// each round's log becomes a table (LevelDB turns the log into a table at open).
    init(batches: Int = 3) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-guard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for round in 0..<batches {
            try Self.write(db: path + "/db", round: round)
        }
    }

    static func write(db: String, round: Int) throws {
        let database = try LevelDB(path: db)
        for i in 0..<50 { try database.put(Array("key-\(round)-\(i)".utf8), [UInt8](repeating: UInt8(i), count: 2000), sync: false) }
        try database.put(Array("last-\(round)".utf8), [1], sync: true)
    }

    func files(_ suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: db).filter { $0.hasSuffix(suffix) }.sorted()
    }

    var manifestPath: String {
        get throws { db + "/" + (try String(contentsOfFile: db + "/CURRENT", encoding: .utf8).trimmingCharacters(in: .newlines)) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct LevelDBManifestTests {
    @Test func listsTheTablesOnDiskAndTheLiveLog() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        let manifest = try LevelDBManifest(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: try dir.manifestPath))))
        #expect(manifest.comparator == "leveldb.BytewiseComparator")
        #expect(!manifest.tornTail && manifest.edits >= 1)
        let onDisk = try dir.files(".ldb")
        #expect(manifest.tables.keys.map { String(format: "%06llu.ldb", $0) }.sorted() == onDisk)
        for table in manifest.tables.values {
            let size = try FileManager.default.attributesOfItem(atPath: dir.db + String(format: "/%06llu.ldb", table.number))[.size] as? Int
            #expect(UInt64(size ?? -1) == table.size)
        }
        let log = try #require(manifest.logNumber)
        #expect(try dir.files(".log") == [String(format: "%06llu.log", log)])
        #expect(try #require(manifest.nextFileNumber) > log)
        #expect(try #require(manifest.lastSequence) >= 100)
    }

    @Test func aCutLastRecordIsATornTailAndABadChecksumIsAnError() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try dir.manifestPath)))
        let whole = try LevelDBManifest(bytes: bytes)
        let cut = try LevelDBManifest(bytes: Array(bytes.dropLast(3)))
        #expect(cut.tornTail && cut.edits == whole.edits - 1)
        var flipped = bytes
        flipped[10] ^= 0x40
        #expect(throws: ManifestError.self) { try LevelDBManifest(bytes: flipped) }
        #expect(try LevelDBManifest(bytes: []).edits == 0)
    }

    /// The fuzz seed made by hand: a snapshot edit of 300 tables (121 KB, FIRST, MIDDLE and
    /// LAST fragments over four blocks), then an edit deleting one table.
    @Test func readsRecordsSpanningBlocks() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/leveldb_manifest/multi-block-snapshot-and-edit")
        let manifest = try LevelDBManifest(bytes: [UInt8](try Data(contentsOf: seed)))
        #expect(manifest.edits == 2 && manifest.tables.count == 299 && manifest.tables[5] == nil)
        #expect(manifest.logNumber == 901 && manifest.nextFileNumber == 1002 && manifest.lastSequence == 123_999)
    }

    @Test func garbageNeverCrashesTheParser() {
        var generator = SystemRandomNumberGenerator()
        for length in [1, 6, 7, 8, 100, 40_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? LevelDBManifest(bytes: bytes)
        }
    }
}

@Suite struct StoreGuardTests {
    @Test func aHealthyDatabaseIsClearedAndANewOneToo() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        let clearance = try StoreGuard.check(dataDir: dir.path)
        #expect(clearance.manifest != nil && clearance.movedTables.isEmpty)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-guard-\(UUID().uuidString)").path
        #expect(try StoreGuard.check(dataDir: empty).manifest == nil)
    }

    @Test func aTruncatedManifestIsRefused() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        let path = try dir.manifestPath
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let tables = try dir.files(".ldb")
        #expect(truncate(path, off_t(size / 2)) == 0)
        #expect(throws: StoreDamage.self) { try StoreGuard.check(dataDir: dir.path) }
        #expect(try dir.files(".ldb") == tables)
    }

    @Test func aMissingOrCutTableIsRefusedByName() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        let table = try #require(try dir.files(".ldb").first)
        #expect(truncate(dir.db + "/" + table, 100) == 0)
        let cut = #expect(throws: StoreDamage.self) { try StoreGuard.check(dataDir: dir.path) }
        #expect(cut?.description.contains("has 100 bytes") == true)
        try FileManager.default.removeItem(atPath: dir.db + "/" + table)
        let missing = #expect(throws: StoreDamage.self) { try StoreGuard.check(dataDir: dir.path) }
        #expect(missing?.description.contains("is missing") == true)
    }

    @Test func aMissingLogIsRefused() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        for log in try dir.files(".log") { try FileManager.default.removeItem(atPath: dir.db + "/" + log) }
        let error = #expect(throws: StoreDamage.self) { try StoreGuard.check(dataDir: dir.path) }
        #expect(error?.description.contains("lost its newest edits") == true)
    }

    @Test func unknownTablesAreMovedAsideNotDeleted() throws {
        let dir = try GuardedDataDir()
        defer { dir.remove() }
        let table = try #require(try dir.files(".ldb").first)
        try FileManager.default.copyItem(atPath: dir.db + "/" + table, toPath: dir.db + "/999999.ldb")
        let looked = try StoreGuard.check(dataDir: dir.path, moveUnlisted: false)  // as fsck looks: nothing moves
        #expect(looked.unlistedTables == ["999999.ldb"] && looked.movedTables.isEmpty)
        #expect(FileManager.default.fileExists(atPath: dir.db + "/999999.ldb"))
        let clearance = try StoreGuard.check(dataDir: dir.path)
        #expect(clearance.movedTables == ["999999.ldb"])
        let aside = try #require(clearance.movedTo)
        #expect(FileManager.default.fileExists(atPath: aside + "/999999.ldb"))
        #expect(!FileManager.default.fileExists(atPath: dir.db + "/999999.ldb"))
        #expect(try LevelDB(path: dir.db).get(Array("last-2".utf8)) == [1])
    }

    @Test func theIdentityRecordRefusesAnOlderDatabase() throws {
        let dir = try GuardedDataDir(batches: 1)
        defer { dir.remove() }
        let older = dir.path + "/older"
        try FileManager.default.copyItem(atPath: dir.db, toPath: older)
        try GuardedDataDir.write(db: dir.db, round: 1)
        let keeper = try StoreIdentityKeeper(dataDir: dir.path, existing: try StoreGuard.check(dataDir: dir.path).identity)
        #expect(try StoreIdentity.read(dataDir: dir.path) == keeper.identity)
        try FileManager.default.removeItem(atPath: dir.db)
        try FileManager.default.moveItem(atPath: older, toPath: dir.db)
        let error = #expect(throws: StoreDamage.self) { try StoreGuard.check(dataDir: dir.path) }
        #expect(error?.description.contains("holds less than this store had") == true)
        // ... and a data dir whose database vanished while its record says there was a store.
        try FileManager.default.removeItem(atPath: dir.db)
        let gone = #expect(throws: StoreDamage.self) { try StoreGuard.check(dataDir: dir.path) }
        #expect(gone?.description.contains("has no CURRENT file") == true)
    }

    @Test func theKeeperWritesTheMarkReadOneRefreshEarlier() throws {
        let dir = try GuardedDataDir(batches: 1)
        defer { dir.remove() }
        let database = try LevelDB(path: dir.db)
        let keeper = try StoreIdentityKeeper(dataDir: dir.path, existing: nil)
        let opened = keeper.identity.mark
        for i in 0..<2000 { try database.put(Array("more-\(i)".utf8), [UInt8](repeating: 7, count: 4000), sync: false) }
        try database.put(Array("sync".utf8), [1], sync: true)
        database.compactAll()
        #expect(try keeper.refresh() == false)  // reads the new mark, writes nothing yet
        #expect(try keeper.refresh() == true)  // writes it
        let written = try #require(try StoreIdentity.read(dataDir: dir.path))
        #expect(written.mark.nextFileNumber > opened.nextFileNumber && written.storeId == keeper.identity.storeId)
        #expect(try keeper.refresh() == false)
    }
}
