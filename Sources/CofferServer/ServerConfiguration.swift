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
    /// Every setting but the secrets.
    public var description: String {
        "ServerConfiguration(dataDir: \(dataDir), http: \(httpAddress.map(String.init(describing:)) ?? "off"), https: \(httpsAddress.map(String.init(describing:)) ?? "off"), region: \(region), domains: \(domains), usersFile: \(usersFile ?? "none"), rootAccessKey: \(rootAccessKey ?? "generated"), secrets: <redacted>)"
    }
}
