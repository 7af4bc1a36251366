/// An access key pair and the user it belongs to.
///
/// `description` never shows the secret.
public struct Credential: Sendable, Hashable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var userName: String

    public init(accessKeyId: String, secretAccessKey: String, userName: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.userName = userName
    }

    public var description: String {
        "Credential(accessKeyId: \(accessKeyId), userName: \(userName), secretAccessKey: <redacted>)"
    }
}

extension Credential: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}

/// Looks up the credential for an access key id: the verifier's only view of the user store.
public protocol CredentialProvider: Sendable {
    func credential(forAccessKeyId accessKeyId: String) -> Credential?
}

extension CredentialProvider {
    /// The credential of `accessKeyId`, or S3's `InvalidAccessKeyId` naming it.
    func requireCredential(forAccessKeyId accessKeyId: String) throws(SigV4Error) -> Credential {
        guard let credential = credential(forAccessKeyId: accessKeyId) else {
            throw SigV4Error(.invalidAccessKeyId, extra: [("AWSAccessKeyId", accessKeyId)])
        }
        return credential
    }
}

/// A fixed set of credentials, for tests, the benchmark and small configurations.
public struct StaticCredentialProvider: CredentialProvider {
    private let byAccessKeyId: [String: Credential]

    public init(_ credentials: [Credential]) {
        var map: [String: Credential] = [:]
        for credential in credentials { map[credential.accessKeyId] = credential }
        byAccessKeyId = map
    }

    public func credential(forAccessKeyId accessKeyId: String) -> Credential? {
        byAccessKeyId[accessKeyId]
    }
}

/// A SigV4 signing key (`HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`). It is as good as the secret for one day, region and service, so its
/// `description` is redacted.
public struct SigningKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "SigningKey(<redacted>)" }
    public var debugDescription: String { description }
}
