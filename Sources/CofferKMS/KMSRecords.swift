import CofferStorage
import Foundation

/// A KMS key of the built-in service, stored under `k keyId` (docs/storage-layout.md).
/// Key material appears only sealed under the SSE-S3 root key.
struct KMSKeyRecord: StoredRecord {
    struct SealedMaterial: Codable, Sendable, Equatable {
        var rootKeyVersion: Int
        /// base64 of the sealed 256-bit material (`KeyHierarchy.sealSSES3` format).
        var sealed: String
    }

    struct Version: Codable, Sendable, Equatable {
        var version: Int
        var createdAt: Date
        /// nil for the material the key was created with; `AUTOMATIC` or `ON_DEMAND` after.
        var rotationType: String?
        var material: SealedMaterial
    }

    var keyId: String
    var accountId: String
    var region: String
    var description: String
    /// `CUSTOMER`, or `AWS` for the `aws/s3` key S3 creates on first use.
    var keyManager: String
    var createdAt: Date
    var state: KeyState
    var deletionDate: Date?
    var pendingWindowDays: Int?
    var rotationEnabled: Bool
    var rotationPeriodDays: Int?
    var nextRotationDate: Date?
    var versions: [Version]
    var policy: String

    var arn: String { KeyArn.key(region: region, accountId: accountId, keyId: keyId) }
    var currentVersion: Version { versions[versions.count - 1] }
}

enum KeyState: String, Codable, Sendable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDeletion = "PendingDeletion"
}

/// An alias, stored under `a aliasName`.
struct KMSAliasRecord: StoredRecord {
    var name: String
    var targetKeyId: String
    var createdAt: Date
    var updatedAt: Date
}

public enum KeyArn {
    public static func key(region: String, accountId: String, keyId: String) -> String {
        "arn:aws:kms:\(region):\(accountId):key/\(keyId)"
    }

    public static func alias(region: String, accountId: String, name: String) -> String {
        "arn:aws:kms:\(region):\(accountId):\(name)"
    }
}
