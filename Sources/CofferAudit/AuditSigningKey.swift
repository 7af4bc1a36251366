import CofferCrypto
import Crypto
import Foundation

/// The Ed25519 key pair that signs digest files, kept beside the SSE-S3 root keys in
/// `<data-dir>/keys`: the private key in ``privateKeyFileName`` (mode 0600, directory 0700),
/// the public key in ``publicKeyFileName``. Both files hold the base64 of the 32-byte raw key
/// and a line feed. The pair is created on first use.
public enum AuditSigningKey {
    /// The private key file's name inside the key directory.
    public static let privateKeyFileName = "audit-digest-ed25519.key"
    /// The public key file's name inside the key directory: what `coffer audit verify` reads.
    public static let publicKeyFileName = "audit-digest-ed25519.pub"

    /// Reads the 32-byte public key from `<keyDirectory>/audit-digest-ed25519.pub`.
    public static func loadPublicKey(keyDirectory: String) throws -> [UInt8] {
        let path = (keyDirectory as NSString).appendingPathComponent(publicKeyFileName)
        guard AuditFileIO.exists(path) else { throw AuditError(.signingKey, "no audit public key at \(path)") }
        let text = String(decoding: try AuditFileIO.read(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Base64.decode(text), bytes.count == 32 else {
            throw AuditError(.signingKey, "\(path) is not the base64 of a 32-byte Ed25519 public key")
        }
        return bytes
    }

    /// Lowercase hex SHA-256 of the raw public key: names the key in every digest.
    public static func fingerprint(publicKey: [UInt8]) -> String { Hex.encode(CofferCrypto.SHA256.hash(publicKey)) }

    /// Whether `signature` is a valid Ed25519 signature of `message` under `publicKey`.
    static func isValid(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// Loads the private key, creating the pair when there is none; rewrites a missing or
    /// mismatched public key file from the private key.
    static func loadOrCreate(keyDirectory: String) throws -> AuditSigner {
        try AuditFileIO.makeDirectory(keyDirectory, mode: 0o700)
        let privatePath = (keyDirectory as NSString).appendingPathComponent(privateKeyFileName)
        let publicPath = (keyDirectory as NSString).appendingPathComponent(publicKeyFileName)
        let key: Curve25519.Signing.PrivateKey
        if AuditFileIO.exists(privatePath) {
            let text = String(decoding: try AuditFileIO.read(privatePath), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let raw = Base64.decode(text), raw.count == 32, let loaded = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
                throw AuditError(.signingKey, "\(privatePath) is not a valid audit signing key")
            }
            key = loaded
        } else {
            key = Curve25519.Signing.PrivateKey()
            let text = Array((Base64.encode(key.rawRepresentation) + "\n").utf8)
            try AuditFileIO.writeAtomically(privatePath, text, mode: 0o600)
        }
        let publicKey = [UInt8](key.publicKey.rawRepresentation)
        let publicText = Array((Base64.encode(publicKey) + "\n").utf8)
        if (try? AuditFileIO.read(publicPath)) != publicText {
            try AuditFileIO.writeAtomically(publicPath, publicText, mode: 0o644)
        }
        return AuditSigner(key: key)
    }
}

/// The private half, kept in memory by the writer. Its description never shows the key.
/// `@unchecked`: the key is an immutable value that swift-crypto does not mark `Sendable`.
struct AuditSigner: @unchecked Sendable, CustomStringConvertible {
    private let key: Curve25519.Signing.PrivateKey

    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    var publicKey: [UInt8] { [UInt8](key.publicKey.rawRepresentation) }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        do {
            return [UInt8](try key.signature(for: message))
        } catch {
            throw AuditError(.signingKey, "Ed25519 signing failed")
        }
    }

    var description: String { "AuditSigner(public key \(AuditSigningKey.fingerprint(publicKey: publicKey).prefix(16))…)" }
}
