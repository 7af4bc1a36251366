import Foundation

/// Checks a backup against its manifest before anything of it is restored: every file the
/// manifest lists is there with its size and SHA-256, no other file is, and every path stays
/// inside the places a data dir has (a manifest cannot make a restore write elsewhere).
///
/// The manifest is what the backup says of itself: it detects damage, truncation and files
/// changed, added or removed, not a forger who rewrites the manifest as well (docs/backup.md,
/// "Keeping a backup safe").
public enum RestoreVerification {
    /// The top-level entries a backup may hold.
    static let topLevel: Set<String> = ["db", "audit", "keys", "tls", BackupSecrets.rootCredentials]

    /// Reads the manifest of `backup` and checks every file against it; throws
    /// `.damagedBackup` naming each file that differs (the first few of them).
    @discardableResult
    public static func verify(backup: String) throws(BackupError) -> BackupManifest {
        let manifest = try BackupManifest.read(backup: backup)
        var problems: [String] = []
        var listed = Set<String>()
        for file in manifest.files {
            guard isSafe(file.path) else {
                throw BackupError(.invalidBackup, "the manifest of \(backup) names \(file.path), which is not a path of a Coffer backup")
            }
            listed.insert(file.path)
            let path = BackupFiles.join(backup, file.path)
            guard BackupFiles.kind(path) == .typeRegular else {
                problems.append("\(file.path) is missing (removed from the backup)")
                continue
            }
            let found = try BackupFiles.fingerprint(path)
            if found.bytes != file.bytes {
                problems.append("\(file.path) has \(found.bytes) bytes where the manifest says \(file.bytes) (truncated or extended)")
            } else if found.sha256 != file.sha256 {
                problems.append("\(file.path) was changed: its SHA-256 is not the manifest's")
            }
        }
        for entry in try BackupFiles.walk(backup) where entry.path != BackupManifest.fileName && !listed.contains(entry.path) {
            switch entry.kind {
            case .typeDirectory: continue
            case .typeRegular: problems.append("\(entry.path) is not in the manifest (added to the backup)")
            default: problems.append("\(entry.path) is not a regular file and not in the manifest")
            }
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(10).map { "  - " + $0 }.joined(separator: "\n")
            let more = problems.count > 10 ? "\n  ... and \(problems.count - 10) more" : ""
            throw BackupError(.damagedBackup, "the backup \(backup) is damaged; nothing was restored:\n\(shown)\(more)")
        }
        return manifest
    }

    /// Whether `path` is a relative path inside one of the places a backup holds, without
    /// `.` or `..` components.
    static func isSafe(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = components.first, topLevel.contains(String(first)), !path.hasPrefix("/") else { return false }
        return components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
