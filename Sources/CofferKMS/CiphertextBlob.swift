import CofferCrypto
import Foundation

/// The built-in key service's ciphertext blob (docs/key-hierarchy.md, "Ciphertext blobs"):
///
/// ```
/// 0      1 byte   format version 0x01
/// 1      16 bytes key id (UUID, binary)
/// 17     4 bytes  key version (u32 BE)
/// 21     16 bytes salt
/// 37     12 bytes nonce
/// 49     n bytes  ciphertext
/// 49+n   16 bytes GCM tag
/// ```
///
/// The encryption key is HKDF-SHA256(material of that key version, salt,
/// "coffer/kms/v1/ciphertext"), so no two blobs share a GCM key. The associated data is
/// "coffer/kms/v1" ‖ bytes 0..<21 ‖ canonical(encryption context).
struct CiphertextBlob {
    static let formatVersion: UInt8 = 1
    static let headerCount = 21
    static let saltCount = 16
    static let overhead = headerCount + saltCount + AES256GCM.nonceByteCount + AES256GCM.tagByteCount
    static let label = Array("coffer/kms/v1".utf8)
    static let info = Array("coffer/kms/v1/ciphertext".utf8)

    var keyId: UUID
    var keyVersion: Int
    var salt: [UInt8]
    var nonce: [UInt8]
    var sealed: [UInt8]

    var header: [UInt8] {
        var out: [UInt8] = [Self.formatVersion]
        withUnsafeBytes(of: keyId.uuid) { out += $0 }
        out += withUnsafeBytes(of: UInt32(keyVersion).bigEndian) { Array($0) }
        return out
    }

    var bytes: [UInt8] { header + salt + nonce + sealed }

    /// Parses the framing only; authenticity is established by `open`.
    init?(parsing bytes: [UInt8]) {
        guard bytes.count >= Self.overhead, bytes[0] == Self.formatVersion else { return nil }
        let idBytes = Array(bytes[1..<17])
        keyId = idBytes.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        keyVersion = Int(bytes[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        salt = Array(bytes[21..<37])
        nonce = Array(bytes[37..<49])
        sealed = Array(bytes[49...])
    }

    static func seal(_ plaintext: SecretBytes, keyId: UUID, keyVersion: Int, material: SecretBytes, context: EncryptionContext) throws(CryptoError) -> CiphertextBlob {
        var blob = CiphertextBlob(keyId: keyId, keyVersion: keyVersion, salt: secureRandomBytes(saltCount), nonce: secureRandomBytes(AES256GCM.nonceByteCount), sealed: [])
        let key = HKDFSHA256.deriveKey(inputKeyMaterial: material, salt: blob.salt, info: info)
        let aad = blob.aad(context), nonce = blob.nonce
        let sealed: Result<[UInt8], CryptoError> = plaintext.withUnsafeBytes { bytes in
            do throws(CryptoError) { return .success(try AES256GCM.seal(bytes, key: key, nonce: nonce, authenticating: aad)) } catch { return .failure(error) }
        }
        blob.sealed = try sealed.get()
        return blob
    }

    func open(material: SecretBytes, context: EncryptionContext) throws(CryptoError) -> SecretBytes {
        let key = HKDFSHA256.deriveKey(inputKeyMaterial: material, salt: salt, info: Self.info)
        return SecretBytes(try AES256GCM.open(sealed, key: key, nonce: nonce, authenticating: aad(context)))
    }

    private func aad(_ context: EncryptionContext) -> [UInt8] {
        Self.label + header + EncryptionContextEncoding.canonical(context)
    }

    private init(keyId: UUID, keyVersion: Int, salt: [UInt8], nonce: [UInt8], sealed: [UInt8]) {
        self.keyId = keyId
        self.keyVersion = keyVersion
        self.salt = salt
        self.nonce = nonce
        self.sealed = sealed
    }
}
