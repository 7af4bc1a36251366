import Foundation

/// Every POSIX call of the module: opens, locks, appends, fsyncs, truncation, atomic
/// replacement, reads.
public enum AuditFileIO {
    /// The whole file; throws `.io` naming the path when it cannot be read.
    static func read(_ path: String) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw AuditError(.io, "cannot read \(path)")
        }
    }

    /// Bytes from `offset` to the end of the file (for following a file being written).
    static func read(_ path: String, from offset: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AuditError(.io, "cannot open \(path)") }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw AuditError(.io, "cannot read \(path)")
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Creates `path` (and missing parents) with `mode` when it does not exist.
    static func makeDirectory(_ path: String, mode: Int) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw AuditError(.io, "cannot create directory \(path)")
        }
    }

    /// Opens `path` with `flags` (`mode` for a file it creates); `nil`, with `errno` set, when
    /// it cannot.
    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o600) -> Int32? {
        let fd = open(path, flags | O_CLOEXEC, mode)
        return fd >= 0 ? fd : nil
    }

    /// Takes an exclusive `flock` on `fd` without waiting; `false` when another holds it.
    static func lockExclusively(_ fd: Int32) -> Bool { flock(fd, LOCK_EX | LOCK_NB) == 0 }

    /// The size of the open file `fd`; `nil`, with `errno` set, when it cannot be read.
    static func size(_ fd: Int32) -> Int? {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw AuditError(.io, "cannot write \(path): \(errorText())")
            }
            offset += written
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw AuditError(.io, "cannot fsync \(path): \(errorText())") }
    }

    static func truncate(_ fd: Int32, to length: Int) -> Bool { ftruncate(fd, off_t(length)) == 0 }

    /// Writes `bytes` to a temporary file beside `path` (`temporary`, by default `path.tmp`),
    /// fsyncs it, renames it over `path` and fsyncs the directory: readers see the old file or
    /// the whole new one.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t, temporary: String? = nil) throws {
        let temporary = temporary ?? path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw AuditError(.io, "cannot create \(temporary): \(errorText())") }
        do {
            try writeAll(fd, bytes, path: temporary)
            try sync(fd, path: temporary)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw AuditError(.io, "cannot rename \(temporary) to \(path): \(errorText())")
        }
        syncDirectory(of: path)
    }

    /// Makes a creation or rename durable. Best effort: some file systems refuse it.
    static func syncDirectory(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func closeDescriptor(_ fd: Int32) { _ = close(fd) }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
