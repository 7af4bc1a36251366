import CofferCrypto
import Foundation

/// The log file being appended to. Owned by the writer's state (under its lock).
final class OpenLogFile {
    let fd: Int32
    let name: String
    let path: String
    let created: Date
    private(set) var bytes: Int64 = 0
    private(set) var firstSequence: Int64?
    private(set) var lastSequence: Int64?
    private(set) var recordCount: Int64 = 0
    private let sha256 = CofferCrypto.Digest(.sha256)

    init(fd: Int32, name: String, path: String, created: Date) {
        self.fd = fd
        self.name = name
        self.path = path
        self.created = created
    }

    func recordAppended(_ line: [UInt8], sequence: Int64) {
        sha256.update(line)
        bytes += Int64(line.count)
        if firstSequence == nil { firstSequence = sequence }
        lastSequence = sequence
        recordCount += 1
    }

    /// The SHA-256 of everything appended; call once, when the file is finished.
    func finalizeHash() -> String { Hex.encode(sha256.finalize()) }
}

extension AuditTrail {
    /// Creates the next log file; files are created lazily, by the first record they hold.
    func openNewFile(now: Date) throws -> OpenLogFile {
        let name = AuditLayout.logFileName(number: state.nextFileNumber, created: now)
        let path = (directory as NSString).appendingPathComponent(name)
        let fd = try AuditFileIO.createForAppend(path)
        state.nextFileNumber += 1
        if options.fsyncEachRecord { AuditFileIO.syncDirectory(of: path) }
        let file = OpenLogFile(fd: fd, name: name, path: path, created: now)
        state.current = file
        return file
    }

    /// Writes one line. On failure removes whatever part of it reached the file, or, when even
    /// that fails, marks the trail broken so no record is ever appended after a torn line.
    func append(_ bytes: [UInt8], to file: OpenLogFile) throws {
        do {
            try AuditFileIO.writeAll(file.fd, bytes, path: file.path)
        } catch {
            if !AuditFileIO.truncate(file.fd, to: Int(file.bytes)) {
                state.broken = "a partly written record could not be removed from \(file.name)"
            }
            throw error
        }
        if options.fsyncEachRecord {
            do {
                try AuditFileIO.sync(file.fd, path: file.path)
            } catch {
                state.broken = "fsync of \(file.name) failed"
                throw error
            }
        }
    }

    /// fsyncs and closes the active file and writes its signed digest. Any failure marks the
    /// trail broken: the next start digests the file and continues.
    func finishCurrentFile(now: Date) throws {
        guard let file = state.current else { return }
        state.current = nil
        do {
            defer { AuditFileIO.closeDescriptor(file.fd) }
            try AuditFileIO.sync(file.fd, path: file.path)
        } catch {
            state.broken = "fsync of \(file.name) failed at rotation"
            throw error
        }
        do {
            let digest = try AuditDigest(
                logFile: file.name, logFileSHA256: file.finalizeHash(), logFileBytes: file.bytes,
                firstSequence: file.firstSequence, lastSequence: file.lastSequence, recordCount: file.recordCount,
                startTime: AuditTimestamp.iso8601(file.created), endTime: AuditTimestamp.iso8601(now),
                previousDigestFile: state.lastDigest?.name, previousDigestSHA256: state.lastDigest?.sha256, signer: signer)
            state.lastDigest = try WriterState.writeDigest(digest, directory: directory)
        } catch {
            state.broken = "the digest of \(file.name) could not be written"
            throw error
        }
    }
}
