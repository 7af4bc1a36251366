import CofferS3
import Foundation

/// Everything `coffer serve` needs, after flags, environment and config file were layered.
public struct ServerConfiguration: Sendable {
    public var dataDir: String
    public var httpAddress: ListenAddress?
    public var httpsAddress: ListenAddress?
    public var region: String
    public var domains: [String]
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var usersFile: String?
    public var rootAccessKey: String?
    public var rootSecretKey: String?
    /// An operator-supplied SSE-S3 root key (base64 of 32 bytes); nil to use the data dir's key file.
    public var sseS3RootKey: String?
    /// New buckets block SSE-C writes (S3's default since April 2026).
    public var blockSSECOnNewBuckets: Bool = false
    /// Accept SSE-C keys over plain HTTP (test rigs only, as Ceph RGW allows).
    public var allowSSECOverHTTP: Bool = false
    /// Accept AWS Signature Version 2 (`--sigv2 allow`, the default, as S3 did); false
    /// (`--sigv2 deny`) refuses every SigV2 request with 403 AccessDenied.
    public var allowSigV2: Bool = true
    /// Repair a copy of a damaged database before serving (`coffer serve --recover`): the
    /// repaired copy is served, the original kept beside it (`StoreRecovery`).
    public var recover: Bool = false
    /// Where objects, buckets, KMS keys and the audit trail live (`--storage`).
    public var storage: StorageSettings = .levelDB

    public init(
        dataDir: String, httpAddress: ListenAddress?, httpsAddress: ListenAddress?, region: String, domains: [String],
        tlsCertificate: String?, tlsKey: String?, usersFile: String?, rootAccessKey: String?, rootSecretKey: String?,
        sseS3RootKey: String? = nil
    ) {
        self.sseS3RootKey = sseS3RootKey
        self.dataDir = dataDir
        self.httpAddress = httpAddress
        self.httpsAddress = httpsAddress
        self.region = region
        self.domains = domains
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.usersFile = usersFile
        self.rootAccessKey = rootAccessKey
        self.rootSecretKey = rootSecretKey
    }
}

/// `--storage leveldb|rados` and its settings.
public enum StorageSettings: Sendable, Equatable {
    /// The embedded default: everything in `<data-dir>/db` and `<data-dir>/audit`.
    case levelDB
    /// A Ceph RADOS cluster that several Coffer nodes share (docs/scale-out.md).
    case rados(RadosSettings)
}

/// The cluster of `--storage rados`: `--rados-conf`, `--rados-pool`, `--rados-user`, and this
/// node's name among the nodes that share it (`--node-name`).
public struct RadosSettings: Sendable, Equatable {
    /// The cluster's ceph.conf (monitors, keyring).
    public var conf: String
    public var pool: String
    /// The cephx client name without `client.` (e.g. `admin`).
    public var user: String
    /// This node's name: its audit trail and its notes in the cluster are under it, so no two
    /// running nodes may share one (the second is refused). 1–64 of `A-Z a-z 0-9 . _ -`.
    public var node: String

    public init(conf: String, pool: String, user: String, node: String) throws(ConfigurationError) {
        guard !conf.isEmpty else { throw ConfigurationError("--storage rados needs --rados-conf (the cluster's ceph.conf)") }
        guard !pool.isEmpty, pool.utf8.count <= 255 else { throw ConfigurationError("invalid --rados-pool '\(pool)'") }
        guard !user.isEmpty, !user.hasPrefix("client.") else {
            throw ConfigurationError("--rados-user is the cephx name without 'client.' (e.g. admin), not '\(user)'")
        }
        guard Self.isValidNodeName(node) else {
            throw ConfigurationError("invalid --node-name '\(node)': 1 to 64 of A-Z a-z 0-9 . _ -")
        }
        self.conf = conf
        self.pool = pool
        self.user = user
        self.node = node
    }

    public static func isValidNodeName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
    }

    /// The default node name: the host name cut to what a node name allows.
    public static func defaultNodeName() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        let cleaned = String(host.filter { isValidNodeName(String($0)) }.prefix(64))
        return cleaned.isEmpty ? "node" : cleaned
    }
}

/// `host:port` (IPv6 as `[::1]:9000`); port 0 asks the OS for a free one.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<end]
            let rest = text[text.index(after: end)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension ServerConfiguration: CustomStringConvertible {
    /// `leveldb`, or the cluster, pool, user and node of `rados`.
    public var storageDescription: String {
        switch storage {
        case .levelDB: "leveldb"
        case .rados(let rados): "rados (pool \(rados.pool), conf \(rados.conf), client.\(rados.user), node \(rados.node))"
        }
    }

    /// Every setting but the secrets.
    public var description: String {
        "ServerConfiguration(dataDir: \(dataDir), http: \(httpAddress.map(String.init(describing:)) ?? "off"), https: \(httpsAddress.map(String.init(describing:)) ?? "off"), region: \(region), domains: \(domains), usersFile: \(usersFile ?? "none"), rootAccessKey: \(rootAccessKey ?? "generated"), storage: \(storageDescription), secrets: <redacted>)"
    }
}
