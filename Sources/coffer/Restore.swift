import ArgumentParser
import CofferMaintenance
import Foundation

/// `coffer restore`: a backup made by `coffer backup` put back as a new data dir
/// (docs/backup.md, "Restoring"). Every file is checked against the manifest before anything
/// is copied; secrets the backup left out come from files kept apart.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data dir, after checking every file against its manifest.",
        discussion: """
            The target must not exist or be empty. Secrets the backup left out are supplied with --root-keys, \
            --audit-signing-key and --root-credentials. Then start `coffer serve --data-dir DIR`.
            """)

    @Option(name: .customLong("from"), help: ArgumentHelp("The backup directory (made by coffer backup).", valueName: "dir"))
    var backup: String
    @Option(help: ArgumentHelp("The data dir to create (must not exist, or be empty).", valueName: "dir"))
    var dataDir: String?
    @Option(help: ArgumentHelp("The SSE-S3 root key file (keys/sse-s3-root-keys.json of the source), when the backup left it out.", valueName: "file"))
    var rootKeys: String?
    @Option(help: ArgumentHelp("The audit signing key (keys/audit-digest-ed25519.key of the source), when the backup left it out.", valueName: "file"))
    var auditSigningKey: String?
    @Flag(help: "Restore without the audit signing key: the server makes a new one; the trail's existing digests no longer verify.")
    var newAuditSigningKey = false
    @Option(help: ArgumentHelp("The root credentials (root-credentials.json of the source); without them the server makes new ones for the same account.", valueName: "file"))
    var rootCredentials: String?
    @Flag(help: "Only check the backup against its manifest; restore nothing.")
    var check = false
    @Option(help: "Output format: text or json.")
    var format: Keys.OutputFormat = .text

    func validate() throws {
        if !check && dataDir == nil { throw ValidationError("--data-dir DIR is required: the data dir to restore into") }
        if auditSigningKey != nil && newAuditSigningKey { throw ValidationError("--audit-signing-key and --new-audit-signing-key exclude each other") }
    }

    func run() async throws {
        let backup = self.backup
        if check {
            let manifest = try await Backup.makeInBackground { () throws(BackupError) in try RestoreVerification.verify(backup: backup) }
            try Keys.emit(manifest, format: format, text: "\(backup): every one of the \(manifest.files.count) files matches the manifest (backup of \(manifest.createdAt))")
            return
        }
        let dataDir = self.dataDir ?? ""
        let secrets = RestoreSecrets(rootKeys: rootKeys, auditSigningKey: auditSigningKey, newAuditSigningKey: newAuditSigningKey,
                                     rootCredentials: rootCredentials)
        let report = try await Backup.makeInBackground { () throws(BackupError) in try Restore.run(from: backup, to: dataDir, secrets: secrets) }
        try Keys.emit(report, format: format, text: Self.text(report))
    }

    static func text(_ report: Restore.Report) -> String {
        var lines = [
            "restored \(report.backup) (backup of \(report.backupCreatedAt)) into \(report.dataDir): \(report.files) files, \(report.bytes) bytes",
        ]
        for (path, source) in report.secrets.sorted(by: { $0.key < $1.key }) { lines.append("  \(path): \(source)") }
        lines.append("start it with: coffer serve --data-dir \(report.dataDir)")
        return lines.joined(separator: "\n")
    }
}
