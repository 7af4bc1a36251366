import Foundation

/// `coffer restore`: puts a backup back as a new data dir (docs/backup.md, "Restoring").
///
/// In order, refusing at the first step that fails, with nothing written in the target:
/// the target must not exist or be an empty directory; every file of the backup must match
/// its manifest (``RestoreVerification``); every secret the backup left out must be supplied
/// or waived (``RestorePlan``), and each one supplied must be the one the backup was taken
/// with. Then the supplied secrets and the backup's files are copied into a temporary sibling
/// of the target (directories 0700, files 0600, public keys and certificates 0644), each
/// file checked against its manifest hash again as it is copied, synced, and renamed into
/// place. The restored data dir starts with `coffer serve`: the server digests the copied
/// active audit file and appends the records of the audit notes in the copied store.
public enum Restore {
    /// What a restore did.
    public struct Report: Codable, Sendable, Hashable {
        /// The restored data dir (absolute).
        public var dataDir: String
        /// The backup it came from, and when that was taken.
        public var backup: String
        public var backupCreatedAt: String
        /// Files restored and their bytes.
        public var files: Int
        public var bytes: Int64
        /// Where each secret came from: `keys/sse-s3-root-keys.json` → `backup`, `file ...`,
        /// or what happens without it.
        public var secrets: [String: String]
    }

    /// Restores `backup` into `dataDir`, which must not exist or be an empty directory.
    public static func run(from backup: String, to dataDir: String, secrets supplied: RestoreSecrets) throws(BackupError) -> Report {
        let backup = BackupFiles.absolute(backup)
        let destination = try BackupDestination.prepare(dataDir, what: "the data dir to restore into", outside: backup, protectedName: "the backup")
        do {
            let manifest = try RestoreVerification.verify(backup: backup)
            let plan = try RestorePlan(manifest: manifest, supplied: supplied)
            try plan.installSuppliedFiles(into: destination.temporary, backup: backup, manifest: manifest)
            var bytes: Int64 = 0
            var count = 0
            for file in manifest.files where !plan.replaces(file.path) {
                try copy(file, from: backup, into: destination.temporary)
                bytes += file.bytes
                count += 1
            }
            try destination.commit()
            return Report(dataDir: destination.final, backup: backup, backupCreatedAt: manifest.createdAt, files: count, bytes: bytes,
                          secrets: plan.descriptions)
        } catch {
            destination.discard()
            throw error
        }
    }

    /// Copies one file of the backup into place, checking it against the manifest again.
    private static func copy(_ file: BackupManifest.File, from backup: String, into dataDir: String) throws(BackupError) {
        try BackupSecrets.makeParent(of: file.path, in: dataDir)
        let written = try BackupFiles.copy(BackupFiles.join(backup, file.path), to: BackupFiles.join(dataDir, file.path), mode: mode(of: file.path))
        guard written.bytes == file.bytes, written.sha256 == file.sha256 else {
            throw BackupError(.damagedBackup, "\(file.path) changed in the backup while it was being restored; nothing was restored")
        }
    }

    /// Public keys and certificates 0644, everything else 0600 (directories are 0700).
    static func mode(of path: String) -> mode_t {
        path.hasSuffix(".pub") || (path.hasPrefix(BackupSecrets.tls + "/") && !path.hasSuffix("-key.pem")) ? 0o644 : 0o600
    }
}

extension RestorePlan {
    /// Whether a supplied file takes the place of the backup's copy of `path`.
    func replaces(_ path: String) -> Bool {
        switch path {
        case BackupSecrets.rootKeys: if case .file = rootKeys { return true }
        case BackupSecrets.auditSigningKey: if case .file = auditSigningKey { return true }
        case BackupSecrets.rootCredentials:
            switch rootCredentials {
            case .file, .accountOnly: return true
            default: return false
            }
        default: return false
        }
        return false
    }

    /// Where each secret came from, for the report.
    var descriptions: [String: String] {
        func describe(_ source: Source) -> String {
            switch source {
            case .backup: "from the backup"
            case .file(let file): "from \(file)"
            case .accountOnly(let account): "account \(account) kept; the server makes new root credentials at its first start (or takes COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY)"
            case .none(let what): what
            }
        }
        return [
            BackupSecrets.rootKeys: describe(rootKeys),
            BackupSecrets.auditSigningKey: describe(auditSigningKey),
            BackupSecrets.rootCredentials: describe(rootCredentials),
            BackupSecrets.tls: describe(tls),
        ]
    }
}
