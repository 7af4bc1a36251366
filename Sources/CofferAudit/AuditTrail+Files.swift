import CofferCrypto
import CofferStorage
import Foundation

/// The log file being appended to (a segment of the sink). Owned by the writer's state (under
/// its lock).
final class OpenLogFile {
    let name: String
    let created: Date
    private(set) var bytes: Int64 = 0
    private(set) var firstSequence: Int64?
    private(set) var lastSequence: Int64?
    private(set) var recordCount: Int64 = 0
    private let sha256 = CofferCrypto.Digest(.sha256)

    init(name: String, created: Date) {
        self.name = name
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
    /// How durable each record is when `record` returns.
    var recordDurability: Durability { options.fsyncEachRecord ? .synced : .buffered }

    /// Creates the next log file; files are created lazily, by the first record they hold.
    func openNewFile(now: Date) throws -> OpenLogFile {
        let name = AuditLayout.logFileName(number: state.nextFileNumber, created: now)
        try AuditError.storage { () throws(StorageError) in try writer.createSegment(name, durability: recordDurability) }
        state.nextFileNumber += 1
        let file = OpenLogFile(name: name, created: now)
        state.current = file
        return file
    }

    /// Appends one line. On failure removes whatever part of it reached the file, or, when even
    /// that fails, marks the trail broken so no record is ever appended after a torn line. A
    /// failed synced append also marks it broken: the sink could not confirm what it holds.
    func append(_ bytes: [UInt8], to file: OpenLogFile) throws {
        do {
            try writer.append(bytes, to: file.name, durability: recordDurability)
        } catch {
            do {
                try writer.truncate(file.name, to: Int(file.bytes), durability: .buffered)
                if recordDurability == .synced { state.broken = "a synced append to \(file.name) failed" }
            } catch {
                state.broken = "a partly written record could not be removed from \(file.name)"
            }
            throw AuditError(storage: error)
        }
    }

    /// Seals (fsyncs and closes) the active file and writes its signed digest. Any failure
    /// marks the trail broken: the next start digests the file and continues.
    func finishCurrentFile(now: Date) throws {
        guard let file = state.current else { return }
        state.current = nil
        do {
            try writer.seal(file.name)
        } catch {
            state.broken = "fsync of \(file.name) failed at rotation"
            throw AuditError(storage: error)
        }
        do {
            let digest = try AuditDigest(
                logFile: file.name, logFileSHA256: file.finalizeHash(), logFileBytes: file.bytes,
                firstSequence: file.firstSequence, lastSequence: file.lastSequence, recordCount: file.recordCount,
                startTime: AuditTimestamp.iso8601(file.created), endTime: AuditTimestamp.iso8601(now),
                previousDigestFile: state.lastDigest?.name, previousDigestSHA256: state.lastDigest?.sha256, signer: signer)
            state.lastDigest = try WriterState.writeDigest(digest, writer: writer)
        } catch {
            state.broken = "the digest of \(file.name) could not be written"
            throw error
        }
    }
}
