import CofferCrypto
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file operations of backup and restore: streaming copies that hash what they write,
/// directories with a mode, fsyncs, a walk of a tree. Every copy streams in
/// ``chunkBytes`` pieces, so memory stays small whatever the file size.
enum BackupFiles {
    /// The size of one read.
    static let chunkBytes = 1 << 20

    /// Size and lowercase hex SHA-256 of a file's bytes.
    struct Fingerprint: Sendable, Hashable {
        var bytes: Int64
        var sha256: String
    }

    /// How much of the source a copy takes.
    enum Extent {
        /// Every byte there is when the copy starts.
        case whole
        /// Every complete line there is when the copy starts: the bytes up to and including
        /// the last line feed (a file being appended to, whose last line may be half-written).
        case completeLines
    }

    /// Copies `source` to `destination` (created, never replaced, with `mode`), synced;
    /// returns what was written.
    static func copy(_ source: String, to destination: String, mode: mode_t, extent: Extent = .whole) throws(BackupError) -> Fingerprint {
        let input = try open(source, O_RDONLY)
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw ioError("cannot read", source) }
        let output = try open(destination, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        defer { close(output) }
        guard fchmod(output, mode) == 0 else { throw ioError("cannot set the mode of", destination) }
        var hasher = Crypto.SHA256()
        var written: Int64 = 0
        var remaining = Int64(info.st_size)
        // With `.completeLines`, bytes after the last line feed seen wait here (one partial line).
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        while remaining > 0 {
            let count = try read(input, into: &buffer, upTo: Int(min(remaining, Int64(chunkBytes))), path: source)
            if count == 0 { break }
            remaining -= Int64(count)
            var piece = buffer[0..<count]
            if extent == .completeLines {
                pending += piece
                guard let lastLineFeed = pending.lastIndex(of: 0x0A) else { continue }
                piece = pending[...lastLineFeed]
                try write(output, piece, path: destination)
                hasher.update(data: piece)
                written += Int64(piece.count)
                pending.removeSubrange(...lastLineFeed)
                continue
            }
            try write(output, piece, path: destination)
            hasher.update(data: piece)
            written += Int64(count)
        }
        guard fsync(output) == 0 else { throw ioError("cannot fsync", destination) }
        return Fingerprint(bytes: written, sha256: Hex.encode(hasher.finalize()))
    }

    /// Writes `bytes` to a new file `path` with `mode`, synced.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(BackupError) -> Fingerprint {
        let output = try open(path, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        defer { close(output) }
        guard fchmod(output, mode) == 0 else { throw ioError("cannot set the mode of", path) }
        try write(output, bytes[...], path: path)
        guard fsync(output) == 0 else { throw ioError("cannot fsync", path) }
        return Fingerprint(bytes: Int64(bytes.count), sha256: Hex.encode(Crypto.SHA256.hash(data: bytes)))
    }

    /// Size and SHA-256 of the file at `path`, read in pieces; with `sync`, the file is
    /// fsynced too (files another writer, LevelDB, left in a backup).
    static func fingerprint(_ path: String, sync: Bool = false) throws(BackupError) -> Fingerprint {
        let input = try open(path, O_RDONLY)
        defer { close(input) }
        var hasher = Crypto.SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        while true {
            let count = try read(input, into: &buffer, upTo: chunkBytes, path: path)
            if count == 0 { break }
            hasher.update(data: buffer[0..<count])
            total += Int64(count)
        }
        if sync, fsync(input) != 0 { throw ioError("cannot fsync", path) }
        return Fingerprint(bytes: total, sha256: Hex.encode(hasher.finalize()))
    }

    /// The whole of a small file (a manifest, a key file); refuses files over `limit` bytes.
    static func readSmallFile(_ path: String, limit: Int = 16 << 20) throws(BackupError) -> [UInt8] {
        let input = try open(path, O_RDONLY)
        defer { close(input) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try read(input, into: &buffer, upTo: buffer.count, path: path)
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            if bytes.count > limit { throw BackupError(.io, "\(path) is larger than \(limit) bytes") }
        }
    }

    /// Creates directory `path` with `mode` (exactly, whatever the umask); it must not exist.
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(BackupError) {
        guard mkdir(path, mode) == 0 else { throw ioError("cannot create directory", path) }
        guard chmod(path, mode) == 0 else { throw ioError("cannot set the mode of", path) }
    }

    /// fsyncs a directory, so that the names created in it last.
    static func syncDirectory(_ path: String) throws(BackupError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("cannot open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("cannot fsync directory", path) }
    }

    /// What is at `path`: nil when nothing is.
    static func kind(_ path: String) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    }

    /// Whether `path` is a directory with nothing in it.
    static func isEmptyDirectory(_ path: String) -> Bool {
        kind(path) == .typeDirectory && ((try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty ?? false)
    }

    /// Every entry under `root`, as paths relative to it, sorted; directories are listed as
    /// well as the files in them (`kind` says which). Symbolic links are not followed.
    static func walk(_ root: String) throws(BackupError) -> [(path: String, kind: FileAttributeType)] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { throw BackupError(.io, "cannot list \(root)") }
        var entries: [(path: String, kind: FileAttributeType)] = []
        while let relative = enumerator.nextObject() as? String {
            let type = (enumerator.fileAttributes?[.type] as? FileAttributeType) ?? .typeUnknown
            entries.append((relative, type))
        }
        return entries.sorted { $0.path < $1.path }
    }

    /// Removes `path` and everything under it; errors are ignored (clean-up after a failure).
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `a/b` from `a` and `b`.
    static func join(_ directory: String, _ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// `path` made absolute against the current directory, with `.` and `..` resolved.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    // MARK: POSIX

    private static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(BackupError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ioError(flags & O_CREAT != 0 ? "cannot create" : "cannot open", path) }
        return fd
    }

    private static func read(_ fd: Int32, into buffer: inout [UInt8], upTo count: Int, path: String) throws(BackupError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) }
            if n >= 0 { return n }
            if errno != EINTR { throw ioError("cannot read", path) }
        }
    }

    private static func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(BackupError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot write", path)
            }
            offset += n
        }
    }

    static func ioError(_ what: String, _ path: String) -> BackupError {
        BackupError(.io, "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
