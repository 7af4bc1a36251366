/// Why `coffer backup` or `coffer restore` stopped. The message says what is wrong and, where
/// there is one, what to do; it names files and counts, never secret bytes.
public struct BackupError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that map it (the admin socket answers a status per code).
    public enum Code: String, Sendable, Hashable, Codable {
        /// The destination of a backup, or the target of a restore, is not usable: it exists
        /// and is not an empty directory, its parent is missing, it is inside the data dir.
        case invalidDestination
        /// The data dir's database is open in another process (a running server): ask that
        /// server through its admin socket instead.
        case databaseInUse
        /// The source is not a Coffer data dir (no database), or its store is not one this
        /// build reads.
        case notADataDirectory
        /// The backup is not one this build restores (no manifest, an unknown format).
        case invalidBackup
        /// A file of the backup differs from its manifest (changed, truncated, missing, added).
        case damagedBackup
        /// A secret the backup left out was not supplied, or a supplied one is not the right one.
        case secrets
        /// Another backup is running in this server.
        case busy
        /// Reading or writing files, or the database, failed.
        case io
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
