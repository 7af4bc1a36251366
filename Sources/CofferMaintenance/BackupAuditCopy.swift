import Foundation

/// Copies the audit trail's files (docs/audit-trail.md, "Files") while a server may be
/// appending to them: log files that have a digest are finished and copied whole, with their
/// digests; a log file without a digest (the active one, or one a crash left) is copied up
/// to its last complete line as it is at that moment, and the restored server digests it at
/// its first start, as it does after a crash.
///
/// Taken right after the database snapshot, the copy holds every record appended before the
/// snapshot. A write in the snapshot whose record came later has its record in the snapshot
/// too, as an audit note (`r` key), which the restored server appends at its first start
/// unless the trail's newest records already hold it. So the restored trail has a record of
/// every write the restored store holds.
enum BackupAuditCopy {
    /// Copies the trail in `source` (`<data-dir>/audit`) into `destination` (created, 0700).
    /// A data dir without a trail yields an empty count and no directory.
    static func copy(from source: String, to destination: String) throws(BackupError) -> BackupManifest.Audit {
        guard BackupFiles.kind(source) == .typeDirectory else {
            return BackupManifest.Audit(logFiles: 0, digestFiles: 0, undigestedFiles: [])
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
        } catch {
            throw BackupError(.io, "cannot list the audit trail \(source)")
        }
        let digests = Set(names.filter(isDigestFile))
        let logFiles = names.filter(isLogFile)
        let undigested = logFiles.filter { !digests.contains(digestName(of: $0)) }
        try BackupFiles.makeDirectory(destination)
        // The undigested files first: the moment they are read is the moment the copy holds
        // records up to; finished files and digests never change.
        for name in undigested {
            _ = try BackupFiles.copy(BackupFiles.join(source, name), to: BackupFiles.join(destination, name), mode: 0o600, extent: .completeLines)
        }
        for name in logFiles where digests.contains(digestName(of: name)) {
            _ = try BackupFiles.copy(BackupFiles.join(source, name), to: BackupFiles.join(destination, name), mode: 0o600)
        }
        for name in digests.sorted() {
            _ = try BackupFiles.copy(BackupFiles.join(source, name), to: BackupFiles.join(destination, name), mode: 0o600)
        }
        return BackupManifest.Audit(logFiles: logFiles.count, digestFiles: digests.count, undigestedFiles: undigested)
    }

    // The trail's file names (`AuditLayout`, frozen): `coffer-audit-<time>-<number>.jsonl` and
    // `coffer-audit-<time>-<number>.digest.json`. Anything else in the directory (the writer's
    // lock file, a digest's temporary file) is not part of the trail.
    static let prefix = "coffer-audit-"
    static let logSuffix = ".jsonl"
    static let digestSuffix = ".digest.json"

    static func isLogFile(_ name: String) -> Bool { name.hasPrefix(prefix) && name.hasSuffix(logSuffix) }
    static func isDigestFile(_ name: String) -> Bool { name.hasPrefix(prefix) && name.hasSuffix(digestSuffix) }
    static func digestName(of logFile: String) -> String { String(logFile.dropLast(logSuffix.count)) + digestSuffix }
}
