import ArgumentParser
import CofferMaintenance
import Foundation

/// `coffer backup`: a consistent copy of a data dir, whether its server runs or not
/// (docs/backup.md). With the server stopped it opens the database itself; while a server
/// holds the database, it asks that server through its admin socket, and the server writes
/// the backup.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a data dir (running server or not): the database from one snapshot, the audit trail, a manifest of hashes.",
        discussion: """
            The root keys and other secrets are left out unless --include-root-keys is given: keep them apart \
            (docs/backup.md) and hand them to `coffer restore`.
            """)

    @OptionGroup var location: Audit.Location
    @Option(name: .customLong("to"), help: ArgumentHelp("The backup directory to create (must not exist, or be empty; outside the data dir).", valueName: "dir"))
    var destination: String
    @Flag(help: "Also copy the secrets: SSE-S3 root keys, audit signing key, root credentials, generated TLS material.")
    var includeRootKeys = false
    @Option(help: "Output format: text or json (the summary).")
    var format: Keys.OutputFormat = .text

    func run() async throws {
        let configuration = try await location.configuration()
        guard configuration.storage == .levelDB else {
            throw ValidationError("coffer backup copies a data dir's LevelDB store; the store of --storage rados is in the cluster: back its pool up with Ceph's tools (docs/scale-out.md)")
        }
        let dataDir = configuration.dataDir
        let request = BackupRequest(to: URL(fileURLWithPath: destination).standardizedFileURL.path, includeRootKeys: includeRootKeys)
        let clock = ContinuousClock()
        let started = clock.now
        let summary: BackupSummary
        do throws(BackupError) {
            let manifest = try await Backup.makeInBackground { () throws(BackupError) in try Backup.makeOffline(dataDir: dataDir, request: request) }
            let elapsed = (clock.now - started).components
            summary = BackupSummary(manifest: manifest, destination: request.to,
                                    seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        } catch where error.code == .databaseInUse {
            summary = try await AdminClient(dataDir: dataDir).post("/v1/backup", request, answer: BackupSummary.self)
        }
        try Keys.emit(summary, format: format, text: Self.text(summary))
    }

    /// The summary for a reader.
    static func text(_ summary: BackupSummary) -> String {
        let records = summary.database.records
        func count(_ kind: String) -> Int { records[kind, default: 0] }
        let source = summary.takenFrom == .runningServer ? "the running server (through its admin socket)" : "the stopped data dir"
        var lines = [
            "backup of \(source) written to \(summary.destination) (snapshot at \(summary.createdAt))",
            "  records: \(count("buckets")) buckets, \(count("objects")) objects, \(count("uploads")) multipart uploads, \(count("parts")) parts, "
                + "\(count("kmsKeys")) KMS keys, \(count("kmsAliases")) aliases, \(count("auditNotes")) audit notes",
            "  blobs: \(summary.database.blobs) (\(summary.database.chunks) chunks)"
                + (summary.database.blobsLeftOut > 0 ? "; \(summary.database.blobsLeftOut) unreferenced left out" : ""),
            "  audit trail: \(summary.audit.logFiles) log files, \(summary.audit.digestFiles) digests",
            "  \(summary.fileCount) files (\(summary.totalBytes) bytes), each with its size and SHA-256 in manifest.json",
        ]
        let leftOut = summary.secrets.filter { $0.state == .leftOut }
        if leftOut.isEmpty {
            if summary.secrets.contains(where: { $0.state == .included }) {
                lines.append("  secrets included: keep this backup as safe as the data dir itself")
            }
        } else {
            lines.append("  secrets left out (keep them apart, e.g. in a secret manager; coffer restore asks for them):")
            for secret in leftOut { lines.append("    \(secret.path): \(secret.restore ?? "")") }
        }
        return lines.joined(separator: "\n")
    }
}
