import CofferS3
import Configuration
import Foundation
import SystemPackage

extension ServerConfiguration {
    /// The layered sources of `coffer serve`'s settings, highest precedence first: flags given
    /// on the command line (dotted keys such as `http.address`), `COFFER_*` environment
    /// variables (`COFFER_HTTP_ADDRESS`), then the JSON config file (`COFFER_CONFIG` or the
    /// `--config` flag). The secrets among them are marked so that the reader never prints them.
    public static func reader(flags: [String: String], environment: [String: String], configFile: String?) async throws -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(.string(value), isSecret: false)
        }
        var coffer: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("COFFER_") {
            coffer[String(name.dropFirst("COFFER_".count))] = value
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(environmentVariables: coffer, secretsSpecifier: .specific(secretEnvironmentNames)),
        ]
        if let file = configFile ?? coffer["CONFIG"] {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
        }
        return ConfigReader(providers: providers)
    }

    /// `COFFER_*` variables (without the prefix) that hold secrets.
    static let secretEnvironmentNames: Set<String> = ["ROOT_SECRET_KEY", "ROOT_ACCESS_KEY", "SSE_S3_ROOT_KEY", "KMS_SECRET_ACCESS_KEY"]

    /// The server's settings from `reader`, with the documented defaults (README, "Configuration").
    public init(reading reader: ConfigReader) throws {
        func address(_ key: ConfigKey, _ fallback: String) throws -> ListenAddress? {
            let text = reader.string(forKey: key, default: fallback)
            if text == "off" { return nil }
            guard let parsed = ListenAddress(text) else { throw ConfigurationError("invalid address '\(text)' for \(key): expected host:port") }
            return parsed
        }
        func secret(_ key: ConfigKey) -> String? {
            reader.string(forKey: key, isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        }
        self.init(
            dataDir: reader.string(forKey: "data.dir", default: "./coffer-data"),
            httpAddress: try address("http.address", "127.0.0.1:9000"),
            httpsAddress: try address("https.address", "127.0.0.1:9443"),
            region: reader.string(forKey: "region", default: "us-east-1"),
            domains: reader.string(forKey: "domains", default: "localhost").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
            tlsCertificate: reader.string(forKey: "tls.cert"),
            tlsKey: reader.string(forKey: "tls.key"),
            usersFile: reader.string(forKey: "users.file"),
            rootAccessKey: secret("root.access.key"),
            rootSecretKey: secret("root.secret.key"),
            sseS3RootKey: secret("sse.s3.root.key"))
        blockSSECOnNewBuckets = reader.bool(forKey: "block.sse.c.on.new.buckets", default: false)
        allowSSECOverHTTP = reader.bool(forKey: "allow.sse.c.over.http", default: false)
        switch reader.string(forKey: "sigv2", default: "allow").lowercased() {
        case "allow": allowSigV2 = true
        case "deny": allowSigV2 = false
        case let other: throw ConfigurationError("invalid value '\(other)' for sigv2: expected allow or deny")
        }
        switch reader.string(forKey: "storage", default: "leveldb").lowercased() {
        case "leveldb": storage = .levelDB
        case "rados":
            storage = .rados(try RadosSettings(
                conf: reader.string(forKey: "rados.conf", default: ""), pool: reader.string(forKey: "rados.pool", default: "coffer"),
                user: reader.string(forKey: "rados.user", default: "admin"),
                node: reader.string(forKey: "node.name", default: RadosSettings.defaultNodeName())))
        case let other: throw ConfigurationError("invalid value '\(other)' for storage: expected leveldb or rados")
        }
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ConfigurationError("--tls-cert and --tls-key go together")
        }
    }
}
