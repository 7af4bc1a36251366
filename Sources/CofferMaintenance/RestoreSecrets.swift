import CofferCrypto
import Crypto
import Foundation

/// The secrets a restore takes from files kept apart from the backup (docs/backup.md,
/// "Keeping the root keys apart"), and what to do without them.
public struct RestoreSecrets: Sendable, Hashable {
    /// `--root-keys FILE`: the SSE-S3 root key file (`keys/sse-s3-root-keys.json` of the source).
    public var rootKeys: String?
    /// `--audit-signing-key FILE`: the audit signing key (`keys/audit-digest-ed25519.key`).
    public var auditSigningKey: String?
    /// `--new-audit-signing-key`: restore without the audit signing key; the restored server
    /// makes a new pair, and the digests already in the trail no longer verify there.
    public var newAuditSigningKey: Bool
    /// `--root-credentials FILE`: the root credentials (`root-credentials.json`).
    public var rootCredentials: String?

    public init(rootKeys: String? = nil, auditSigningKey: String? = nil, newAuditSigningKey: Bool = false, rootCredentials: String? = nil) {
        self.rootKeys = rootKeys
        self.auditSigningKey = auditSigningKey
        self.newAuditSigningKey = newAuditSigningKey
        self.rootCredentials = rootCredentials
    }
}

/// Where each secret of a restored data dir comes from, decided before anything is copied.
struct RestorePlan {
    /// A secret's source.
    enum Source: Equatable {
        /// The backup holds it.
        case backup
        /// A file the operator supplied.
        case file(String)
        /// Written by the restore: root credentials holding only the account id.
        case accountOnly(String)
        /// Nothing: the server makes it at its first start, or the source had none.
        case none(String)
    }

    var rootKeys: Source
    var auditSigningKey: Source
    var rootCredentials: Source
    var tls: Source

    /// Decides, from the manifest and the files supplied, or refuses with what is missing.
    init(manifest: BackupManifest, supplied: RestoreSecrets) throws(BackupError) {
        func state(_ path: String) -> BackupManifest.Secret.State { manifest.secret(path)?.state ?? .absent }

        if let file = supplied.rootKeys {
            rootKeys = .file(file)
        } else {
            switch state(BackupSecrets.rootKeys) {
            case .included: rootKeys = .backup
            case .absent: rootKeys = .none("the source had no root key file: start the server with the COFFER_SSE_S3_ROOT_KEY it used")
            case .leftOut:
                throw BackupError(.secrets, """
                    the backup left out the SSE-S3 root keys (\(BackupSecrets.rootKeys)); nothing was restored. \
                    Supply the copy you keep apart with --root-keys FILE: without it no SSE-S3 or SSE-KMS object of the backup opens.
                    """)
            }
        }

        if let file = supplied.auditSigningKey {
            auditSigningKey = .file(file)
        } else {
            switch state(BackupSecrets.auditSigningKey) {
            case .included: auditSigningKey = .backup
            case .absent: auditSigningKey = .none("the source had no audit signing key: the server makes one at its first start")
            case .leftOut where supplied.newAuditSigningKey:
                auditSigningKey = .none("a new audit signing key is made at the first start; the trail's existing digests no longer verify here")
            case .leftOut:
                throw BackupError(.secrets, """
                    the backup left out the audit signing key (\(BackupSecrets.auditSigningKey)); nothing was restored. \
                    Supply it with --audit-signing-key FILE, or pass --new-audit-signing-key to start a new key pair \
                    (the digests already in the trail then no longer verify with coffer audit verify).
                    """)
            }
        }

        if let file = supplied.rootCredentials {
            rootCredentials = .file(file)
        } else if state(BackupSecrets.rootCredentials) == .included {
            rootCredentials = .backup
        } else if let account = manifest.accountId {
            rootCredentials = .accountOnly(account)
        } else {
            rootCredentials = .none("the server makes root credentials at its first start")
        }

        tls = state(BackupSecrets.tls) == .included ? .backup : .none("the server makes its TLS material at its first start")
    }

    /// Copies the supplied files into the data dir being restored, after checking that each is
    /// the one the backup was taken with (key check values, the public key, the account id).
    func installSuppliedFiles(into dataDir: String, backup: String, manifest: BackupManifest) throws(BackupError) {
        if case .file(let file) = rootKeys {
            try install(file, as: BackupSecrets.rootKeys, in: dataDir)
            try Self.checkRootKeys(file: file, installedIn: dataDir, manifest: manifest)
        }
        if case .file(let file) = auditSigningKey {
            try Self.checkAuditSigningKey(file: file, backup: backup)
            try install(file, as: BackupSecrets.auditSigningKey, in: dataDir)
        }
        if case .file(let file) = rootCredentials {
            try Self.checkRootCredentials(file: file, manifest: manifest)
            try install(file, as: BackupSecrets.rootCredentials, in: dataDir)
        }
        if case .accountOnly(let account) = rootCredentials {
            // The form the server writes when the credentials come from its environment: it
            // keeps the account and makes (or takes) the access key and secret at start.
            struct Credentials: Encodable { var accessKeyId = "", secretAccessKey = "", accountId: String }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            guard let bytes = try? encoder.encode(Credentials(accountId: account)) else { throw BackupError(.io, "cannot encode the root credentials") }
            _ = try BackupFiles.write(Array(bytes), to: BackupFiles.join(dataDir, BackupSecrets.rootCredentials), mode: 0o600)
        }
    }

    private func install(_ file: String, as relativePath: String, in dataDir: String) throws(BackupError) {
        guard BackupFiles.kind(file) == .typeRegular else { throw BackupError(.secrets, "\(file) is not a readable file") }
        try BackupSecrets.makeParent(of: relativePath, in: dataDir)
        _ = try BackupFiles.copy(file, to: BackupFiles.join(dataDir, relativePath), mode: 0o600)
    }

    /// The supplied root keys must hold every version the backup's key file held, each the
    /// same key (by its key check value).
    private static func checkRootKeys(file: String, installedIn dataDir: String, manifest: BackupManifest) throws(BackupError) {
        let keyring = try BackupSecrets.loadRootKeys(dataDir: dataDir, file: file)
        let supplied = BackupSecrets.keyChecks(keyring)
        for (version, check) in (manifest.rootKeyChecks ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let found = supplied[version] else {
                throw BackupError(.secrets, "\(file) has no root key version \(version), which the backup's records may use; nothing was restored")
            }
            guard found == check else {
                throw BackupError(.secrets, "root key version \(version) in \(file) is not the one this backup was taken with; nothing was restored")
            }
        }
    }

    /// The supplied signing key must be the private half of the backup's audit public key.
    private static func checkAuditSigningKey(file: String, backup: String) throws(BackupError) {
        let text = String(decoding: try BackupFiles.readSmallFile(file, limit: 4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Base64.decode(text), raw.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw BackupError(.secrets, "\(file) is not an audit signing key (the base64 of a 32-byte Ed25519 key)")
        }
        let publicPath = BackupFiles.join(backup, BackupSecrets.auditPublicKey)
        guard BackupFiles.kind(publicPath) == .typeRegular else { return }
        let publicText = String(decoding: try BackupFiles.readSmallFile(publicPath, limit: 4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Base64.decode(publicText) == [UInt8](key.publicKey.rawRepresentation) else {
            throw BackupError(.secrets, "\(file) is not the key that signed this backup's audit trail (its public key differs); nothing was restored")
        }
    }

    /// The supplied credentials must be a credentials file, of the backup's account.
    private static func checkRootCredentials(file: String, manifest: BackupManifest) throws(BackupError) {
        struct Credentials: Decodable { var accountId: String }
        let bytes = try BackupFiles.readSmallFile(file, limit: 64 << 10)
        guard let credentials = try? JSONDecoder().decode(Credentials.self, from: Data(bytes)) else {
            throw BackupError(.secrets, "\(file) is not a root credentials file")
        }
        if let account = manifest.accountId, account != credentials.accountId {
            throw BackupError(.secrets, "\(file) holds the credentials of account \(credentials.accountId); the backup is of account \(account)")
        }
    }
}
