import CofferCrypto
import CofferStorage
import Foundation

/// The writer's mutable state, guarded by the trail's lock.
struct WriterState {
    var lastSequence: Int64
    /// The SHA-256 (hex) of the last record line: the next record's `previousHash`.
    var lastHash: String
    var nextFileNumber: Int
    /// The newest digest file and the SHA-256 of its bytes: the next digest's predecessor.
    var lastDigest: (name: String, sha256: String)?
    var current: OpenLogFile?
    var closed = false
    /// Why the trail refuses records, after a failure it could not clean up.
    var broken: String?

    /// Rebuilds the state from the sink: every log file without a digest (normally only the
    /// newest, after a crash) has a torn last line removed (it was never acknowledged), is
    /// sealed and digested, in file order; the chain continues from the newest file's last
    /// record.
    static func recover(sink: any AuditSinkReader, writer: any AuditSinkWriter, signer: AuditSigner, now: Date) throws -> WriterState {
        let listing = try AuditFileListing(sink: sink)
        var lastDigest: (name: String, sha256: String)?
        for entry in listing.entries {
            if let digestFile = entry.digestFile {
                let bytes = try AuditError.storage { () throws(StorageError) in try sink.read(digestFile) }
                lastDigest = (digestFile, AuditRecordLine.hash(bytes))
            } else if let logFile = entry.logFile {
                let digest = try digestLeftover(logFile, sink: sink, writer: writer, previous: lastDigest, signer: signer, now: now)
                lastDigest = try writeDigest(digest, writer: writer)
            }
        }
        var state = WriterState(lastSequence: 0, lastHash: AuditLayout.genesisHash,
                                nextFileNumber: (listing.entries.last?.number ?? 0) + 1, lastDigest: lastDigest)
        for entry in listing.entries.reversed() {
            guard let logFile = entry.logFile else { continue }
            let bytes = try AuditError.storage { () throws(StorageError) in try sink.read(logFile) }
            let (lines, _) = AuditRecordLine.split(bytes)
            guard let last = lines.last else { continue }
            guard let (link, _) = AuditRecordLine.link(of: last) else {
                throw AuditError(.corruptTrail, "the last record of \(logFile) (line \(lines.count)) is unreadable; the chain cannot be continued (see `coffer audit verify`)")
            }
            state.lastSequence = link.sequence
            state.lastHash = AuditRecordLine.hash(last)
            break
        }
        return state
    }

    /// Writes a digest file (an object of the sink) beside its log file; returns its name and
    /// the SHA-256 of its bytes.
    static func writeDigest(_ digest: AuditDigest, writer: any AuditSinkWriter) throws -> (name: String, sha256: String) {
        let name = AuditLayout.digestFileName(forLogFile: digest.logFile)
        let bytes = digest.fileBytes
        try AuditError.storage { () throws(StorageError) in try writer.writeObject(name, bytes) }
        return (name, AuditRecordLine.hash(bytes))
    }

    private static func digestLeftover(_ logFile: String, sink: any AuditSinkReader, writer: any AuditSinkWriter,
                                       previous: (name: String, sha256: String)?, signer: AuditSigner, now: Date) throws -> AuditDigest {
        var bytes = try AuditError.storage { () throws(StorageError) in try sink.read(logFile) }
        let (lines, partialTail) = AuditRecordLine.split(bytes)
        if partialTail {
            let keep = lines.last.map { $0.endIndex + 1 } ?? 0
            try AuditError.storage { () throws(StorageError) in try writer.truncate(logFile, to: keep, durability: .synced) }
            bytes.removeSubrange(keep...)
        } else {
            // Best effort, as the digest that follows is written synced anyway.
            try? writer.seal(logFile)
        }
        let links = lines.compactMap { AuditRecordLine.link(of: $0)?.0 }
        let created = AuditLayout.creationTime(of: logFile) ?? now
        return try AuditDigest(
            logFile: logFile, logFileSHA256: AuditRecordLine.hash(bytes), logFileBytes: Int64(bytes.count),
            firstSequence: links.first?.sequence, lastSequence: links.last?.sequence, recordCount: Int64(lines.count),
            startTime: AuditTimestamp.iso8601(created), endTime: AuditTimestamp.iso8601(now),
            previousDigestFile: previous?.name, previousDigestSHA256: previous?.sha256, signer: signer)
    }
}
