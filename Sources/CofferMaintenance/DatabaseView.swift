import CofferStorage
import Foundation

/// A LevelDB database seen through hard links in a private directory, so that opening it
/// changes none of the database's own files.
///
/// Opening a LevelDB database writes: it replays its log into a new table file, writes a new
/// MANIFEST and CURRENT, and deletes every file its MANIFEST does not name. In the view those
/// are new files and removed links: the originals stay as they were (LevelDB never writes into
/// an existing table, log or MANIFEST file when it opens one). The lock file is linked too,
/// so the view's lock is the database's: a process holding the database makes the open fail,
/// and while the view is open no server can start on the database. LevelDB's info logs are not
/// linked (it renames them).
///
/// The view lives inside the data directory (`.fsck-<pid>-<random>`), on its file system, as
/// hard links require; ``remove()`` deletes it, links and new files alike, and the next fsck
/// removes a view whose process was killed before it could.
struct DatabaseView {
    /// The view's directory: open it as the database.
    let path: String
    /// The database's own directory.
    let database: String

    /// Links every regular file of `database` into a new directory inside `dataDirectory`,
    /// after removing the views of fsck processes that ended without removing theirs.
    init(of database: String, inside dataDirectory: String) throws(FsckError) {
        self.database = database
        Self.removeAbandoned(in: dataDirectory)
        let name = "\(Self.prefix)\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        path = (dataDirectory as NSString).appendingPathComponent(name)
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw FsckError(.cannotPrepare, "cannot create \(path) for a read-only view of the database: \(error.localizedDescription)")
        }
        do {
            for entry in try files.contentsOfDirectory(atPath: database) where !Self.skipped.contains(entry) {
                let source = (database as NSString).appendingPathComponent(entry)
                guard (try files.attributesOfItem(atPath: source)[.type] as? FileAttributeType) == .typeRegular else { continue }
                try files.linkItem(atPath: source, toPath: (path as NSString).appendingPathComponent(entry))
            }
        } catch {
            remove()
            throw FsckError(.cannotPrepare, """
                cannot link the files of \(database) into \(path) (a read-only view needs hard links on the data \
                directory's file system): \(error.localizedDescription)
                """)
        }
    }

    /// LevelDB's info logs, which it renames when it opens.
    private static let skipped: Set<String> = ["LOG", "LOG.old"]

    /// `message` (LevelDB's, naming files of the view) naming the database's own files.
    func naming(_ message: String) -> String {
        message.replacingOccurrences(of: path, with: database)
    }

    /// Deletes the view (never the database's own files: only links to them).
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The start of every view's name; the pid of the process that made it follows.
    static let prefix = ".fsck-"

    /// Removes the views left by fsck processes that no longer run (killed before removing
    /// theirs): a link keeps a table file's space even after the server deleted the table.
    static func removeAbandoned(in dataDirectory: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: (dataDirectory as NSString).appendingPathComponent(entry))
        }
    }
}

/// A data dir's database opened without changing any of its files, for tools that read a
/// stopped server's store (`coffer migrate`).
public enum ReadOnlyDatabase {
    /// Runs `body` with the database of `dataDirectory` opened through a ``DatabaseView`` (every
    /// checksum verified, never created), then closes it and removes the view. `.serverRunning`
    /// when a server holds the database. `body` must not keep the database (or a snapshot of
    /// it) beyond its return.
    public static func with<R>(dataDirectory: String, _ body: (LevelDB) async throws -> R) async throws -> R {
        let directory = DataDirectory(path: dataDirectory)
        guard FileManager.default.fileExists(atPath: directory.database) else {
            throw FsckError(.noDataDirectory, "no database in \(dataDirectory) (is the path right?)")
        }
        let view = try DatabaseView(of: directory.database, inside: dataDirectory)
        defer { view.remove() }
        return try await open(view, dataDirectory: dataDirectory, body)
    }

    /// Opens the view and runs `body`; the database is released when this returns.
    private static func open<R>(_ view: DatabaseView, dataDirectory: String, _ body: (LevelDB) async throws -> R) async throws -> R {
        var options = LevelDB.Options()
        options.createIfMissing = false
        options.paranoidChecks = true
        let database = try openDatabase(view.path, options: options, dataDirectory: dataDirectory)
        return try await body(database)
    }

    private static func openDatabase(_ path: String, options: LevelDB.Options, dataDirectory: String) throws -> LevelDB {
        let opened: Result<LevelDB, StorageError> = Result { () throws(StorageError) in try LevelDB(path: path, options: options) }
        switch opened {
        case .success(let database): return database
        case .failure(let error) where error.code == .io && error.message.contains("lock"):
            throw FsckError(.serverRunning, "a server is running on \(dataDirectory) (its database is locked): stop it first")
        case .failure(let error): throw error
        }
    }
}
