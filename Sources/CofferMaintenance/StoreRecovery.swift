import CofferAudit
import CofferStorage
import Foundation

/// `coffer serve --recover`: LevelDB's repair run on a copy of a damaged database, a report of
/// what came back and what did not, and the repaired copy put in place of the original, which
/// is kept beside it and never deleted (issue 12).
///
/// 1. `db/` is copied to `db.recovering-<time>/` (the original is not touched);
/// 2. LevelDB's repair runs on the copy: every log becomes a table, every table is scanned
///    and entries that do not read are dropped, and a new MANIFEST lists what was found;
/// 3. the copy is opened as a store and walked: buckets, objects, uploads, and every package
///    of every object (objects with a missing package are reported, by bucket and key);
/// 4. the audit trail says which objects should exist (the last committed write or delete
///    of each key): those the repaired store lacks are reported as not brought back;
/// 5. `db/` becomes `db.damaged-<time>/` and the copy becomes `db/`; the identity record keeps
///    the store's id and is made anew from the repaired MANIFEST when the store opens.
public enum StoreRecovery {
    public struct Report: Sendable, Codable {
        public var damagedCopy: String
        public var buckets = 0
        public var objects = 0
        public var objectBytes: Int64 = 0
        public var uploads = 0
        /// Objects whose record came back but some package did not (bucket/key).
        public var incompleteObjects: [String] = []
        /// Objects the audit trail says exist that the repaired store lacks (bucket/key).
        public var missingObjects: [String] = []
        /// Whether the audit trail could be read to find missing objects.
        public var trailChecked = false
        /// What LevelDB's repair wrote about tables and records it dropped.
        public var repairLog: [String] = []

        /// The report for the operator, a few lines.
        public var summary: String {
            var lines = [
                "recovery: repaired a copy of the database; the damaged original is kept at \(damagedCopy)",
                "recovery: brought back \(buckets) buckets, \(objects) objects (\(objectBytes) bytes), \(uploads) incomplete multipart uploads",
            ]
            if incompleteObjects.isEmpty {
                lines.append("recovery: every object that came back has all its packages")
            } else {
                lines.append("recovery: \(incompleteObjects.count) objects came back without all their packages (GET answers 500): "
                             + incompleteObjects.prefix(20).joined(separator: ", "))
            }
            if !trailChecked {
                lines.append("recovery: the audit trail could not be read, so objects that did not come back at all are unknown")
            } else if missingObjects.isEmpty {
                lines.append("recovery: every object the audit trail knows of came back")
            } else {
                lines.append("recovery: \(missingObjects.count) objects the audit trail knows of did not come back: "
                             + missingObjects.prefix(20).joined(separator: ", "))
            }
            lines += repairLog.prefix(20).map { "recovery: leveldb: \($0)" }
            return lines.joined(separator: "\n")
        }
    }

    /// Repairs the database of `dataDir` as described above and returns the report. Throws,
    /// leaving the original in place, when the database is in use, absent, or the repair or
    /// the walk fails.
    public static func run(dataDir: String, now: Date = Date()) async throws -> Report {
        let directory = DataDirectory(path: dataDir)
        let db = directory.database
        guard FileManager.default.fileExists(atPath: db) else { throw StoreDamage("there is no database to recover in \(db)") }
        guard !LevelDB.isLockedByAnotherProcess(path: db) else {
            throw StoreDamage("the database in \(db) is in use by another process; stop it before recovering")
        }
        let stamp = Self.stamp(now)
        let working = db + ".recovering-" + stamp
        let damaged = db + ".damaged-" + stamp
        try copyDirectory(db, to: working)
        let logStart = (try? FileManager.default.attributesOfItem(atPath: working + "/LOG")[.size] as? NSNumber)?.intValue ?? 0
        try LevelDB.repair(path: working, options: ObjectStore.Options().database)
        var report = Report(damagedCopy: damaged)
        report.repairLog = repairFindings(logPath: working + "/LOG", from: logStart)
        let expected = try? objectsInTrail(auditDirectory: directory.audit)
        let present = try await inventory(working, into: &report)
        if let expected {
            report.trailChecked = true
            report.missingObjects = expected.subtracting(present).sorted()
        }
        // The walk's store is released: opening the copy again proves LevelDB closed it (it
        // refuses a second open in one process), so nothing writes into it once it moves.
        do { _ = try LevelDB(path: working, options: ObjectStore.Options().database) } catch {
            throw StoreDamage("the repaired copy \(working) is still open after the walk: \(error)")
        }
        try FileManager.default.moveItem(atPath: db, toPath: damaged)
        try FileManager.default.moveItem(atPath: working, toPath: db)
        // The repaired database has new file numbers: the record keeps the store's id and
        // promises nothing until the repaired store opens and the record is made from it.
        if var identity = try? StoreIdentity.read(dataDir: dataDir) {
            identity.mark = .none
            identity.updatedAt = now
            try identity.write(dataDir: dataDir)
        }
        return report
    }

    /// `20261207T173907Z`: the time in the names of directories kept aside.
    static func stamp(_ now: Date) -> String {
        ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime, .withTimeZone])
            .replacingOccurrences(of: ":", with: "")
    }

    /// Copies the regular files of `source` (not its `LOCK`) into a new directory `target`.
    static func copyDirectory(_ source: String, to target: String) throws {
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name != "LOCK" {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: target + "/" + name)
        }
    }

    /// The lines of LevelDB's info log written by the repair that report something lost.
    static func repairFindings(logPath: String, from offset: Int) -> [String] {
        guard let data = FileManager.default.contents(atPath: logPath), offset <= data.count else { return [] }
        let text = String(decoding: data[offset...], as: UTF8.self)
        let interesting = ["ignoring", "Corruption", "dropping", "error", "Archiving", "missing"]
        return text.split(separator: "\n").map { line in
            // "2026/12/07-17:50:01.123456 7f... message": keep the message.
            let parts = line.split(separator: " ", maxSplits: 2)
            return parts.count == 3 ? String(parts[2]) : String(line)
        }.filter { line in interesting.contains { line.contains($0) } && !line.contains("MANIFEST") }
    }

    /// Opens the repaired database as a store, counts what it holds, and returns every
    /// `bucket/key` in it.
    static func inventory(_ path: String, into report: inout Report) async throws -> Set<String> {
        let db = try LevelDB(path: path, options: ObjectStore.Options().database)
        let store = try await ObjectStore(metadata: LevelDBMetadataStore(database: db), blobs: LevelDBBlobStore(database: db))
        var present = Set<String>()
        for bucket in try await store.listBuckets() {
            report.buckets += 1
            var after: String? = nil
            repeat {
                let page = try await store.listObjects(bucket: bucket.name, startAfter: after, maxKeys: 1000)
                for record in page.objects {
                    present.insert("\(bucket.name)/\(record.key)")
                    report.objects += 1
                    report.objectBytes += record.size
                    if try await !hasEveryPackage(record, in: store) { report.incompleteObjects.append("\(bucket.name)/\(record.key)") }
                }
                after = page.isTruncated ? page.objects.last?.key : nil
            } while after != nil
            report.uploads += try await store.listUploads(bucket: bucket.name, maxUploads: Int.max).uploads.count
        }
        return present
    }

    /// Whether every package of every segment of `record` is in the store (read one by one).
    static func hasEveryPackage(_ record: ObjectRecord, in store: ObjectStore) async throws -> Bool {
        for segment in record.segments {
            for index in 0..<segment.chunkCount {
                do {
                    guard try await store.readChunk(blob: segment.id, index: index) != nil else { return false }
                } catch {
                    return false
                }
            }
        }
        return true
    }

    /// The objects the audit trail says exist: each key's last successful write or delete
    /// decides, and a deleted bucket takes its keys.
    static func objectsInTrail(auditDirectory: String) throws -> Set<String> {
        var present = Set<String>()
        try AuditReader(directory: auditDirectory).forEach { record in
            let event = record.event
            guard event.eventSource == "s3.amazonaws.com", event.errorCode == nil,
                  let bucket = event.requestParameters?["bucketName"]?.stringValue else { return true }
            let key = event.requestParameters?["key"]?.stringValue
            switch event.eventName {
            case "PutObject", "CopyObject", "CompleteMultipartUpload":
                if let key { present.insert("\(bucket)/\(key)") }
            case "DeleteObject", "DeleteObjects":
                if let key { present.remove("\(bucket)/\(key)") }
            case "DeleteBucket":
                present = present.filter { !$0.hasPrefix(bucket + "/") }
            default: break
            }
            return true
        }
        return present
    }
}
