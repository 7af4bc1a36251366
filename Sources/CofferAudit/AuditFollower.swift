import CofferStorage
import Foundation

/// Follows the trail as it grows, across rotation: each ``poll()`` returns the records
/// appended since the previous one (the first returns every record already there).
public struct AuditFollower: Sendable {
    /// Where the trail's files are.
    public let sink: any AuditSinkReader
    private var fileNumber: Int?
    private var offset = 0
    private var lineNumber = 0

    public init(sink: any AuditSinkReader) {
        self.sink = sink
    }

    /// A follower of the trail in `directory` (a ``FileAuditSink``).
    public init(directory: String) {
        self.init(sink: FileAuditSink(directory: directory))
    }

    /// The complete records written since the last poll, oldest first. A line still being
    /// written is left for a later poll; once a newer file exists, the current one is final.
    public mutating func poll() throws -> [AuditRecord] {
        var result: [AuditRecord] = []
        let files = try AuditReader(sink: sink).logFiles()
        while true {
            guard let file = files.first(where: { $0.number == fileNumber }) ?? moveToNext(after: fileNumber, in: files) else { break }
            let start = offset
            let bytes = try AuditError.storage { () throws(StorageError) in try sink.read(file.name, from: start) }
            let (lines, _) = AuditRecordLine.split(bytes)
            for line in lines {
                lineNumber += 1
                if let record = AuditRecordLine.record(line, file: file.name, lineNumber: lineNumber) { result.append(record) }
                offset += line.count + 1
            }
            guard moveToNext(after: file.number, in: files) != nil else { break }
        }
        return result
    }

    /// Moves to the first file numbered after `number` (the first file for `nil`).
    private mutating func moveToNext(after number: Int?, in files: [AuditReader.LogFile]) -> AuditReader.LogFile? {
        guard let next = files.first(where: { $0.number > (number ?? 0) }) else { return nil }
        fileNumber = next.number
        offset = 0
        lineNumber = 0
        return next
    }
}
