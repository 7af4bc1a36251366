import CofferAudit
import CofferS3
import Foundation

extension FsckSources.RootKeys {
    /// The root keys of `directory` as `coffer serve` loads them (`operatorRootKey`: the value
    /// of `COFFER_SSE_S3_ROOT_KEY`, else the key file), without ever creating a key file.
    public static func load(_ directory: DataDirectory, operatorRootKey: String?) -> Self {
        guard operatorRootKey != nil || FileManager.default.fileExists(atPath: directory.rootKeys) else {
            return .unavailable("""
                no root key file at \(directory.rootKeys); a server that runs with COFFER_SSE_S3_ROOT_KEY needs the same \
                variable for fsck
                """)
        }
        do {
            return .loaded(try RootKeyStore.load(dataDir: directory.path, operatorKey: operatorRootKey))
        } catch {
            return .unavailable("the root keys do not load: \(error)")
        }
    }
}

extension FsckSources.Audit {
    /// The audit trail of `directory` (its files) and its digests' public key.
    public static func files(of directory: DataDirectory) -> Self {
        guard FileManager.default.fileExists(atPath: directory.audit) else {
            return .unavailable("no audit trail at \(directory.audit)")
        }
        do {
            return .trail(FileAuditSink(directory: directory.audit), publicKey: try AuditSigningKey.loadPublicKey(keyDirectory: directory.keys))
        } catch {
            return .unavailable("the audit trail cannot be verified: \(error)")
        }
    }
}
