import ArgumentParser
import CofferAudit
import CofferS3
import CofferServer
import CofferStorage
import Configuration
import Foundation

/// `coffer audit`: read and verify the audit trail of a data dir (`<data-dir>/audit`, signing
/// keys in `<data-dir>/keys`), or with `--storage rados` every node's trail in the cluster
/// (read merged in time order, each verified on its own). Safe to run while servers write.
/// docs/audit-trail.md, docs/scale-out.md.
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
        @Option(help: "leveldb (the data dir's trail) or rados (every node's trail in the cluster, merged; env COFFER_STORAGE).")
        var storage: String?
        @Option(help: "The cluster's ceph.conf for --storage rados (env COFFER_RADOS_CONF).")
        var radosConf: String?
        @Option(help: "The RADOS pool for --storage rados (default coffer; env COFFER_RADOS_POOL).")
        var radosPool: String?
        @Option(help: "The cephx user for --storage rados (default admin; env COFFER_RADOS_USER).")
        var radosUser: String?

        /// Flags over `COFFER_*` environment over the config file, through `Serve`'s own reader.
        func configuration() async throws -> ServerConfiguration {
            var arguments: [String] = []
            for (flag, value) in [("--data-dir", dataDir), ("--config", config), ("--storage", storage), ("--rados-conf", radosConf),
                                  ("--rados-pool", radosPool), ("--rados-user", radosUser)] {
                if let value { arguments += [flag, value] }
            }
            do {
                return try ServerConfiguration(reading: try await Serve.parse(arguments).configurationReader())
            } catch let error as ConfigurationError {
                throw ValidationError(error.description)
            }
        }

        func resolvedDataDir() async throws -> String {
            try await configuration().dataDir
        }

        /// Every node's trail and the public key it published, when the trail is in a cluster
        /// (`--storage rados`); nil for the data dir's trail.
        func sharedTrails() async throws -> SharedTrails? {
            guard case .rados(let settings) = try await configuration().storage else { return nil }
            return try await Audit.openSharedTrails(settings)
        }

        func auditDirectory() async throws -> (audit: String, keys: String) {
            let dataDir = try await resolvedDataDir()
            let audit = AuditLayout.auditDirectory(dataDir: dataDir)
            guard FileManager.default.fileExists(atPath: audit) else {
                throw AuditCommandError("no audit trail at \(audit) (is --data-dir right? the server creates it when it starts; a node of --storage rados keeps its trail in the cluster: add --storage rados --rados-conf FILE)")
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
            let filter = filter
            var poll: () throws -> [AuditRecord]
            if let shared = try await location.sharedTrails() {
                var merged = MergedAuditFollower(sinks: shared.sinks)
                poll = { try merged.poll().map(\.record) }
            } else {
                let (directory, _) = try await location.auditDirectory()
                var follower = AuditFollower(directory: directory)
                poll = { try follower.poll() }
            }
            if format == .table { Audit.write(AuditTable.header) }
            while true {
                let lines = try poll().filter { filter.matches($0.event) }.map { format == .table ? AuditTable.row($0.event) : $0.line }
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
            if let shared = try await location.sharedTrails() {
                // Each node's chain on its own, against the public key the node published.
                guard !shared.sinks.isEmpty else { throw AuditCommandError("no node has written an audit trail to the cluster yet") }
                var valid = true
                for node in shared.sinks.keys.sorted() {
                    guard let sink = shared.sinks[node], let key = shared.publicKeys[node] else {
                        Audit.write("node \(node): FAILED: the node published no audit public key")
                        valid = false
                        continue
                    }
                    let report = AuditVerifier.verify(sink: sink, publicKey: key)
                    Audit.write("node \(node): " + report.summary)
                    valid = valid && report.isValid
                }
                if !valid { throw ExitCode.failure }
                return
            }
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
