/// The server root keys of SSE-S3, by version. The newest version seals new data keys; every
/// older version stays to open what it sealed (docs/key-hierarchy.md).
public struct RootKeyring: Sendable {
    public private(set) var keys: [Int: SecretBytes]
    public private(set) var currentVersion: Int

    public init(keys: [Int: SecretBytes], currentVersion: Int) throws(CryptoError) {
        guard let current = keys[currentVersion], current.count == 32, keys.values.allSatisfy({ $0.count == 32 }) else {
            throw CryptoError(.invalidKey, "every root key must be 32 bytes and the current version must exist")
        }
        self.keys = keys
        self.currentVersion = currentVersion
    }

    /// Adds a fresh random version and makes it current.
    public mutating func rotate() -> Int {
        let version = (keys.keys.max() ?? 0) + 1
        keys[version] = SecretBytes.random(count: 32)
        currentVersion = version
        return version
    }

    /// The key-encryption key derived from root key `version`.
    func kek(version: Int) throws(CryptoError) -> SecretBytes {
        guard let root = keys[version] else { throw CryptoError(.invalidKey, "root key version \(version) is not in the keyring") }
        return HKDFSHA256.deriveKey(inputKeyMaterial: root, salt: [], info: KeyHierarchy.sseS3KEKInfo)
    }
}

/// A data key sealed under a key-encryption key: `nonce ‖ ciphertext ‖ tag` (60 bytes).
public struct SealedDataKey: Sendable, Equatable {
    public var rootKeyVersion: Int
    public var bytes: [UInt8]

    public init(rootKeyVersion: Int, bytes: [UInt8]) {
        self.rootKeyVersion = rootKeyVersion
        self.bytes = bytes
    }
}

/// Sealing and opening per-object data keys (docs/key-hierarchy.md).
public enum KeyHierarchy {
    static let sseS3KEKInfo = Array("coffer/key-hierarchy/v1/sse-s3-kek".utf8)
    static let sseS3Label = Array("coffer/key-hierarchy/v1/sse-s3".utf8)
    public static let dataKeyByteCount = 32
    /// A data key sealed under a key-encryption key or a bucket key: `nonce ‖ ciphertext ‖ tag`.
    public static let sealedKeyByteCount = AES256GCM.nonceByteCount + dataKeyByteCount + AES256GCM.tagByteCount

    /// A fresh random 256-bit data key.
    public static func generateDataKey() -> SecretBytes { SecretBytes.random(count: dataKeyByteCount) }

    static func sseS3AAD(version: Int, identity: [UInt8]) -> [UInt8] {
        sseS3Label + withUnsafeBytes(of: UInt32(version).bigEndian) { Array($0) } + identity
    }

    /// Seals `dataKey` under the keyring's current root key, bound to the object identity.
    public static func sealSSES3(_ dataKey: SecretBytes, keyring: RootKeyring, identity: [UInt8]) throws(CryptoError) -> SealedDataKey {
        try sealSSES3(dataKey, keyring: keyring, identity: identity, nonce: secureRandomBytes(AES256GCM.nonceByteCount))
    }

    /// `sealSSES3` with a given nonce: the known-answer tests pin the derivation with it.
    static func sealSSES3(_ dataKey: SecretBytes, keyring: RootKeyring, identity: [UInt8], nonce: [UInt8]) throws(CryptoError) -> SealedDataKey {
        let version = keyring.currentVersion
        let sealed = try sealKey(dataKey, under: try keyring.kek(version: version), nonce: nonce, authenticating: sseS3AAD(version: version, identity: identity))
        return SealedDataKey(rootKeyVersion: version, bytes: nonce + sealed)
    }

    /// AES-256-GCM of a key under a key-encryption key, without an unzeroed copy of the key:
    /// `ciphertext ‖ tag` (the caller prepends the nonce).
    static func sealKey(_ key: SecretBytes, under kek: SecretBytes, nonce: [UInt8], authenticating aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        let result: Result<[UInt8], CryptoError> = key.withUnsafeBytes { bytes in
            do throws(CryptoError) { return .success(try AES256GCM.seal(bytes, key: kek, nonce: nonce, authenticating: aad)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Opens `nonce ‖ ciphertext ‖ tag` of a 256-bit key; `.authenticationFailure` for a wrong
    /// length, key, nonce or associated data.
    static func openKey(_ sealed: [UInt8], under kek: SecretBytes, authenticating aad: [UInt8], what: String) throws(CryptoError) -> SecretBytes {
        guard sealed.count == sealedKeyByteCount else { throw CryptoError(.authenticationFailure, "\(what) has the wrong length") }
        let nonce = Array(sealed.prefix(AES256GCM.nonceByteCount))
        return SecretBytes(try AES256GCM.open(Array(sealed.dropFirst(AES256GCM.nonceByteCount)), key: kek, nonce: nonce, authenticating: aad))
    }

    /// Opens a data key sealed by `sealSSES3`; `.authenticationFailure` if anything differs.
    public static func openSSES3(_ sealed: SealedDataKey, keyring: RootKeyring, identity: [UInt8]) throws(CryptoError) -> SecretBytes {
        try openKey(sealed.bytes, under: try keyring.kek(version: sealed.rootKeyVersion),
                    authenticating: sseS3AAD(version: sealed.rootKeyVersion, identity: identity), what: "sealed data key")
    }

    /// Re-seals under the current root key (rotation): the data key, and so the object's
    /// packages, stay as they are.
    public static func resealSSES3(_ sealed: SealedDataKey, keyring: RootKeyring, identity: [UInt8]) throws(CryptoError) -> SealedDataKey {
        try sealSSES3(try openSSES3(sealed, keyring: keyring, identity: identity), keyring: keyring, identity: identity)
    }
}

/// An SSE-C data key at rest: sealed under a key derived from the customer's key with a
/// random salt, plus a salted HMAC that recognises the customer's key. The customer's key
/// itself is never stored (docs/key-hierarchy.md).
public struct CustomerKeySeal: Sendable, Equatable {
    public var salt: [UInt8]
    public var keyCheck: [UInt8]
    public var sealedKey: [UInt8]

    public init(salt: [UInt8], keyCheck: [UInt8], sealedKey: [UInt8]) {
        self.salt = salt
        self.keyCheck = keyCheck
        self.sealedKey = sealedKey
    }
}

extension KeyHierarchy {
    static let sseCKEKInfo = Array("coffer/key-hierarchy/v1/sse-c-kek".utf8)
    static let sseCCheckLabel = Array("coffer/key-hierarchy/v1/sse-c-key-check".utf8)
    static let sseCLabel = Array("coffer/key-hierarchy/v1/sse-c".utf8)

    static func sseCKeyCheck(_ customerKey: SecretBytes, salt: [UInt8]) -> [UInt8] {
        customerKey.withUnsafeBytes { HMACSHA256.authenticate(sseCCheckLabel + Array($0), key: salt) }
    }

    /// Seals `dataKey` under the customer's 256-bit key, bound to the object identity.
    public static func sealSSEC(_ dataKey: SecretBytes, customerKey: SecretBytes, identity: [UInt8]) throws(CryptoError) -> CustomerKeySeal {
        try sealSSEC(dataKey, customerKey: customerKey, identity: identity, salt: secureRandomBytes(32), nonce: secureRandomBytes(AES256GCM.nonceByteCount))
    }

    /// `sealSSEC` with a given salt and nonce: the known-answer tests pin the derivation with them.
    static func sealSSEC(_ dataKey: SecretBytes, customerKey: SecretBytes, identity: [UInt8], salt: [UInt8], nonce: [UInt8]) throws(CryptoError) -> CustomerKeySeal {
        guard customerKey.count == 32 else { throw CryptoError(.invalidKey, "an SSE-C key is 32 bytes") }
        let kek = HKDFSHA256.deriveKey(inputKeyMaterial: customerKey, salt: salt, info: sseCKEKInfo)
        let sealed = try sealKey(dataKey, under: kek, nonce: nonce, authenticating: sseCLabel + identity)
        return CustomerKeySeal(salt: salt, keyCheck: sseCKeyCheck(customerKey, salt: salt), sealedKey: nonce + sealed)
    }

    /// Whether `customerKey` is the key the object was sealed with (constant time).
    public static func matchesSSEC(_ seal: CustomerKeySeal, customerKey: SecretBytes) -> Bool {
        constantTimeEquals(sseCKeyCheck(customerKey, salt: seal.salt), seal.keyCheck)
    }

    /// Opens the data key with the customer's key; `.authenticationFailure` for a wrong key.
    public static func openSSEC(_ seal: CustomerKeySeal, customerKey: SecretBytes, identity: [UInt8]) throws(CryptoError) -> SecretBytes {
        guard customerKey.count == 32, matchesSSEC(seal, customerKey: customerKey) else {
            throw CryptoError(.authenticationFailure, "the SSE-C key does not open this object")
        }
        let kek = HKDFSHA256.deriveKey(inputKeyMaterial: customerKey, salt: seal.salt, info: sseCKEKInfo)
        return try openKey(seal.sealedKey, under: kek, authenticating: sseCLabel + identity, what: "SSE-C sealed data key")
    }
}
