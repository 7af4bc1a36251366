#if canImport(Glibc)
import Glibc
#endif
import CLevelDB

/// LevelDB operations on a database's directory rather than an open database: whether another
/// process has it open, and LevelDB's repair.
extension LevelDB {
    /// Whether another process holds the database at `path` open (LevelDB's `LOCK` file is
    /// locked with `fcntl`). Asks without taking the lock: taking and releasing an `fcntl` lock
    /// would drop every lock this process holds on the file, LevelDB's own included.
    public static func isLockedByAnotherProcess(path: String) -> Bool {
        let fd = open(path + "/LOCK", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var query = flock()
        query.l_type = Int16(F_WRLCK)
        query.l_whence = Int16(SEEK_SET)
        query.l_start = 0
        query.l_len = 0
        guard fcntl(fd, F_GETLK, &query) == 0 else { return false }
        return query.l_type != Int16(F_UNLCK)
    }

    /// Runs LevelDB's repair on the database at `path` (which no process may have open): every
    /// log is turned into a table, every table is scanned (entries that do not read are
    /// dropped) and a new MANIFEST lists what was found. Details go to the `LOG` file in `path`.
    public static func repair(path: String, options: Options = Options()) throws(StorageError) {
        let handles = LevelDBOptionHandles(options)
        var err: UnsafeMutablePointer<CChar>?
        leveldb_repair_db(handles.options, path, &err)
        try check(err, "repair \(path)")
    }
}
