import CofferStorage
import Foundation

/// Reads the trail's records in order, while a writer may be appending to it.
///
/// A last line without its line feed (a record being written, or torn by a crash) is skipped;
/// so is any complete line that is not a valid record (`coffer audit verify` reports those).
/// Reading never changes the trail.
public struct AuditReader: Sendable {
    /// One log file of the trail.
    public struct LogFile: Sendable, Hashable {
        public var name: String
        public var number: Int
        /// Whether its digest file exists (it is finished); the newest file without one is the
        /// active file.
        public var digested: Bool
    }

    /// Where the trail's files are.
    public let sink: any AuditSinkReader

    public init(sink: any AuditSinkReader) {
        self.sink = sink
    }

    /// A reader of the trail in `directory` (a ``FileAuditSink``).
    public init(directory: String) {
        self.init(sink: FileAuditSink(directory: directory))
    }

    /// The log files, oldest first (by file number).
    public func logFiles() throws -> [LogFile] {
        try AuditFileListing(sink: sink).entries.compactMap { entry in
            entry.logFile.map { LogFile(name: $0, number: entry.number, digested: entry.digestFile != nil) }
        }
    }

    /// Calls `body` with each record that matches `filter`, oldest first or newest first,
    /// until `body` returns `false`.
    public func forEach(newestFirst: Bool = false, matching filter: AuditFilter = AuditFilter(),
                        _ body: (AuditRecord) throws -> Bool) throws {
        let files = try logFiles()
        for file in newestFirst ? files.reversed() : files {
            let records = try records(in: file.name)
            for record in newestFirst ? records.reversed() : records where filter.matches(record.event) {
                if try !body(record) { return }
            }
        }
    }

    /// Every record that matches `filter`, oldest first.
    public func records(matching filter: AuditFilter = AuditFilter()) throws -> [AuditRecord] {
        var result: [AuditRecord] = []
        try forEach(matching: filter) { record in
            result.append(record)
            return true
        }
        return result
    }

    /// The valid records of one log file, in order.
    func records(in name: String) throws -> [AuditRecord] {
        let bytes = try AuditError.storage { () throws(StorageError) in try sink.read(name) }
        let (lines, _) = AuditRecordLine.split(bytes)
        return lines.enumerated().compactMap { index, line in AuditRecordLine.record(line, file: name, lineNumber: index + 1) }
    }
}
