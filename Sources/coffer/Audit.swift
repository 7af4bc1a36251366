import ArgumentParser
import CofferAudit
import Configuration
import Foundation

/// `coffer audit`: read and verify the audit trail of a data dir (`<data-dir>/audit`, signing
/// keys in `<data-dir>/keys`). Safe to run while the server writes. docs/audit-trail.md.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and verify the audit trail (every KMS call and S3 object operation).",
        subcommands: [Read.self, Verify.self])

    /// Where the data dir is: resolved exactly as `coffer serve` resolves it.
    struct Location: ParsableArguments {
        @Option(help: "Data directory (default ./coffer-data; env COFFER_DATA_DIR; config data.dir).")
        var dataDir: String?
        @Option(help: "JSON config file, as for `coffer serve` (env COFFER_CONFIG).")
        var config: String?

        /// Flags over `COFFER_*` environment over the config file, through `Serve`'s own reader.
        func resolvedDataDir() async throws -> String {
            var arguments: [String] = []
            if let dataDir { arguments += ["--data-dir", dataDir] }
            if let config { arguments += ["--config", config] }
            let reader = try await Serve.parse(arguments).configurationReader()
            return reader.string(forKey: "data.dir", default: "./coffer-data")
        }

        func auditDirectory() async throws -> (audit: String, keys: String) {
            let dataDir = try await resolvedDataDir()
            let audit = AuditLayout.auditDirectory(dataDir: dataDir)
            guard FileManager.default.fileExists(atPath: audit) else {
                throw AuditCommandError("no audit trail at \(audit) (is --data-dir right? the server creates it when it starts)")
            }
            return (audit, AuditLayout.keyDirectory(dataDir: dataDir))
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, jsonl }

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print audit records, oldest first, optionally filtered; --follow keeps printing new ones.")

        @OptionGroup var location: Location
        @Option(help: "Only records at or after this ISO 8601 time (2026-11-25T12:00:00Z, or a date).")
        var since: String?
        @Option(help: "Only records at or before this ISO 8601 time.")
        var until: String?
        @Option(help: "Only this event name (GenerateDataKey, Decrypt, PutObject, ...).")
        var eventName: String?
        @Option(help: "Only records about this KMS key: key id, key ARN, alias name or alias ARN.")
        var key: String?
        @Option(help: "Only records about this bucket.")
        var bucket: String?
        @Option(help: "Only records about this object key.")
        var objectKey: String?
        @Option(help: "Only records by this principal: user name or ARN.")
        var principal: String?
        @Option(help: "Only records made with this access key id.")
        var accessKey: String?
        @Option(help: "Only records from this source IP address.")
        var sourceIp: String?
        @Option(help: "Only records of this request id.")
        var requestId: String?
        @Flag(help: "Only records of calls that failed (with an errorCode).")
        var errorsOnly = false
        @Option(help: "Output format: table or jsonl (the records as stored, one per line).")
        var format: Format = .table
        @Flag(help: "Keep printing records as they are appended (across file rotation) until interrupted.")
        var follow = false

        func validate() throws {
            if let since, AuditTimestamp.parse(since) == nil { throw ValidationError("--since '\(since)' is not an ISO 8601 time") }
            if let until, AuditTimestamp.parse(until) == nil { throw ValidationError("--until '\(until)' is not an ISO 8601 time") }
        }

        var filter: AuditFilter {
            AuditFilter(since: since.flatMap(AuditTimestamp.parse), until: until.flatMap(AuditTimestamp.parse), eventName: eventName,
                        key: key, bucket: bucket, objectKey: objectKey, principal: principal, accessKeyId: accessKey,
                        sourceIPAddress: sourceIp, requestID: requestId, errorsOnly: errorsOnly)
        }

        func run() async throws {
            let (directory, _) = try await location.auditDirectory()
            let filter = filter
            if format == .table { Audit.write(AuditTable.header) }
            var follower = AuditFollower(directory: directory)
            while true {
                let lines = try follower.poll().filter { filter.matches($0.event) }.map { format == .table ? AuditTable.row($0.event) : $0.line }
                if !lines.isEmpty { Audit.write(lines.joined(separator: "\n")) }
                guard follow else { return }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the trail's digests, signatures and hash chain; print OK or the first problem (exit 1).")

        @OptionGroup var location: Location

        func run() async throws {
            let (directory, keys) = try await location.auditDirectory()
            let report = try AuditVerifier.verify(directory: directory, keyDirectory: keys)
            Audit.write(report.summary)
            if !report.isValid { throw ExitCode.failure }
        }
    }

    /// Unbuffered, so `--follow` through a pipe shows records at once.
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// A failure to report without the usage text.
struct AuditCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The `--format table` columns.
enum AuditTable {
    private static let widths = [22, 22, 5, 22, 17, 24]

    static let header = line(["TIME", "EVENT", "SRC", "PRINCIPAL", "SOURCE IP", "ERROR", "RESOURCE"])

    static func row(_ event: AuditEvent) -> String {
        let identity = event.userIdentity
        let principal = identity.userName ?? (identity.type == "Root" ? "root" : nil) ?? identity.arn ?? identity.invokedBy ?? identity.type
        let source = event.eventSource.split(separator: ".").first.map(String.init) ?? event.eventSource
        return line([AuditTimestamp.iso8601(event.eventTime), event.eventName, source, principal, event.sourceIPAddress ?? "-",
                     event.errorCode ?? "-", resource(event)])
    }

    /// The key ARN of a KMS call (or the key id it asked for), `s3://bucket/key` of an S3 event.
    private static func resource(_ event: AuditEvent) -> String {
        if let bucket = event.requestParameters?["bucketName"]?.stringValue {
            return "s3://\(bucket)/" + (event.requestParameters?["key"]?.stringValue ?? "")
        }
        return event.resources.first?.arn ?? event.requestParameters?["keyId"]?.stringValue ?? "-"
    }

    private static func line(_ columns: [String]) -> String {
        var text = ""
        for (index, column) in columns.enumerated() {
            guard index < widths.count else { text += column; break }
            text += column.count + 2 > widths[index] ? column + "  " : column.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }
        return text
    }
}
