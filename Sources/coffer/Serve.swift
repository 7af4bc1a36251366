import CofferServer
import ArgumentParser
import CofferKMSRemote
import CofferS3
import Configuration
import Foundation
import Logging

/// `coffer serve`: runs the S3 server. Every setting comes from, in order of precedence, a
/// flag, a `COFFER_*` environment variable, the JSON config file, or the built-in default.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the S3 server (HTTP and HTTPS).")

    @Option(help: "Data directory (default ./coffer-data; env COFFER_DATA_DIR; config data.dir).")
    var dataDir: String?
    @Option(help: "HTTP listen address, host:port, or 'off' (default 127.0.0.1:9000; env COFFER_HTTP_ADDRESS).")
    var httpAddress: String?
    @Option(help: "HTTPS listen address, host:port, or 'off' (default 127.0.0.1:9443; env COFFER_HTTPS_ADDRESS).")
    var httpsAddress: String?
    @Option(help: "The region Coffer answers as (default us-east-1; env COFFER_REGION).")
    var region: String?
    @Option(help: "Comma-separated host names for virtual-host-style requests (default localhost; env COFFER_DOMAINS).")
    var domains: String?
    @Option(help: "TLS certificate chain (PEM) for HTTPS; without it a local CA and certificate are generated.")
    var tlsCert: String?
    @Option(help: "TLS private key (PEM) for --tls-cert.")
    var tlsKey: String?
    @Option(help: "Users file: {\"users\": [{\"name\", \"accessKeyId\", \"secretAccessKey\"}]}, re-read on SIGHUP (env COFFER_USERS_FILE).")
    var users: String?
    @Option(help: "JSON config file, e.g. {\"http\": {\"address\": \"127.0.0.1:9000\"}, \"data\": {\"dir\": \"/var/lib/coffer\"}} (env COFFER_CONFIG).")
    var config: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (default info; env COFFER_LOG_LEVEL).")
    var logLevel: String?
    @Flag(help: "New buckets block SSE-C writes, as S3 makes them since April 2026 (env COFFER_BLOCK_SSE_C_ON_NEW_BUCKETS=true).")
    var blockSseCOnNewBuckets = false
    @Flag(help: "Repair a copy of a damaged database, report what came back and what did not, keep the original as db.damaged-TIME, and serve the repaired copy (docs/recovery.md).")
    var recover = false
    @Flag(help: "Accept SSE-C keys over plain HTTP. For test rigs only: S3, and Coffer by default, refuse them (env COFFER_ALLOW_SSE_C_OVER_HTTP=true).")
    var allowSseCOverHttp = false
    @Option(help: "AWS Signature Version 2 (what aws CLI v1 presigns with): allow, as S3 did, or deny with 403 AccessDenied (default allow; env COFFER_SIGV2).")
    var sigv2: String?
    @Option(help: "Use this AWS-KMS-compatible key service for SSE-KMS instead of the built-in one, e.g. https://kms.eu-west-1.amazonaws.com (env COFFER_KMS_ENDPOINT).")
    var kmsEndpoint: String?
    @Option(help: "Region of --kms-endpoint (default: --region; env COFFER_KMS_REGION).")
    var kmsRegion: String?
    @Option(help: "Access key id for --kms-endpoint (env COFFER_KMS_ACCESS_KEY_ID).")
    var kmsAccessKeyId: String?
    @Option(help: "Secret access key for --kms-endpoint; prefer the environment (COFFER_KMS_SECRET_ACCESS_KEY).")
    var kmsSecretAccessKey: String?
    @Option(help: "Per-request timeout in seconds for --kms-endpoint (default 5; env COFFER_KMS_TIMEOUT).")
    var kmsTimeout: Double?

    @Option(help: "Where data lives: leveldb (the embedded default, in the data dir) or rados (a Ceph cluster that several nodes share; docs/scale-out.md; env COFFER_STORAGE).")
    var storage: String?

    @Option(help: "The Ceph cluster's ceph.conf for --storage rados (env COFFER_RADOS_CONF).")
    var radosConf: String?

    @Option(help: "The RADOS pool for --storage rados (default coffer; env COFFER_RADOS_POOL).")
    var radosPool: String?

    @Option(help: "The cephx user for --storage rados, without 'client.' (default admin; env COFFER_RADOS_USER).")
    var radosUser: String?

    @Option(help: "This node's name among the nodes sharing --storage rados, unique per running node (default: the host name; env COFFER_NODE_NAME).")
    var nodeName: String?

    func run() async throws {
        // SIGHUP's default action ends the process; until the reload service has installed its
        // handler, a SIGHUP (an operator reloading users early) is ignored instead.
        signal(SIGHUP, SIG_IGN)
        let reader = try await configurationReader()
        var serverConfig: ServerConfiguration
        do { serverConfig = try ServerConfiguration(reading: reader) } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        serverConfig.blockSSECOnNewBuckets = serverConfig.blockSSECOnNewBuckets || blockSseCOnNewBuckets
        serverConfig.allowSSECOverHTTP = serverConfig.allowSSECOverHTTP || allowSseCOverHttp
        serverConfig.recover = recover
        if recover, serverConfig.storage != .levelDB {
            throw ValidationError("--recover repairs the data dir's LevelDB store; it does not apply to --storage rados")
        }
        let level = Logger.Level(rawValue: reader.string(forKey: "log.level", default: "info")) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "coffer")
        let finalConfig = serverConfig
        var server = CofferServer(configuration: finalConfig, logger: logger)
        let remote = try remoteKeyService(reader, region: finalConfig.region, logger: logger)
        server.remoteKeyService = remote
        defer { if let remote { Task { await remote.shutdown() } } }
        if case .rados(let settings) = finalConfig.storage {
            server.sharedStore = try await Self.openSharedStore(settings, logger: logger)
        }
        try await server.run { startup in
            // Unbuffered, so a supervisor reading a pipe sees the banner at once.
            FileHandle.standardOutput.write(Data((Self.banner(startup, config: finalConfig) + "\n").utf8))
        }
    }

    /// The remote key service of `--kms-endpoint`, or nil for the built-in one.
    func remoteKeyService(_ reader: ConfigReader, region: String, logger: Logger) throws -> AWSKMSKeyService? {
        guard let endpoint = reader.string(forKey: "kms.endpoint").flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        guard let accessKey = reader.string(forKey: "kms.access.key.id", isSecret: true), !accessKey.isEmpty,
              let secretKey = reader.string(forKey: "kms.secret.access.key", isSecret: true), !secretKey.isEmpty
        else {
            throw ValidationError("--kms-endpoint needs credentials: --kms-access-key-id and COFFER_KMS_SECRET_ACCESS_KEY (or --kms-secret-access-key)")
        }
        let timeout = reader.double(forKey: "kms.timeout", default: 5)
        guard timeout > 0, timeout <= 300 else { throw ValidationError("--kms-timeout must be in (0, 300] seconds") }
        do {
            let configuration = try AWSKMSKeyService.Configuration(
                endpoint: endpoint, region: reader.string(forKey: "kms.region", default: region), accessKeyId: accessKey, secretAccessKey: secretKey,
                requestTimeout: .milliseconds(Int64(timeout * 1000)))
            return try AWSKMSKeyService(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError("--kms-endpoint: \(error)")
        }
    }

    /// Flags over `COFFER_*` environment over the config file (`ServerConfiguration.reader`).
    func configurationReader() async throws -> ConfigReader {
        let flags: [String: String?] = [
            "data.dir": dataDir, "http.address": httpAddress, "https.address": httpsAddress, "region": region,
            "domains": domains, "tls.cert": tlsCert, "tls.key": tlsKey, "users.file": users, "log.level": logLevel,
            "kms.endpoint": kmsEndpoint, "kms.region": kmsRegion, "kms.access.key.id": kmsAccessKeyId,
            "kms.secret.access.key": kmsSecretAccessKey, "kms.timeout": kmsTimeout.map { String($0) }, "sigv2": sigv2,
            "storage": storage, "rados.conf": radosConf, "rados.pool": radosPool, "rados.user": radosUser, "node.name": nodeName,
        ]
        return try await ServerConfiguration.reader(
            flags: flags.compactMapValues { $0 }, environment: ProcessInfo.processInfo.environment, configFile: config)
    }

    static func banner(_ startup: CofferServer.Startup, config: ServerConfiguration) -> String {
        var lines: [String] = []
        let host = config.httpAddress?.host ?? config.httpsAddress?.host ?? "127.0.0.1"
        let urlHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        lines.append("Coffer is ready.")
        if let port = startup.httpPort { lines.append("  HTTP:  http://\(urlHost):\(port)") }
        if let port = startup.httpsPort { lines.append("  HTTPS: https://\(urlHost):\(port)") }
        lines.append("  Data:  \(config.dataDir)")
        if case .rados = config.storage { lines.append("  Store: \(config.storageDescription)") }
        if let ca = startup.tls?.caPath { lines.append("  CA:    \(ca)") }
        if startup.generatedCredentials {
            lines.append("")
            lines.append("Root credentials were generated and saved in \(config.dataDir)/\(RootCredentials.fileName) (mode 0600):")
            lines.append("  export AWS_ACCESS_KEY_ID=\(startup.root.accessKeyId)")
            lines.append("  export AWS_SECRET_ACCESS_KEY=\(startup.root.secretAccessKey)")
        } else {
            lines.append("")
            lines.append("Root credentials: access key \(startup.root.accessKeyId); the secret is in \(config.dataDir)/\(RootCredentials.fileName) or your environment.")
        }
        lines.append("  export AWS_DEFAULT_REGION=\(config.region)")
        lines.append("")
        if let port = startup.httpPort {
            lines.append("Try:  aws s3api list-buckets --endpoint-url http://\(urlHost):\(port)")
        }
        if let port = startup.httpsPort, let ca = startup.tls?.caPath {
            lines.append("      aws s3api list-buckets --endpoint-url https://\(urlHost):\(port) --ca-bundle \(ca)")
        }
        return lines.joined(separator: "\n")
    }
}
