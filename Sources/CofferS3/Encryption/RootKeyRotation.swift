import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation

/// `coffer keys rotate`: adds a root key version and re-seals every data key under it. No
/// object data is rewritten; objects keep reading throughout because older versions stay in
/// the keyring. Runs on a stopped server's data dir (LevelDB admits one process).
public enum RootKeyRotation {
    public struct Report: Sendable, Codable {
        public var previousVersion: Int
        public var currentVersion: Int
        public var objectsResealed: Int
        public var uploadsResealed: Int
        /// Versions of built-in KMS keys whose material was re-sealed.
        public var kmsKeyVersionsResealed: Int
    }

    public struct Status: Sendable, Codable {
        public var currentVersion: Int
        public var versions: [Int]
        /// How many object and upload records are sealed under each root key version.
        public var recordsByVersion: [String: Int]
    }

    public static func rotate(dataDir: String) async throws -> Report {
        let store = try await openStore(dataDir)
        var keyring = try existingKeyring(dataDir)
        let previous = keyring.currentVersion
        let current = keyring.rotate()
        // The new key is durable before any record depends on it.
        try RootKeyStore.save(keyring, dataDir: dataDir)
        let keys = ObjectKeys(keyring: keyring)
        let counts = try await store.rewriteEncryption { bucket, key, encryption in
            try keys.resealed(encryption: encryption, bucket: bucket, key: key)
        }
        let kms = try resealKMSMaterial(store, keyring)
        return Report(previousVersion: previous, currentVersion: current, objectsResealed: counts.objects, uploadsResealed: counts.uploads, kmsKeyVersionsResealed: kms)
    }

    /// Completes an interrupted rotation: re-seals whatever is not yet under the current version.
    public static func resume(dataDir: String) async throws -> Report {
        let store = try await openStore(dataDir)
        let keyring = try existingKeyring(dataDir)
        let keys = ObjectKeys(keyring: keyring)
        let counts = try await store.rewriteEncryption { bucket, key, encryption in
            try keys.resealed(encryption: encryption, bucket: bucket, key: key)
        }
        let kms = try resealKMSMaterial(store, keyring)
        return Report(previousVersion: keyring.currentVersion, currentVersion: keyring.currentVersion, objectsResealed: counts.objects, uploadsResealed: counts.uploads, kmsKeyVersionsResealed: kms)
    }

    public static func status(dataDir: String) async throws -> Status {
        let store = try await openStore(dataDir)
        let keyring = try existingKeyring(dataDir)
        var byVersion: [String: Int] = [:]
        try await store.rewriteEncryption { _, _, encryption in
            let mode = encryption?.mode
            let version = mode == .sseC ? "sse-c" : mode == .sseKMS ? "sse-kms"
                : (ObjectKeys.rootKeyVersion(of: encryption).map(String.init) ?? "unsealed")
            byVersion[version, default: 0] += 1
            return nil
        }
        return Status(currentVersion: keyring.currentVersion, versions: keyring.keys.keys.sorted(), recordsByVersion: byVersion)
    }

    /// Built-in KMS key material is sealed under the root key too (docs/key-hierarchy.md).
    static func resealKMSMaterial(_ store: ObjectStore, _ keyring: RootKeyring) throws -> Int {
        // Region and account only shape ARNs, which re-sealing does not use.
        guard let db = store.db else { throw ConfigurationError("the built-in KMS needs a LevelDB store") }
        return try BuiltInKeyService(db: db, keyring: keyring, options: .init(region: "", accountId: "")).resealMaterial()
    }

    static func existingKeyring(_ dataDir: String) throws -> RootKeyring {
        guard FileManager.default.fileExists(atPath: RootKeyStore.path(dataDir: dataDir)) else {
            throw ConfigurationError("no root key file at \(RootKeyStore.path(dataDir: dataDir)); a key given by COFFER_SSE_S3_ROOT_KEY is rotated by its operator")
        }
        return try RootKeyStore.load(dataDir: dataDir, operatorKey: nil)
    }

    static func openStore(_ dataDir: String) async throws -> ObjectStore {
        do {
            return try await ObjectStore(directory: dataDir)
        } catch {
            throw ConfigurationError("cannot open the store in \(dataDir) (is `coffer serve` still running on it? stop it first): \(error.message)")
        }
    }
}
