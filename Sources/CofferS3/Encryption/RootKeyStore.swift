import CofferCrypto
import Foundation

/// Where the SSE-S3 root keys live: outside LevelDB, in `<data-dir>/keys/sse-s3-root-keys.json`
/// (directory 0700, file 0600), created with one random key on first start; or a single key
/// given by the operator (`COFFER_SSE_S3_ROOT_KEY`, base64 of 32 bytes), which is then
/// version 1 and never written to disk.
public enum RootKeyStore {
    struct FileFormat: Codable {
        var currentVersion: Int
        /// version → base64 key
        var keys: [String: String]
    }

    public static func path(dataDir: String) -> String {
        ((dataDir as NSString).appendingPathComponent("keys") as NSString).appendingPathComponent("sse-s3-root-keys.json")
    }

    public static func load(dataDir: String, operatorKey: String?) throws -> RootKeyring {
        if let operatorKey {
            guard let bytes = Base64.decode(operatorKey.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
                throw ConfigurationError("COFFER_SSE_S3_ROOT_KEY must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)")
            }
            return try RootKeyring(keys: [1: SecretBytes(bytes)], currentVersion: 1)
        }
        let file = path(dataDir: dataDir)
        if FileManager.default.fileExists(atPath: file) {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let format = try? JSONDecoder().decode(FileFormat.self, from: data) else {
                throw ConfigurationError("\(file) is not a valid root key file")
            }
            var keys: [Int: SecretBytes] = [:]
            for (version, text) in format.keys {
                guard let v = Int(version), let bytes = Base64.decode(text), bytes.count == 32 else {
                    throw ConfigurationError("\(file): root key version \(version) is not 32 base64 bytes")
                }
                keys[v] = SecretBytes(bytes)
            }
            return try RootKeyring(keys: keys, currentVersion: format.currentVersion)
        }
        let keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        try save(keyring, dataDir: dataDir)
        return keyring
    }

    /// Writes the keyring atomically (temporary file, fsync, rename) with mode 0600.
    public static func save(_ keyring: RootKeyring, dataDir: String) throws {
        let file = path(dataDir: dataDir)
        let directory = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var keys: [String: String] = [:]
        for (version, key) in keyring.keys { keys[String(version)] = Base64.encode(key.copyBytes()) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(FileFormat(currentVersion: keyring.currentVersion, keys: keys))
        let temporary = file + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ConfigurationError("cannot write \(temporary): errno \(errno)") }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, file) == 0 else { throw ConfigurationError("cannot write \(file)") }
    }
}

extension RootKeyring {
    /// A key check value of the current root key: `v<version>:` and the hex of the first 16
    /// bytes of HMAC-SHA256(key, "coffer root key check v1"). It identifies the key without
    /// revealing it (a MAC under the key, of a fixed message), so nodes that share a store can
    /// compare theirs through the store (`SharedStore.adoptRootKeyCheck`).
    public var keyCheckValue: String {
        let mac = keys[currentVersion].map { key in key.withUnsafeBytes { HMACSHA256.authenticate(Array("coffer root key check v1".utf8), key: Array($0)) } } ?? []
        return "v\(currentVersion):" + mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
