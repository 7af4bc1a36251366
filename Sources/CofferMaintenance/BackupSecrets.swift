import CofferAudit
import CofferCrypto
import CofferS3
import Foundation

/// The secrets of a data dir as backup and restore treat them: what ``DataDirectory/isSecret(_:)``
/// names (the SSE-S3 root keys, the audit signing key, the root credentials) and the TLS
/// material Coffer generated (`tls/`, with its private keys). A backup holds them only when
/// asked (`--include-root-keys`); otherwise its manifest says which were left out and how a
/// restore gets each back.
enum BackupSecrets {
    /// One secret of a data dir.
    struct Entry: Sendable {
        /// Its path inside the data dir.
        var path: String
        /// A directory (`tls`) whose files all travel together.
        var isDirectory = false
        /// How a restore gets it back when the backup left it out.
        var restore: String
    }

    static let rootKeys = "keys/sse-s3-root-keys.json"
    static let auditSigningKey = "keys/\(AuditSigningKey.privateKeyFileName)"
    static let auditPublicKey = "keys/\(AuditSigningKey.publicKeyFileName)"
    static let rootCredentials = "root-credentials.json"
    static let tls = "tls"

    static let entries: [Entry] = [
        Entry(path: rootKeys, restore: "required: coffer restore --root-keys FILE (without them no SSE-S3 or SSE-KMS object opens)"),
        Entry(path: auditSigningKey, restore: """
            coffer restore --audit-signing-key FILE, or --new-audit-signing-key (the trail's existing digests then no longer \
            verify on the restored data dir)
            """),
        Entry(path: rootCredentials, restore: """
            optional: coffer restore --root-credentials FILE; without it the restored server makes new root credentials \
            for the same account at its first start (or takes COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY)
            """),
        Entry(path: tls, isDirectory: true, restore: """
            optional: the restored server makes a new local CA and certificate at its first start; copy the old tls/ \
            into the data dir before that to keep the CA clients trust
            """),
    ]

    /// Whether a backup must not hold `relativePath` unless asked: a secret or inside `tls/`.
    static func isSecret(_ relativePath: String) -> Bool {
        DataDirectory.isSecret(relativePath) || relativePath == tls || relativePath.hasPrefix(tls + "/")
    }

    /// Copies the secrets of `dataDir` into `backup` when `include`, and says for each what
    /// the backup holds.
    static func copy(from dataDir: String, to backup: String, include: Bool) throws(BackupError) -> [BackupManifest.Secret] {
        var states: [BackupManifest.Secret] = []
        for entry in entries {
            let source = BackupFiles.join(dataDir, entry.path)
            let present = BackupFiles.kind(source) == (entry.isDirectory ? .typeDirectory : .typeRegular)
            guard present else {
                states.append(.init(path: entry.path, state: .absent, restore: nil))
                continue
            }
            guard include else {
                states.append(.init(path: entry.path, state: .leftOut, restore: entry.restore))
                continue
            }
            if entry.isDirectory {
                try copyDirectory(source, to: BackupFiles.join(backup, entry.path))
            } else {
                try makeParent(of: entry.path, in: backup)
                _ = try BackupFiles.copy(source, to: BackupFiles.join(backup, entry.path), mode: 0o600)
            }
            states.append(.init(path: entry.path, state: .included, restore: nil))
        }
        return states
    }

    /// Copies the audit public key (not a secret: it verifies the trail) when there is one.
    static func copyPublicKey(from dataDir: String, to backup: String) throws(BackupError) {
        let source = BackupFiles.join(dataDir, auditPublicKey)
        guard BackupFiles.kind(source) == .typeRegular else { return }
        try makeParent(of: auditPublicKey, in: backup)
        _ = try BackupFiles.copy(source, to: BackupFiles.join(backup, auditPublicKey), mode: 0o644)
    }

    /// The key check values of the root key file of `dataDir` (nil when it has none).
    static func rootKeyChecks(dataDir: String) throws(BackupError) -> [String: String]? {
        guard BackupFiles.kind(BackupFiles.join(dataDir, rootKeys)) == .typeRegular else { return nil }
        return keyChecks(try loadRootKeys(dataDir: dataDir, file: BackupFiles.join(dataDir, rootKeys)))
    }

    /// Loads a root key file kept in `dataDir` (which must hold it: ``RootKeyStore`` creates a
    /// new one where there is none); `file` names it in errors.
    static func loadRootKeys(dataDir: String, file: String) throws(BackupError) -> RootKeyring {
        do {
            return try RootKeyStore.load(dataDir: dataDir, operatorKey: nil)
        } catch {
            throw BackupError(.secrets, "\(file) is not a valid SSE-S3 root key file")
        }
    }

    /// A key check value per root key version: the first 8 bytes of HMAC-SHA256 under the key
    /// of a fixed label, in hex. It tells whether two key files hold the same key for a
    /// version, and says nothing about the key.
    static func keyChecks(_ keyring: RootKeyring) -> [String: String] {
        var checks: [String: String] = [:]
        for (version, key) in keyring.keys {
            checks[String(version)] = Hex.encode(HMACSHA256.authenticate("coffer backup root key check 1", key: key.copyBytes()).prefix(8))
        }
        return checks
    }

    /// The root user's account id in `dataDir`'s credentials file (not a secret).
    static func accountId(dataDir: String) -> String? {
        struct Credentials: Decodable { var accountId: String }
        let path = BackupFiles.join(dataDir, rootCredentials)
        guard BackupFiles.kind(path) == .typeRegular, let bytes = try? BackupFiles.readSmallFile(path, limit: 64 << 10) else { return nil }
        return (try? JSONDecoder().decode(Credentials.self, from: Data(bytes)))?.accountId
    }

    /// Creates the directories of `relativePath` inside `root` (0700) that do not exist yet.
    static func makeParent(of relativePath: String, in root: String) throws(BackupError) {
        var directory = root
        for component in relativePath.split(separator: "/").dropLast() {
            directory = BackupFiles.join(directory, String(component))
            if BackupFiles.kind(directory) == nil { try BackupFiles.makeDirectory(directory) }
        }
    }

    /// Copies the regular files of a directory (one level, as `tls/` is): private keys 0600,
    /// the rest 0644.
    private static func copyDirectory(_ source: String, to destination: String) throws(BackupError) {
        try BackupFiles.makeDirectory(destination)
        for entry in try BackupFiles.walk(source) where entry.kind == .typeRegular && !entry.path.contains("/") {
            let mode: mode_t = entry.path.hasSuffix("-key.pem") ? 0o600 : 0o644
            _ = try BackupFiles.copy(BackupFiles.join(source, entry.path), to: BackupFiles.join(destination, entry.path), mode: mode)
        }
    }
}
