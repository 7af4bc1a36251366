import CofferStorage
import Foundation

/// Names and constants of the trail on disk (docs/audit-trail.md).
///
/// **FROZEN for version 1.** Changing a name, the chain field or the digest's signed string
/// makes existing trails unverifiable.
public enum AuditLayout {
    /// The trail's directory inside a data dir: `<data-dir>/audit`.
    public static let directoryName = "audit"
    /// The directory of the signing key pair inside a data dir: `<data-dir>/keys`.
    public static let keyDirectoryName = "keys"
    /// The top-level member of every record line that carries the hash chain.
    public static let chainField = "cofferChain"
    /// `previousHash` of the first record of a trail: 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)

    static let prefix = "coffer-audit-"
    static let logSuffix = ".jsonl"
    static let digestSuffix = ".digest.json"

    /// `<data-dir>/audit`.
    public static func auditDirectory(dataDir: String) -> String { (dataDir as NSString).appendingPathComponent(directoryName) }
    /// `<data-dir>/keys`.
    public static func keyDirectory(dataDir: String) -> String { (dataDir as NSString).appendingPathComponent(keyDirectoryName) }

    /// `coffer-audit-20261125T120000Z-000001.jsonl`: creation time, then the file number,
    /// which counts up from 1 over the trail's life and is what orders files.
    static func logFileName(number: Int, created: Date) -> String {
        let digits = String(number)
        let padded = digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
        return "\(prefix)\(AuditTimestamp.compact(created))-\(padded)\(logSuffix)"
    }

    /// `coffer-audit-20261125T120000Z-000001.digest.json` for the log file of the same stem.
    static func digestFileName(forLogFile name: String) -> String {
        String(name.dropLast(logSuffix.count)) + digestSuffix
    }

    /// The log file a digest file name belongs to.
    static func logFileName(forDigest name: String) -> String {
        String(name.dropLast(digestSuffix.count)) + logSuffix
    }

    /// The file number of a log or digest file name; `nil` for any other name.
    static func fileNumber(of name: String) -> Int? {
        let stem: Substring
        if name.hasSuffix(logSuffix) {
            stem = name.dropLast(logSuffix.count)
        } else if name.hasSuffix(digestSuffix) {
            stem = name.dropLast(digestSuffix.count)
        } else {
            return nil
        }
        guard stem.hasPrefix(prefix) else { return nil }
        let parts = stem.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 16, let number = Int(parts[1]), number > 0, parts[1].allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return number
    }

    /// The creation time encoded in a log file name.
    static func creationTime(of name: String) -> Date? {
        guard name.hasPrefix(prefix) else { return nil }
        let compact = Array(name.dropFirst(prefix.count).prefix(16))
        guard compact.count == 16 else { return nil }
        let c = compact.map(String.init)
        let iso = c[0...3].joined() + "-" + c[4...5].joined() + "-" + c[6...7].joined() + "T" + c[9...10].joined() + ":"
            + c[11...12].joined() + ":" + c[13...14].joined() + "Z"
        return AuditTimestamp.parse(iso)
    }
}

/// The log files and digest files of a trail, ordered by file number; other names in the
/// sink are ignored.
struct AuditFileListing {
    struct Entry {
        var number: Int
        var logFile: String?
        var digestFile: String?
    }

    var entries: [Entry]

    init(sink: any AuditSinkReader) throws {
        let names = try AuditError.storage { () throws(StorageError) in try sink.list() }
        var byNumber: [Int: Entry] = [:]
        for name in names {
            guard let number = AuditLayout.fileNumber(of: name) else { continue }
            var entry = byNumber[number] ?? Entry(number: number)
            if name.hasSuffix(AuditLayout.logSuffix) { entry.logFile = name } else { entry.digestFile = name }
            byNumber[number] = entry
        }
        entries = byNumber.values.sorted { $0.number < $1.number }
    }
}
