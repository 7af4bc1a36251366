import Foundation

/// The JSON bodies of the AWS KMS API (`X-Amz-Target: TrentService.<Operation>`,
/// `Content-Type: application/x-amz-json-1.1`), shared by Coffer's KMS endpoint and by the
/// remote client. Field names are AWS's; blobs are base64 strings; timestamps epoch seconds.
public enum KMSWire {
    public static let targetPrefix = "TrentService."
    public static let contentType = "application/x-amz-json-1.1"

    public struct KeyIdOnly: Codable, Sendable { public var KeyId: String; public init(KeyId: String) { self.KeyId = KeyId } }

    public struct CreateKeyRequest: Codable, Sendable {
        public var Description: String?
        public var KeyUsage: String?
        public var KeySpec: String?
        public var CustomerMasterKeySpec: String?
        public var Origin: String?
        public var Policy: String?
        public var MultiRegion: Bool?
        public var BypassPolicyLockoutSafetyCheck: Bool?
        public var Tags: [Tag]?
        public init(Description: String? = nil) { self.Description = Description }
    }

    public struct Tag: Codable, Sendable { public var TagKey: String; public var TagValue: String }

    public struct KeyMetadataResponse: Codable, Sendable {
        public var KeyMetadata: CofferKMS.KeyMetadata
        public init(KeyMetadata: CofferKMS.KeyMetadata) { self.KeyMetadata = KeyMetadata }
    }

    public struct EncryptRequest: Codable, Sendable {
        public var KeyId: String
        public var Plaintext: String
        public var EncryptionContext: [String: String]?
        public var EncryptionAlgorithm: String?
        public var GrantTokens: [String]?
        public init(KeyId: String, Plaintext: String, EncryptionContext: [String: String]?) {
            self.KeyId = KeyId
            self.Plaintext = Plaintext
            self.EncryptionContext = EncryptionContext
        }
    }

    public struct EncryptResponse: Codable, Sendable {
        public var CiphertextBlob: String
        public var KeyId: String
        public var EncryptionAlgorithm: String
    }

    public struct DecryptRequest: Codable, Sendable {
        public var CiphertextBlob: String
        public var EncryptionContext: [String: String]?
        public var KeyId: String?
        public var EncryptionAlgorithm: String?
        public var GrantTokens: [String]?
        public init(CiphertextBlob: String, EncryptionContext: [String: String]?, KeyId: String?) {
            self.CiphertextBlob = CiphertextBlob
            self.EncryptionContext = EncryptionContext
            self.KeyId = KeyId
        }
    }

    public struct DecryptResponse: Codable, Sendable {
        public var KeyId: String
        public var Plaintext: String
        public var EncryptionAlgorithm: String?
    }

    public struct ReEncryptRequest: Codable, Sendable {
        public var CiphertextBlob: String
        public var SourceEncryptionContext: [String: String]?
        public var SourceKeyId: String?
        public var DestinationKeyId: String
        public var DestinationEncryptionContext: [String: String]?
        public var SourceEncryptionAlgorithm: String?
        public var DestinationEncryptionAlgorithm: String?
        public var GrantTokens: [String]?
        public init(CiphertextBlob: String, SourceEncryptionContext: [String: String]?, SourceKeyId: String?,
                    DestinationKeyId: String, DestinationEncryptionContext: [String: String]?) {
            self.CiphertextBlob = CiphertextBlob
            self.SourceEncryptionContext = SourceEncryptionContext
            self.SourceKeyId = SourceKeyId
            self.DestinationKeyId = DestinationKeyId
            self.DestinationEncryptionContext = DestinationEncryptionContext
        }
    }

    public struct ReEncryptResponse: Codable, Sendable {
        public var CiphertextBlob: String
        public var SourceKeyId: String
        public var KeyId: String
        public var SourceEncryptionAlgorithm: String?
        public var DestinationEncryptionAlgorithm: String?
    }

    public struct GenerateDataKeyRequest: Codable, Sendable {
        public var KeyId: String
        public var EncryptionContext: [String: String]?
        public var NumberOfBytes: Int?
        public var KeySpec: String?
        public var GrantTokens: [String]?
        public init(KeyId: String, EncryptionContext: [String: String]?, NumberOfBytes: Int?, KeySpec: String?) {
            self.KeyId = KeyId
            self.EncryptionContext = EncryptionContext
            self.NumberOfBytes = NumberOfBytes
            self.KeySpec = KeySpec
        }
    }

    public struct GenerateDataKeyResponse: Codable, Sendable {
        public var CiphertextBlob: String
        public var Plaintext: String?
        public var KeyId: String
    }

    public struct ListRequest: Codable, Sendable {
        public var Limit: Int?
        public var Marker: String?
        public var KeyId: String?
    }

    public struct KeyListEntry: Codable, Sendable { public var KeyId: String; public var KeyArn: String }

    public struct ListKeysResponse: Codable, Sendable {
        public var Keys: [KeyListEntry]
        public var Truncated: Bool
        public var NextMarker: String?
    }

    public struct AliasListEntry: Codable, Sendable {
        public var AliasName: String
        public var AliasArn: String
        public var TargetKeyId: String?
        public var CreationDate: Double?
        public var LastUpdatedDate: Double?
    }

    public struct ListAliasesResponse: Codable, Sendable {
        public var Aliases: [AliasListEntry]
        public var Truncated: Bool
        public var NextMarker: String?
    }

    public struct AliasRequest: Codable, Sendable {
        public var AliasName: String
        public var TargetKeyId: String?
    }

    public struct EnableKeyRotationRequest: Codable, Sendable {
        public var KeyId: String
        public var RotationPeriodInDays: Int?
    }

    public struct GetKeyRotationStatusResponse: Codable, Sendable {
        public var KeyRotationEnabled: Bool
        public var KeyId: String
        public var RotationPeriodInDays: Int?
        public var NextRotationDate: Double?
        public var OnDemandRotationStartDate: Double?
    }

    public struct RotationListEntry: Codable, Sendable {
        public var KeyId: String
        public var RotationDate: Double
        public var RotationType: String
    }

    public struct ListKeyRotationsResponse: Codable, Sendable {
        public var Rotations: [RotationListEntry]
        public var Truncated: Bool
        public var NextMarker: String?
    }

    public struct ScheduleKeyDeletionRequest: Codable, Sendable {
        public var KeyId: String
        public var PendingWindowInDays: Int?
    }

    public struct ScheduleKeyDeletionResponse: Codable, Sendable {
        public var KeyId: String
        public var DeletionDate: Double
        public var KeyState: String
        public var PendingWindowInDays: Int
    }

    public struct PutKeyPolicyRequest: Codable, Sendable {
        public var KeyId: String
        public var PolicyName: String?
        public var Policy: String
        public var BypassPolicyLockoutSafetyCheck: Bool?
    }

    public struct GetKeyPolicyRequest: Codable, Sendable {
        public var KeyId: String
        public var PolicyName: String?
    }

    public struct GetKeyPolicyResponse: Codable, Sendable {
        public var Policy: String
        public var PolicyName: String
    }

    public struct UpdateKeyDescriptionRequest: Codable, Sendable {
        public var KeyId: String
        public var Description: String
    }

    /// An error body: `{"__type": "NotFoundException", "message": "..."}`.
    public struct ErrorBody: Codable, Sendable {
        public var __type: String
        public var message: String?
        public var Message: String?

        public init(__type: String, message: String?) {
            self.__type = __type
            self.message = message
        }
    }
}
