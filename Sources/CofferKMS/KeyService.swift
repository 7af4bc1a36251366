import CofferCrypto
import CofferPolicy
import Foundation

/// Who asks the key service for something, and on behalf of which request: what the audit
/// trail records (userIdentity, sourceIPAddress, userAgent, requestID) and what a key policy
/// is evaluated against. Never carries a secret.
public struct KMSCaller: Sendable {
    /// `arn:aws:iam::<account>:user/<name>` or `arn:aws:iam::<account>:root`.
    public var principalArn: String
    public var accountId: String
    public var userName: String?
    public var accessKeyId: String?
    public var sourceIPAddress: String?
    public var userAgent: String?
    /// The id of the request that caused the call: the S3 request's `x-amz-request-id` when
    /// the call is made for S3, the KMS API request's id otherwise.
    public var requestID: String
    /// `s3.amazonaws.com` when S3 calls on the caller's behalf (CloudTrail's `invokedBy`).
    public var invokedBy: String?
    /// The caller's identity policy (users file), if any: its explicit Deny refuses a key use
    /// whatever the key policy allows.
    public var identityPolicy: Policy?

    public init(principalArn: String, accountId: String, userName: String? = nil, accessKeyId: String? = nil,
                sourceIPAddress: String? = nil, userAgent: String? = nil, requestID: String, invokedBy: String? = nil,
                identityPolicy: Policy? = nil) {
        self.principalArn = principalArn
        self.accountId = accountId
        self.userName = userName
        self.accessKeyId = accessKeyId
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.requestID = requestID
        self.invokedBy = invokedBy
        self.identityPolicy = identityPolicy
    }
}

extension KMSCaller {
    /// Whether the caller names a principal and an account (`anonymous` names the anonymous
    /// principal). A key service refuses key operations for a caller that does not.
    public var isIdentified: Bool { !principalArn.isEmpty && !accountId.isEmpty }
}

public struct GenerateDataKeyRequest: Sendable {
    /// Key id, key ARN, alias name (`alias/...`) or alias ARN.
    public var keyId: String
    public var encryptionContext: EncryptionContext
    /// 1...1024; AES_256 is 32.
    public var numberOfBytes: Int
    public var caller: KMSCaller

    public init(keyId: String, encryptionContext: EncryptionContext = [:], numberOfBytes: Int = 32, caller: KMSCaller) {
        self.keyId = keyId
        self.encryptionContext = encryptionContext
        self.numberOfBytes = numberOfBytes
        self.caller = caller
    }
}

public struct GenerateDataKeyResult: Sendable {
    /// The ARN of the KMS key that encrypted the data key.
    public var keyArn: String
    public var plaintext: SecretBytes
    public var ciphertextBlob: [UInt8]

    public init(keyArn: String, plaintext: SecretBytes, ciphertextBlob: [UInt8]) {
        self.keyArn = keyArn
        self.plaintext = plaintext
        self.ciphertextBlob = ciphertextBlob
    }
}

public struct DecryptRequest: Sendable {
    public var ciphertextBlob: [UInt8]
    public var encryptionContext: EncryptionContext
    /// When given, decryption fails (IncorrectKeyException) unless the blob names this key.
    public var keyId: String?
    public var caller: KMSCaller

    public init(ciphertextBlob: [UInt8], encryptionContext: EncryptionContext = [:], keyId: String? = nil, caller: KMSCaller) {
        self.ciphertextBlob = ciphertextBlob
        self.encryptionContext = encryptionContext
        self.keyId = keyId
        self.caller = caller
    }
}

public struct DecryptResult: Sendable {
    public var keyArn: String
    public var plaintext: SecretBytes

    public init(keyArn: String, plaintext: SecretBytes) {
        self.keyArn = keyArn
        self.plaintext = plaintext
    }
}

public struct ReEncryptRequest: Sendable {
    public var ciphertextBlob: [UInt8]
    public var sourceEncryptionContext: EncryptionContext
    public var sourceKeyId: String?
    public var destinationKeyId: String
    public var destinationEncryptionContext: EncryptionContext
    public var caller: KMSCaller

    public init(ciphertextBlob: [UInt8], sourceEncryptionContext: EncryptionContext = [:], sourceKeyId: String? = nil,
                destinationKeyId: String, destinationEncryptionContext: EncryptionContext = [:], caller: KMSCaller) {
        self.ciphertextBlob = ciphertextBlob
        self.sourceEncryptionContext = sourceEncryptionContext
        self.sourceKeyId = sourceKeyId
        self.destinationKeyId = destinationKeyId
        self.destinationEncryptionContext = destinationEncryptionContext
        self.caller = caller
    }
}

public struct ReEncryptResult: Sendable {
    public var ciphertextBlob: [UInt8]
    public var sourceKeyArn: String
    public var keyArn: String

    public init(ciphertextBlob: [UInt8], sourceKeyArn: String, keyArn: String) {
        self.ciphertextBlob = ciphertextBlob
        self.sourceKeyArn = sourceKeyArn
        self.keyArn = keyArn
    }
}

public struct DescribeKeyRequest: Sendable {
    public var keyId: String
    public var caller: KMSCaller

    public init(keyId: String, caller: KMSCaller) {
        self.keyId = keyId
        self.caller = caller
    }
}

/// The key service S3 uses for SSE-KMS: the built-in one (``BuiltInKeyService``) or any
/// AWS-KMS-protocol service (`AWSKMSKeyService`). The object layer depends on this and on
/// nothing else of KMS. Every method throws ``KMSError`` and nothing else.
public protocol KeyService: Sendable {
    func generateDataKey(_ request: GenerateDataKeyRequest) async throws -> GenerateDataKeyResult
    func decrypt(_ request: DecryptRequest) async throws -> DecryptResult
    func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult
    func describeKey(_ request: DescribeKeyRequest) async throws -> KeyMetadata
}
