import Foundation

/// `manifest.json` of a backup: what it holds, where and when it was taken, what was left out,
/// and the size and SHA-256 of every other file in it. Written last, so a backup without a
/// manifest is an unfinished one; `coffer restore` checks every file against it before it
/// copies anything (docs/backup.md).
public struct BackupManifest: Codable, Sendable, Hashable {
    /// The manifest's file name, at the top of the backup directory.
    public static let fileName = "manifest.json"
    /// ``kind`` of every Coffer backup.
    public static let kindName = "coffer-backup"
    /// The manifest format this build writes and reads.
    public static let currentFormatVersion = 1

    /// `coffer-backup`.
    public var kind: String
    /// The manifest format (``currentFormatVersion``).
    public var formatVersion: Int
    /// The version of the Coffer that took the backup, when the build knows it.
    public var cofferVersion: String?
    /// When the backup was taken (ISO 8601, UTC, whole seconds): the moment of the database
    /// snapshot.
    public var createdAt: String
    /// The data dir it was taken from (absolute).
    public var sourceDataDir: String
    /// `runningServer` (through its admin socket) or `stoppedServer`.
    public var takenFrom: Source
    /// The LevelDB store format of the database (docs/storage-layout.md).
    public var storeFormat: Int
    /// The account id of the root user (not a secret: it is in every ARN), so that a restore
    /// without the root credentials keeps the account.
    public var accountId: String?
    public var database: Database
    public var audit: Audit
    /// Every secret of the source data dir and whether the backup holds it.
    public var secrets: [Secret]
    /// A key check value per SSE-S3 root key version (``BackupSecrets/keyCheck(_:)``), so that
    /// a restore can tell whether root keys supplied apart are the right ones. Nil when the
    /// source has no root key file.
    public var rootKeyChecks: [String: String]?
    /// Every file of the backup but the manifest, sorted by path.
    public var files: [File]

    public enum Source: String, Codable, Sendable, Hashable {
        case runningServer
        case stoppedServer
    }

    /// What the database copy holds (``CofferStorage/LevelDB/StoreCopyCounts``).
    public struct Database: Codable, Sendable, Hashable {
        /// Records by kind: `buckets`, `objects`, `uploads`, `uploadIndex`, `parts`, `meta`,
        /// `kmsKeys`, `kmsAliases`, `auditNotes`.
        public var records: [String: Int]
        public var blobs: Int
        public var chunks: Int
        /// Key and value bytes in the copy.
        public var bytes: Int
        /// Blobs no record referenced (uploads in flight, garbage), not copied.
        public var blobsLeftOut: Int
    }

    /// What the audit trail's copy holds.
    public struct Audit: Codable, Sendable, Hashable {
        public var logFiles: Int
        public var digestFiles: Int
        /// The log files without a digest (normally only the active one), copied up to their
        /// last complete line: the restored server digests them at its first start.
        public var undigestedFiles: [String]
    }

    /// One secret of a data dir and what the backup did with it.
    public struct Secret: Codable, Sendable, Hashable {
        /// Its path inside the data dir (`keys/sse-s3-root-keys.json`, ...).
        public var path: String
        public var state: State
        /// How `coffer restore` gets it back, when the backup left it out.
        public var restore: String?

        public enum State: String, Codable, Sendable, Hashable {
            /// In the backup (taken with `--include-root-keys`).
            case included
            /// In the source data dir but left out of the backup.
            case leftOut
            /// Not in the source data dir.
            case absent
        }
    }

    /// One file of the backup.
    public struct File: Codable, Sendable, Hashable {
        /// Path relative to the backup directory.
        public var path: String
        public var bytes: Int64
        /// Lowercase hex SHA-256 of its bytes.
        public var sha256: String
    }

    /// The secret at `path`, if the manifest lists it.
    public func secret(_ path: String) -> Secret? { secrets.first { $0.path == path } }

    /// The manifest as written: sorted keys, indented, slashes unescaped.
    func encoded() throws(BackupError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self)) + [0x0A]
        } catch {
            throw BackupError(.io, "cannot encode the manifest: \(error)")
        }
    }

    /// Reads the manifest of the backup in `directory`.
    static func read(backup directory: String) throws(BackupError) -> BackupManifest {
        let path = BackupFiles.join(directory, fileName)
        guard BackupFiles.kind(path) == .typeRegular else {
            throw BackupError(.invalidBackup, "\(directory) is not a Coffer backup: it has no \(fileName) (an unfinished backup has none)")
        }
        let bytes = try BackupFiles.readSmallFile(path)
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(bytes))
        } catch {
            throw BackupError(.invalidBackup, "\(path) is not a valid backup manifest (damaged or edited)")
        }
        guard manifest.kind == kindName else { throw BackupError(.invalidBackup, "\(path) is not a Coffer backup manifest") }
        guard manifest.formatVersion == currentFormatVersion else {
            throw BackupError(.invalidBackup, "\(path) has manifest format \(manifest.formatVersion); this coffer restores format \(currentFormatVersion)")
        }
        return manifest
    }
}

/// What a backup answers (the admin socket's JSON, the CLI's summary): the manifest without
/// its file list.
public struct BackupSummary: Codable, Sendable, Hashable {
    /// Where the backup is.
    public var destination: String
    public var createdAt: String
    public var takenFrom: BackupManifest.Source
    public var database: BackupManifest.Database
    public var audit: BackupManifest.Audit
    public var secrets: [BackupManifest.Secret]
    /// Files the manifest lists (every file of the backup but the manifest) and their bytes.
    public var fileCount: Int
    public var totalBytes: Int64
    /// How long the backup took, in seconds.
    public var seconds: Double

    public init(manifest: BackupManifest, destination: String, seconds: Double) {
        self.destination = destination
        createdAt = manifest.createdAt
        takenFrom = manifest.takenFrom
        database = manifest.database
        audit = manifest.audit
        secrets = manifest.secrets
        fileCount = manifest.files.count
        totalBytes = manifest.files.reduce(0) { $0 + $1.bytes }
        self.seconds = seconds
    }
}
