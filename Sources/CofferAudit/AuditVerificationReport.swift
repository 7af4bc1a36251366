/// What ``AuditVerifier`` found: counts, the active file, and the first problem, if any.
public struct AuditVerificationReport: Sendable, Hashable {
    /// The first problem found, walking files and records in order.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: String, Sendable, Hashable {
            /// A finished log file's SHA-256 differs from the one its digest holds.
            case logFileAltered
            /// A record's bytes no longer hash to the next record's `previousHash`.
            case recordAltered
            /// A record repeats or precedes a sequence number already seen.
            case recordInserted
            /// Records appear out of sequence order.
            case recordsReordered
            /// Sequence numbers are missing.
            case recordsRemoved
            /// A line is not a valid record, or a finished file ends in an incomplete line.
            case malformedRecord
            /// A log file is gone: its digest remains, or its file number is skipped.
            case logFileMissing
            /// A finished log file has no digest file.
            case digestMissing
            /// A digest file cannot be read as a digest, or disagrees with its log file's
            /// name, size or record range.
            case digestMalformed
            /// A digest does not name the digest before it (by name and SHA-256).
            case digestChainBroken
            /// A digest's Ed25519 signature does not verify under the public key.
            case signatureInvalid
            /// A file could not be read.
            case unreadable
        }

        public var kind: Kind
        /// The log or digest file's name.
        public var file: String?
        /// 1-based line number in `file`.
        public var line: Int?
        public var sequence: Int64?
        public var message: String

        public var description: String { message }
    }

    public var problem: Problem?
    public var logFiles = 0
    /// Log files sealed by a digest whose signature, chain and hash verified.
    public var digestsVerified = 0
    /// Records whose chain link verified (finished and active files).
    public var recordsVerified: Int64 = 0
    /// The newest file when it has no digest yet: verified by its hash chain only.
    public var activeFile: String?
    public var activeFileRecords: Int64 = 0
    /// Remarks that are not problems (an incomplete last line in the active file).
    public var notes: [String] = []

    /// `true` when no problem was found.
    public var isValid: Bool { problem == nil }

    /// One paragraph for a terminal: `OK: ...` or `FAILED: <the first problem>`.
    public var summary: String {
        if let problem { return "FAILED: \(problem.message)" }
        var text = "OK: \(logFiles) log file\(logFiles == 1 ? "" : "s"), \(digestsVerified) sealed by a verified digest, \(recordsVerified) record\(recordsVerified == 1 ? "" : "s") with an intact hash chain."
        if let activeFile {
            text += " The active file \(activeFile) (\(activeFileRecords) record\(activeFileRecords == 1 ? "" : "s")) is verified by its hash chain only: it is not yet covered by a digest."
        }
        for note in notes { text += " " + note }
        return text
    }
}
