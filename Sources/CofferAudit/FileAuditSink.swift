import CofferStorage
import Foundation
import Synchronization

/// The ``AuditSink`` of one directory (`<data-dir>/audit`, mode 0700): a segment or object
/// is the file of that name (mode 0600). Appends are `write(2)`s to a descriptor kept open
/// from creation to sealing (`O_APPEND`), `.synced` adds an `fsync`; sealing fsyncs the file
/// and the directory; an object is written to a temporary `.<name>.tmp`, fsynced, renamed over
/// the old one, and the directory fsynced. The writer role is an exclusive `flock` on
/// `.coffer-audit.lock` in the directory, held while the writer lives. Names starting with a
/// dot are never listed.
public struct FileAuditSink: AuditSink {
    /// The lock file that makes one writer per directory.
    public static let lockFileName = ".coffer-audit.lock"

    public let directory: String

    /// A sink over `directory`. Nothing is created until ``openWriter()``.
    public init(directory: String) {
        self.directory = directory
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    public func list() throws(StorageError) -> [String] {
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(at: URL(fileURLWithPath: directory, isDirectory: true),
                                                                  includingPropertiesForKeys: [.isRegularFileKey])
        } catch {
            throw StorageError(.io, "cannot list the audit directory \(directory)")
        }
        let names = entries.compactMap { url -> String? in
            let name = url.lastPathComponent
            guard !name.hasPrefix("."), (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { return nil }
            return name
        }
        return AuditSinkName.sorted(names)
    }

    public func read(_ name: String, from offset: Int) throws(StorageError) -> [UInt8] {
        try AuditSinkName.check(name)
        guard offset >= 0 else { throw StorageError(.invalidArgument, "negative offset \(offset)") }
        let path = path(name)
        guard AuditFileIO.exists(path) else { throw StorageError(.notFound, "no audit file \(path)") }
        return try Self.io { offset == 0 ? try AuditFileIO.read(path) : try AuditFileIO.read(path, from: offset) }
    }

    /// Creates the directory (0700) when missing and takes the directory lock.
    public func openWriter() throws(StorageError) -> any AuditSinkWriter {
        try Self.io { try AuditFileIO.makeDirectory(directory, mode: 0o700) }
        let lockPath = path(Self.lockFileName)
        guard let fd = AuditFileIO.openFile(lockPath, O_RDWR | O_CREAT) else {
            throw StorageError(.io, "cannot open \(lockPath): \(AuditFileIO.errorText())")
        }
        guard AuditFileIO.lockExclusively(fd) else {
            AuditFileIO.closeDescriptor(fd)
            throw StorageError(.writerActive, "another audit trail writer holds \(lockPath)")
        }
        return FileAuditSinkWriter(sink: self, lockFile: fd)
    }

    /// Runs AuditFileIO calls, whose errors name the path and the system's reason.
    static func io<T>(_ body: () throws -> T) throws(StorageError) -> T {
        do {
            return try body()
        } catch let error as AuditError {
            throw StorageError(.io, error.message)
        } catch {
            throw StorageError(.io, "\(error)")
        }
    }
}

/// The writer of a ``FileAuditSink``: the directory lock and the descriptors of the segments
/// it created and has not sealed. Releasing it closes them and the lock.
final class FileAuditSinkWriter: AuditSinkWriter {
    let sink: FileAuditSink
    private let lockFile: Int32
    private let descriptors = Mutex<[String: Int32]>([:])

    init(sink: FileAuditSink, lockFile: Int32) {
        self.sink = sink
        self.lockFile = lockFile
    }

    deinit {
        for fd in descriptors.withLock({ Array($0.values) }) { AuditFileIO.closeDescriptor(fd) }
        AuditFileIO.closeDescriptor(lockFile)
    }

    private func descriptor(_ name: String) -> Int32? { descriptors.withLock { $0[name] } }

    func createSegment(_ name: String, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        let path = sink.path(name)
        guard let fd = AuditFileIO.openFile(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND) else {
            let code: StorageError.Code = errno == EEXIST ? .alreadyExists : .io
            throw StorageError(code, "cannot create \(path): \(AuditFileIO.errorText())")
        }
        descriptors.withLock { $0[name] = fd }
        if durability == .synced { AuditFileIO.syncDirectory(of: path) }
    }

    func append(_ bytes: [UInt8], to name: String, durability: Durability) throws(StorageError) {
        guard let fd = descriptor(name) else { throw StorageError(.invalidArgument, "audit segment \(name) is not open for appending") }
        let path = sink.path(name)
        try FileAuditSink.io {
            try AuditFileIO.writeAll(fd, bytes, path: path)
            if durability == .synced { try AuditFileIO.sync(fd, path: path) }
        }
    }

    func truncate(_ name: String, to length: Int, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        let path = sink.path(name)
        let owned = descriptor(name)
        guard let fd = owned ?? AuditFileIO.openFile(path, O_WRONLY) else {
            throw StorageError(errno == ENOENT ? .notFound : .io, "cannot open \(path): \(AuditFileIO.errorText())")
        }
        defer { if owned == nil { AuditFileIO.closeDescriptor(fd) } }
        guard let size = AuditFileIO.size(fd) else { throw StorageError(.io, "cannot stat \(path): \(AuditFileIO.errorText())") }
        guard length >= 0, length <= size else {
            throw StorageError(.invalidArgument, "cannot truncate \(name) (\(size) bytes) to \(length) bytes")
        }
        guard AuditFileIO.truncate(fd, to: length) else { throw StorageError(.io, "cannot truncate \(path): \(AuditFileIO.errorText())") }
        if durability == .synced { try FileAuditSink.io { try AuditFileIO.sync(fd, path: path) } }
    }

    func seal(_ name: String) throws(StorageError) {
        try AuditSinkName.check(name)
        let path = sink.path(name)
        let owned = descriptors.withLock { $0.removeValue(forKey: name) }
        guard let fd = owned ?? AuditFileIO.openFile(path, O_RDONLY) else {
            throw StorageError(errno == ENOENT ? .notFound : .io, "cannot open \(path): \(AuditFileIO.errorText())")
        }
        defer { AuditFileIO.closeDescriptor(fd) }
        try FileAuditSink.io { try AuditFileIO.sync(fd, path: path) }
        AuditFileIO.syncDirectory(of: path)
    }

    func writeObject(_ name: String, _ bytes: [UInt8]) throws(StorageError) {
        try AuditSinkName.check(name)
        guard descriptor(name) == nil else { throw StorageError(.invalidArgument, "audit segment \(name) is open for appending") }
        try FileAuditSink.io {
            try AuditFileIO.writeAtomically(sink.path(name), bytes, mode: 0o600, temporary: sink.path("." + name + ".tmp"))
        }
    }
}
