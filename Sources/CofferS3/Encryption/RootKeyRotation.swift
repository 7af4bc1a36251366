import CofferCrypto
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
    }

    public struct Status: Sendable, Codable {
        public var currentVersion: Int
        public var versions: [Int]
        /// How many object and upload records are sealed under each root key version.
        public var recordsByVersion: [String: Int]
    }

    public static func rotate(dataDir: String) throws -> Report {
        let store = try openStore(dataDir)
        var keyring = try existingKeyring(dataDir)
        let previous = keyring.currentVersion
        let current = keyring.rotate()
        // The new key is durable before any record depends on it.
        try RootKeyStore.save(keyring, dataDir: dataDir)
        let keys = ObjectKeys(keyring: keyring)
        let counts = try store.rewriteExtensions { bucket, key, extensions in
            try keys.resealed(extensions: extensions, bucket: bucket, key: key)
        }
        return Report(previousVersion: previous, currentVersion: current, objectsResealed: counts.objects, uploadsResealed: counts.uploads)
    }

    /// Completes an interrupted rotation: re-seals whatever is not yet under the current version.
    public static func resume(dataDir: String) throws -> Report {
        let store = try openStore(dataDir)
        let keyring = try existingKeyring(dataDir)
        let keys = ObjectKeys(keyring: keyring)
        let counts = try store.rewriteExtensions { bucket, key, extensions in
            try keys.resealed(extensions: extensions, bucket: bucket, key: key)
        }
        return Report(previousVersion: keyring.currentVersion, currentVersion: keyring.currentVersion, objectsResealed: counts.objects, uploadsResealed: counts.uploads)
    }

    public static func status(dataDir: String) throws -> Status {
        let store = try openStore(dataDir)
        let keyring = try existingKeyring(dataDir)
        var byVersion: [String: Int] = [:]
        try store.rewriteExtensions { _, _, extensions in
            let version = ObjectKeys.isSSEC(extensions) ? "sse-c" : (ObjectKeys.rootKeyVersion(of: extensions).map(String.init) ?? "unsealed")
            byVersion[version, default: 0] += 1
            return nil
        }
        return Status(currentVersion: keyring.currentVersion, versions: keyring.keys.keys.sorted(), recordsByVersion: byVersion)
    }

    static func existingKeyring(_ dataDir: String) throws -> RootKeyring {
        guard FileManager.default.fileExists(atPath: RootKeyStore.path(dataDir: dataDir)) else {
            throw ConfigurationError("no root key file at \(RootKeyStore.path(dataDir: dataDir)); a key given by COFFER_SSE_S3_ROOT_KEY is rotated by its operator")
        }
        return try RootKeyStore.load(dataDir: dataDir, operatorKey: nil)
    }

    static func openStore(_ dataDir: String) throws -> ObjectStore {
        do {
            return try ObjectStore(directory: dataDir)
        } catch {
            throw ConfigurationError("cannot open the store in \(dataDir) (is `coffer serve` still running on it? stop it first): \(error.message)")
        }
    }
}
