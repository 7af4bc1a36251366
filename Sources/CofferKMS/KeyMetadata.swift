import Foundation

/// KMS's `KeyMetadata`, as DescribeKey/CreateKey answer it. Dates are epoch seconds on the
/// wire (the JSON protocol's timestamp format).
public struct KeyMetadata: Codable, Sendable, Equatable {
    public var AWSAccountId: String
    public var KeyId: String
    public var Arn: String
    public var CreationDate: Double
    public var Enabled: Bool
    public var Description: String
    public var KeyUsage: String
    public var KeyState: String
    public var DeletionDate: Double?
    public var PendingDeletionWindowInDays: Int?
    public var Origin: String
    public var KeyManager: String
    public var CustomerMasterKeySpec: String
    public var KeySpec: String
    public var EncryptionAlgorithms: [String]
    public var MultiRegion: Bool

    public init(accountId: String, keyId: String, arn: String, creationDate: Date, enabled: Bool, description: String,
                keyState: String, deletionDate: Date? = nil, pendingDeletionWindowInDays: Int? = nil, keyManager: String) {
        AWSAccountId = accountId
        KeyId = keyId
        Arn = arn
        CreationDate = creationDate.timeIntervalSince1970
        Enabled = enabled
        Description = description
        KeyUsage = "ENCRYPT_DECRYPT"
        KeyState = keyState
        DeletionDate = deletionDate?.timeIntervalSince1970
        PendingDeletionWindowInDays = pendingDeletionWindowInDays
        Origin = "AWS_KMS"
        KeyManager = keyManager
        CustomerMasterKeySpec = "SYMMETRIC_DEFAULT"
        KeySpec = "SYMMETRIC_DEFAULT"
        EncryptionAlgorithms = ["SYMMETRIC_DEFAULT"]
        MultiRegion = false
    }
}
