import CofferAudit
import CofferS3
import Foundation

/// The entries of a Coffer data directory, as `coffer fsck`, `coffer backup` and `coffer
/// restore` see them. The layout is the server's (`ObjectStore`, `RootKeyStore`,
/// `AuditLayout`, `RootCredentials`); this type only names it, with what each entry holds, so
/// that the maintenance commands agree on what is a secret.
public struct DataDirectory: Sendable {
    /// The data directory's path.
    public let path: String

    public init(path: String) { self.path = path }

    /// The LevelDB database: buckets, objects, uploads, parts, KMS key records (material sealed
    /// under the SSE-S3 root key), audit notes. Never plaintext object data.
    public var database: String { join("db") }
    /// The audit trail's files.
    public var audit: String { AuditLayout.auditDirectory(dataDir: path) }
    /// The key directory: SSE-S3 root keys and the audit digest signing key.
    public var keys: String { AuditLayout.keyDirectory(dataDir: path) }
    /// The SSE-S3 root keys: with a copy of the database they open every SSE-S3 and
    /// built-in-KMS object, so they travel apart from it.
    public var rootKeys: String { RootKeyStore.path(dataDir: path) }
    /// The root user's access key and secret.
    public var rootCredentials: String { join("root-credentials.json") }

    /// Whether `relativePath` (a path inside the data directory) is a secret that opens data
    /// or signs requests: the SSE-S3 root keys, the audit signing key, the root credentials.
    public static func isSecret(_ relativePath: String) -> Bool {
        relativePath == "root-credentials.json" || relativePath == "keys/sse-s3-root-keys.json"
            || relativePath == "keys/audit-digest-ed25519.key"
    }

    private func join(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
