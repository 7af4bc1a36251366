import AsyncHTTPClient
import CofferKMS
import CofferSigV4
import Foundation
import Logging
import NIOCore

/// A ``KeyService`` that is a client of the AWS KMS JSON protocol: AWS KMS itself or any
/// compatible service (Coffer's own KMS API, moto, LocalStack). Requests are SigV4-signed
/// (service `kms`) and retried with exponential backoff and full jitter when the service is
/// throttling, failing on its side or unreachable; client errors are never retried.
///
/// The service owns one `HTTPClient`; call ``shutdown()`` before dropping it. Every method
/// throws ``KMSError`` and nothing else; no secret reaches a log line, an error or a description.
public final class AWSKMSKeyService: KeyService, CustomStringConvertible, CustomReflectable {
    /// The endpoint as given, for messages and logs.
    public let endpoint: URL
    public let region: String

    let http: HTTPClient
    let signer: SigV4Signer
    let retry: RetryPolicy
    let environment: ServiceEnvironment
    let logger: Logger
    /// `host` or `host:port`, as sent in the `Host` header and shown in errors.
    let host: String
    let rawPath: String
    let url: String
    let requestTimeout: TimeAmount

    /// The largest response body accepted (KMS's are a few KiB).
    static let maxResponseBytes = 1 << 20

    public convenience init(configuration: Configuration, logger: Logger = Logger(label: "coffer.kms.remote")) throws(KMSError) {
        try self.init(configuration: configuration, logger: logger, environment: .live)
    }

    init(configuration: Configuration, logger: Logger = Logger(label: "coffer.kms.remote"),
         environment: ServiceEnvironment) throws(KMSError) {
        let endpoint = configuration.endpoint
        guard let scheme = endpoint.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw KMSError(.validation, "key service endpoint '\(endpoint.absoluteString)' is not an http(s) URL")
        }
        guard let hostName = endpoint.host, !hostName.isEmpty else {
            throw KMSError(.validation, "key service endpoint '\(endpoint.absoluteString)' has no host")
        }
        guard endpoint.query == nil, endpoint.user == nil, endpoint.password == nil else {
            throw KMSError(.validation, "key service endpoint must not have a query or user info")
        }
        guard configuration.maxAttempts >= 1 else { throw KMSError(.validation, "maxAttempts must be at least 1") }
        guard !configuration.region.isEmpty else { throw KMSError(.validation, "region must not be empty") }
        guard configuration.requestTimeout > .zero, configuration.connectTimeout > .zero,
              configuration.baseBackoff >= .zero, configuration.maxBackoff >= .zero else {
            throw KMSError(.validation, "timeouts must be positive and backoffs not negative")
        }

        let bracketed = hostName.contains(":") && !hostName.hasPrefix("[") ? "[\(hostName)]" : hostName
        host = endpoint.port.map { "\(bracketed):\($0)" } ?? bracketed
        let path = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        rawPath = path.isEmpty ? "/" : path
        url = "\(scheme)://\(host)\(rawPath)"
        self.endpoint = endpoint
        region = configuration.region
        signer = SigV4Signer(
            credential: Credential(accessKeyId: configuration.accessKeyId, secretAccessKey: configuration.secretAccessKey,
                                   userName: ""),
            region: configuration.region, service: "kms")
        retry = RetryPolicy(maxAttempts: configuration.maxAttempts, baseBackoff: configuration.baseBackoff,
                            maxBackoff: configuration.maxBackoff)
        requestTimeout = TimeAmount(configuration.requestTimeout)
        self.environment = environment
        self.logger = logger

        var client = HTTPClient.Configuration()
        client.timeout = .init(connect: TimeAmount(configuration.connectTimeout), read: requestTimeout)
        client.redirectConfiguration = .disallow
        client.decompression = .disabled
        // Our own loop decides how often to try; the pool must not retry connects behind its back.
        client.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
    }

    /// Closes the connections. Idempotent; the service must not be used afterwards.
    public func shutdown() async {
        do {
            try await http.shutdown()
        } catch {
            if let error = error as? HTTPClientError, error == .alreadyShutdown { return }
            logger.warning("key service client shut down uncleanly", metadata: ["error": "\(error)"])
        }
    }

    public var description: String {
        "AWSKMSKeyService(endpoint: \(endpoint.absoluteString), region: \(region), accessKeyId: \(signer.accessKeyId), secretAccessKey: <redacted>)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint.absoluteString, "region": region, "accessKeyId": signer.accessKeyId],
               displayStyle: .class)
    }
}
