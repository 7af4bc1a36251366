import CofferS3
import CofferCrypto
import Foundation

/// The root user's credentials: from the environment or config when given, otherwise
/// generated on first start and kept in `<data-dir>/root-credentials.json` (mode 0600).
public struct RootCredentials: Codable, Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var accountId: String

    public static let fileName = "root-credentials.json"

    /// Loads or creates the data dir's credentials file; `accessKeyId`/`secretAccessKey`
    /// override the stored pair when both are given. Returns the credentials and whether they
    /// were generated now (so the caller can print them once).
    public static func loadOrCreate(dataDir: String, accessKeyId: String?, secretAccessKey: String?) throws -> (RootCredentials, generated: Bool) {
        let path = (dataDir as NSString).appendingPathComponent(fileName)
        var stored: RootCredentials?
        if FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            stored = try? JSONDecoder().decode(RootCredentials.self, from: data)
            if stored == nil { throw ConfigurationError("\(path) is not a valid credentials file") }
        }
        if (accessKeyId == nil) != (secretAccessKey == nil) {
            throw ConfigurationError("set both COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY, or neither")
        }
        let accountId = stored?.accountId ?? generateAccountId()
        if let accessKeyId, let secretAccessKey {
            guard accessKeyId.count >= 3, secretAccessKey.count >= 8 else {
                throw ConfigurationError("the root access key id needs 3 or more characters and the secret 8 or more")
            }
            let creds = RootCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, accountId: accountId)
            if stored == nil { try write(RootCredentials(accessKeyId: "", secretAccessKey: "", accountId: accountId), to: path, keepSecret: false) }
            return (creds, false)
        }
        if let stored, !stored.accessKeyId.isEmpty { return (stored, false) }
        let creds = RootCredentials(accessKeyId: generateAccessKeyId(), secretAccessKey: generateSecret(), accountId: accountId)
        try write(creds, to: path, keepSecret: true)
        return (creds, true)
    }

    private static func write(_ creds: RootCredentials, to path: String, keepSecret: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(creds)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ConfigurationError("cannot write \(path): errno \(errno)") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else { throw ConfigurationError("cannot write \(path)") }
    }

    static func generateAccessKeyId() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return "AKCF" + String(secureRandomBytes(16).map { alphabet[Int($0 & 31)] })
    }

    static func generateSecret() -> String {
        String(Base64.encode(secureRandomBytes(30)).map { $0 == "+" ? "A" : $0 == "/" ? "z" : $0 })
    }

    static func generateAccountId() -> String {
        String(secureRandomBytes(12).map { Character(String($0 % 10)) }).replacingOccurrences(of: "^0", with: "1", options: .regularExpression)
    }
}

extension RootCredentials: CustomStringConvertible {
    public var description: String { "RootCredentials(accessKeyId: \(accessKeyId), accountId: \(accountId), secretAccessKey: <redacted>)" }
}
