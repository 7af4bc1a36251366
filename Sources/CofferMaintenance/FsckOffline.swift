import CofferStorage
import Foundation

/// Why `coffer fsck` could not check a data directory at all (its exit status 2).
public struct FsckError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A server holds the database: check it through the server instead.
        case serverRunning
        /// There is no data directory, or no database in it.
        case noDataDirectory
        /// The read-only view of the database could not be made.
        case cannotPrepare
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension Fsck {
    /// Checks the data directory of a stopped server: its database, root keys, KMS keys and
    /// audit trail (``run(_:options:dataDirectory:mode:)``).
    ///
    /// The database is opened through a view of hard links in a private directory inside the
    /// data directory (``DatabaseView``), so that what LevelDB's open does (replay its log into
    /// a new table, write a new MANIFEST, delete files it believes obsolete) touches none of
    /// the data directory's own files: fsck changes nothing, even in a store so damaged that
    /// LevelDB misreads it. The view shares the database's lock file, so a running server
    /// makes this throw ``FsckError/Code/serverRunning``, and no server can start on the
    /// directory while the check runs. The view is removed afterwards.
    ///
    /// `operatorRootKey`: the base64 root key a server given `COFFER_SSE_S3_ROOT_KEY` runs with
    /// (nil: the data directory's root key file). A store that cannot be opened is a finding,
    /// after which the keys and the trail are still checked.
    public static func run(dataDirectory path: String, operatorRootKey: String?, options: FsckOptions = .init()) async throws(FsckError) -> FsckReport {
        let directory = DataDirectory(path: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FsckError(.noDataDirectory, "no data directory at \(path) (is --data-dir right?)")
        }
        let hasIdentity = FileManager.default.fileExists(atPath: StoreIdentity.path(dataDir: path))
        guard hasIdentity || FileManager.default.fileExists(atPath: directory.database) else {
            throw FsckError(.noDataDirectory, "no database in \(directory.database) (is --data-dir right? the server creates it when it starts)")
        }
        let rootKeys = FsckSources.RootKeys.load(directory, operatorRootKey: operatorRootKey)
        let audit = FsckSources.Audit.files(of: directory)
        // The checks `coffer serve` runs before it opens the store (docs/recovery.md): a store
        // it would refuse is not opened here either (LevelDB would open it as a smaller one).
        let clearance: StoreGuard.Clearance
        do { clearance = try StoreGuard.check(dataDir: path, moveUnlisted: false) } catch {
            let refused = FsckSources(store: .unavailable("`coffer serve` refuses it before opening: \(error) (docs/recovery.md)"),
                                      rootKeys: rootKeys, audit: audit)
            return await run(refused, options: options, dataDirectory: path, mode: .offline)
        }
        guard clearance.manifest != nil || LevelDB.isLockedByAnotherProcess(path: directory.database) else {
            // A database dir without a CURRENT and without LevelDB files: nothing was ever stored.
            throw FsckError(.noDataDirectory, "no database in \(directory.database) (is --data-dir right? the server creates it when it starts)")
        }
        let view = try DatabaseView(of: directory.database, inside: path)
        defer { view.remove() }
        var report = try await check(view, rootKeys: rootKeys, audit: audit, dataDirectory: path, options: options)
        if !clearance.unlistedTables.isEmpty {
            report.notices.append(FsckNotice(.unlistedTables, """
                \(clearance.unlistedTables.count) table file(s) in db/ the MANIFEST does not list (\(clearance.unlistedTables.prefix(5).joined(separator: ", "))): \
                left by a compaction a crash interrupted; the next start moves them to db-unreferenced/ instead of deleting them
                """))
        }
        return report
    }

    /// Opens the view and checks; every reference to the database ends with this call, so the
    /// database is closed before the view is removed.
    private static func check(_ view: DatabaseView, rootKeys: FsckSources.RootKeys, audit: FsckSources.Audit, dataDirectory: String,
                              options: FsckOptions) async throws(FsckError) -> FsckReport {
        let store: FsckSources.Store
        do {
            let snapshot = try LevelDB(path: view.path, options: databaseOptions).snapshot()
            store = .readers(metadata: snapshot.metadataReader, blobs: snapshot.blobInventory)
        } catch where error.code == .io && error.message.contains("lock") {
            throw FsckError(.serverRunning, """
                a server is running on \(dataDirectory) (its database is locked): stop it, or check it while it runs \
                with `coffer fsck --online`
                """)
        } catch {
            store = .unavailable(view.naming(error.message))
        }
        return await run(FsckSources(store: store, rootKeys: rootKeys, audit: audit), options: options, dataDirectory: dataDirectory, mode: .offline)
    }

    /// LevelDB as the server opens it (every checksum verified), but never created.
    private static var databaseOptions: LevelDB.Options {
        var options = LevelDB.Options()
        options.createIfMissing = false
        options.paranoidChecks = true
        return options
    }
}
