import CofferStorage
import Foundation

/// The checks a data directory's LevelDB database passes before it is opened (issue 12), so a
/// damaged store is refused instead of opened as a smaller one, and LevelDB never deletes a
/// table file it does not know:
///
/// - `CURRENT` names a MANIFEST that exists and reads (a torn last edit is allowed, as LevelDB
///   allows it); it has the comparator, log number, next file number and last sequence;
/// - every table the MANIFEST lists exists with its recorded size (a table lost or cut);
/// - the log the MANIFEST names exists (LevelDB deletes the previous log only once the
///   MANIFEST names the next one, so a missing log means the MANIFEST lost edits);
/// - the MANIFEST holds at least what the store identity record promises (``StoreIdentity``);
/// - a database that is gone or lost its `CURRENT` while the identity record, or its own
///   table and log files, say there was a store is refused rather than created afresh.
///
/// Table files the MANIFEST does not list (a compaction or flush cut by a crash before its
/// edit, or obsolete inputs not yet deleted) are moved to
/// `<data-dir>/db-unreferenced/<time>/` instead of being left for LevelDB to delete.
public enum StoreGuard {
    /// What the checks found in a database that may be opened.
    public struct Clearance: Sendable {
        /// The MANIFEST read (nil for a new, empty database).
        public let manifest: LevelDBManifest?
        /// Table files moved aside, and where to.
        public let movedTables: [String]
        /// Table files the MANIFEST does not list (moved aside or not).
        public var unlistedTables: [String] = []
        public let movedTo: String?
        /// The identity record (nil when the data dir had none yet).
        public let identity: StoreIdentity?
    }

    /// Checks the database of `dataDir` before it is opened. When another process has the
    /// database open nothing is checked (opening it fails on LevelDB's lock). Table files the
    /// MANIFEST does not list are moved aside when `moveUnlisted` (before a start), and only
    /// named in the clearance otherwise (`coffer fsck`, which changes nothing).
    public static func check(dataDir: String, moveUnlisted: Bool = true, now: Date = Date()) throws(StoreDamage) -> Clearance {
        let directory = DataDirectory(path: dataDir)
        let db = directory.database
        let identity: StoreIdentity?
        do { identity = try StoreIdentity.read(dataDir: dataDir) } catch {
            throw StoreDamage("the store identity record cannot be read: \(error)")
        }
        if LevelDB.isLockedByAnotherProcess(path: db) {
            return Clearance(manifest: nil, movedTables: [], unlistedTables: [], movedTo: nil, identity: identity)
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: db)) ?? []
        guard let current = try? String(contentsOfFile: db + "/CURRENT", encoding: .utf8) else {
            if let identity {
                throw StoreDamage("\(db) has no CURRENT file, but this data directory held store \(identity.storeId) (\(identity.mark.tables) tables, \(identity.mark.tableBytes) bytes)")
            }
            let leftovers = files.filter { LevelDBFile(name: $0) != nil }
            guard leftovers.isEmpty else {
                throw StoreDamage("\(db) has no CURRENT file, but holds LevelDB files (\(leftovers.sorted().prefix(5).joined(separator: ", ")))")
            }
            return Clearance(manifest: nil, movedTables: [], unlistedTables: [], movedTo: nil, identity: nil)
        }
        let name = current.trimmingCharacters(in: .newlines)
        guard case .manifest(let manifestNumber)? = LevelDBFile(name: name) else {
            throw StoreDamage("\(db)/CURRENT does not name a MANIFEST file")
        }
        guard let bytes = FileManager.default.contents(atPath: db + "/" + name) else {
            throw StoreDamage("\(db)/\(name), which CURRENT names, cannot be read")
        }
        let manifest: LevelDBManifest
        do { manifest = try LevelDBManifest(bytes: [UInt8](bytes)) } catch {
            throw StoreDamage("\(db)/\(name) is damaged: \(error)")
        }
        guard manifest.comparator == "leveldb.BytewiseComparator", let logNumber = manifest.logNumber,
              let mark = StoreIdentity.Mark(manifest: manifest, manifestNumber: manifestNumber)
        else {
            throw StoreDamage("\(db)/\(name) lacks the database's description (comparator, log, next file or sequence number): it was cut short")
        }
        var onDisk: [UInt64: (name: String, size: UInt64)] = [:]
        var logs = Set<UInt64>()
        for file in files {
            switch LevelDBFile(name: file) {
            case .table(let number):
                let size = (try? FileManager.default.attributesOfItem(atPath: db + "/" + file)[.size] as? NSNumber)?.uint64Value ?? 0
                onDisk[number] = (file, size)
            case .log(let number): logs.insert(number)
            default: break
            }
        }
        var problems: [String] = []
        for table in manifest.tables.values.sorted(by: { $0.number < $1.number }) {
            guard let file = onDisk[table.number] else {
                problems.append("table \(LevelDBFile.tableName(table.number)) (level \(table.level), \(table.size) bytes) is missing")
                continue
            }
            if file.size != table.size { problems.append("table \(file.name) has \(file.size) bytes, the MANIFEST says \(table.size)") }
        }
        if !problems.isEmpty {
            throw StoreDamage("\(db): \(problems.count) table file(s) the MANIFEST lists are missing or cut: \(problems.prefix(5).joined(separator: "; "))")
        }
        if logNumber != 0, !logs.contains(logNumber) {
            throw StoreDamage("\(db)/\(name) names log \(logNumber), which is gone: the MANIFEST lost its newest edits")
        }
        if let identity, let shortfall = mark.shortfall(against: identity.mark) {
            throw StoreDamage("\(db) holds less than this store had: \(shortfall) (store identity record \(StoreIdentity.fileName))")
        }
        let unknown = onDisk.filter { manifest.tables[$0.key] == nil }.map(\.value.name).sorted()
        guard !unknown.isEmpty, moveUnlisted else {
            return Clearance(manifest: manifest, movedTables: [], unlistedTables: unknown, movedTo: nil, identity: identity)
        }
        let aside = try moveAside(unknown, from: db, dataDir: dataDir, now: now)
        return Clearance(manifest: manifest, movedTables: unknown, unlistedTables: unknown, movedTo: aside, identity: identity)
    }

    /// Moves `names` from `db` to a new directory under `<data-dir>/db-unreferenced/`.
    private static func moveAside(_ names: [String], from db: String, dataDir: String, now: Date) throws(StoreDamage) -> String {
        let target = (dataDir as NSString).appendingPathComponent("db-unreferenced/\(StoreRecovery.stamp(now))")
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for name in names { try FileManager.default.moveItem(atPath: db + "/" + name, toPath: target + "/" + name) }
        } catch {
            throw StoreDamage("cannot move table files the MANIFEST does not list out of \(db) to \(target): \(error)")
        }
        return target
    }
}

/// A database that must not be opened, and why.
public struct StoreDamage: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A file name LevelDB gives its files.
enum LevelDBFile: Equatable {
    case table(UInt64)
    case log(UInt64)
    case manifest(UInt64)

    /// The name LevelDB gives table `number` (`000123.ldb`).
    static func tableName(_ number: UInt64) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".ldb"
    }

    init?(name: String) {
        if name.hasPrefix("MANIFEST-"), let number = UInt64(name.dropFirst("MANIFEST-".count)) {
            self = .manifest(number)
            return
        }
        let parts = name.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let number = UInt64(parts[0]) else { return nil }
        switch parts[1] {
        case "ldb", "sst": self = .table(number)
        case "log": self = .log(number)
        default: return nil
        }
    }
}
