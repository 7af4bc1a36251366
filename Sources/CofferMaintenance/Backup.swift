import CofferAudit
import CofferStorage
import Foundation

/// What a backup is asked for: the body of the admin socket's `POST /v1/backup`, and the
/// options of `coffer backup`.
public struct BackupRequest: Codable, Sendable, Hashable {
    /// The backup directory to create: an absolute path that does not exist yet or is an
    /// empty directory, outside the data dir.
    public var to: String
    /// Copy the secrets too (SSE-S3 root keys, audit signing key, root credentials, TLS
    /// material). Off by default: keep them apart from the data they open (docs/backup.md).
    public var includeRootKeys: Bool

    public init(to: String, includeRootKeys: Bool = false) {
        self.to = to
        self.includeRootKeys = includeRootKeys
    }

    /// `includeRootKeys` may be left out (false).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode(String.self, forKey: .to)
        includeRootKeys = try container.decodeIfPresent(Bool.self, forKey: .includeRootKeys) ?? false
    }
}

/// `coffer backup`: a consistent copy of a data dir, taken while a server runs or not
/// (docs/backup.md).
///
/// The database is copied from **one LevelDB snapshot**, key by key, into a new LevelDB
/// database (`LevelDB.copyStore`): the copy holds what was committed at that moment, and only
/// that. Right after the snapshot, the audit trail is copied (``BackupAuditCopy``); then the
/// audit public key, the secrets when asked (``BackupSecrets``), and `manifest.json` with the
/// size and SHA-256 of every file. Everything is written into a temporary sibling of the
/// destination, synced, and renamed into place at the end (``BackupDestination``).
///
/// Blocks for as long as the copy takes; ``makeInBackground(_:)`` runs it on a thread of its own.
public enum Backup {
    /// Backs up `dataDir`, whose database `database` is open in this process (the running
    /// server's). `takenFrom` goes into the manifest; `now` is the clock of `createdAt`.
    public static func make(dataDir: String, database: LevelDB, request: BackupRequest, takenFrom: BackupManifest.Source,
                            cofferVersion: String? = nil, now: @Sendable () -> Date = Date.init) throws(BackupError) -> BackupManifest {
        let dataDir = BackupFiles.absolute(dataDir)
        let destination = try BackupDestination.prepare(request.to, what: "the backup destination", outside: dataDir, protectedName: "the data dir")
        do {
            let manifest = try write(dataDir: dataDir, database: database, into: destination.temporary, request: request,
                                     takenFrom: takenFrom, cofferVersion: cofferVersion, now: now)
            try destination.commit()
            return manifest
        } catch {
            destination.discard()
            throw error
        }
    }

    /// Backs up a data dir no server is running on: opens its database (which keeps a server
    /// from starting on it meanwhile). Throws `.databaseInUse` when the database is open in
    /// another process: a running server, which its admin socket can ask instead.
    public static func makeOffline(dataDir: String, request: BackupRequest, cofferVersion: String? = nil,
                                   now: @Sendable () -> Date = Date.init) throws(BackupError) -> BackupManifest {
        let database = try openSource(dataDir: dataDir)
        return try make(dataDir: dataDir, database: database, request: request, takenFrom: .stoppedServer, cofferVersion: cofferVersion, now: now)
    }

    /// Runs `work` (a backup or a restore) on a thread of its own, not on Swift's cooperative
    /// pool, which a copy of many minutes would hold up.
    public static func makeInBackground<T: Sendable>(_ work: @escaping @Sendable () throws(BackupError) -> T) async throws(BackupError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, BackupError>, Never>) in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(BackupError) -> T in try work() })
            }
            thread.name = "coffer-backup"
            thread.start()
        }
        return try result.get()
    }

    /// Opens the database of a stopped server's data dir (never creating one).
    static func openSource(dataDir: String) throws(BackupError) -> LevelDB {
        let path = DataDirectory(path: dataDir).database
        guard BackupFiles.kind(path) == .typeDirectory else {
            throw BackupError(.notADataDirectory, "\(dataDir) is not a Coffer data dir: it has no database \(path)")
        }
        if LevelDB.isLockedByAnotherProcess(path: path) {
            throw BackupError(.databaseInUse, "the database \(path) is open in another process (a running coffer serve)")
        }
        // The checks `coffer serve` runs before it opens a store: LevelDB's open must not take
        // a damaged database as a smaller one, nor delete tables its MANIFEST does not list.
        do { _ = try StoreGuard.check(dataDir: dataDir) } catch {
            throw BackupError(.io, "the database of \(dataDir) is damaged and was not opened (\(error)); see docs/recovery.md")
        }
        var options = LevelDB.Options()
        options.createIfMissing = false
        do {
            return try LevelDB(path: path, options: options)
        } catch where error.code == .io && error.message.contains("/LOCK") {
            throw BackupError(.databaseInUse, "the database \(path) is open in another process (a running coffer serve)")
        } catch {
            throw BackupError(.io, "the database \(path) could not be opened: \(error.message)")
        }
    }

    /// Writes the whole backup into `directory` (the temporary sibling) and returns its manifest.
    private static func write(dataDir: String, database: LevelDB, into directory: String, request: BackupRequest,
                              takenFrom: BackupManifest.Source, cofferVersion: String?, now: () -> Date) throws(BackupError) -> BackupManifest {
        let source = DataDirectory(path: dataDir)
        let snapshot = database.snapshot()
        let createdAt = now()
        let audit = try BackupAuditCopy.copy(from: source.audit, to: BackupFiles.join(directory, "audit"))
        let counts = try copyDatabase(snapshot, to: BackupFiles.join(directory, "db"))
        try BackupSecrets.copyPublicKey(from: dataDir, to: directory)
        let secrets = try BackupSecrets.copy(from: dataDir, to: directory, include: request.includeRootKeys)
        var files: [BackupManifest.File] = []
        for entry in try BackupFiles.walk(directory) where entry.kind == .typeRegular {
            let fingerprint = try BackupFiles.fingerprint(BackupFiles.join(directory, entry.path), sync: true)
            files.append(.init(path: entry.path, bytes: fingerprint.bytes, sha256: fingerprint.sha256))
        }
        let manifest = BackupManifest(
            kind: BackupManifest.kindName, formatVersion: BackupManifest.currentFormatVersion, cofferVersion: cofferVersion,
            createdAt: AuditTimestamp.iso8601(createdAt), sourceDataDir: dataDir, takenFrom: takenFrom,
            storeFormat: counts.storeFormat, accountId: BackupSecrets.accountId(dataDir: dataDir),
            database: .init(records: counts.records, blobs: counts.blobs, chunks: counts.chunks, bytes: counts.bytes, blobsLeftOut: counts.blobsLeftOut),
            audit: audit, secrets: secrets, rootKeyChecks: try BackupSecrets.rootKeyChecks(dataDir: dataDir), files: files)
        _ = try BackupFiles.write(try manifest.encoded(), to: BackupFiles.join(directory, BackupManifest.fileName), mode: 0o600)
        return manifest
    }

    /// Copies the store `snapshot` sees into a new database at `path` (a directory 0700),
    /// synced and closed.
    private static func copyDatabase(_ snapshot: LevelDB.Snapshot, to path: String) throws(BackupError) -> LevelDB.StoreCopyCounts {
        try BackupFiles.makeDirectory(path)
        do {
            let copy = try LevelDB(path: path, options: LevelDB.Options())
            return try LevelDB.copyStore(from: snapshot, into: copy)
            // `copy` is closed here, as its last reference goes: its files are final.
        } catch where error.code == .unsupportedFormat {
            throw BackupError(.notADataDirectory, error.message)
        } catch {
            throw BackupError(.io, "copying the database failed: \(error.message)")
        }
    }
}
