/// The sealed-object format, version 1: frozen constants and the per-package derivations.
/// `docs/sealed-object-format.md` is the specification; the known-answer vectors in
/// `Tests/CofferCryptoTests/Vectors/sealed-format-v1.json` pin it.
public enum SealedFormat {
    public static let version: UInt8 = 1
    /// Plaintext bytes per package; every package but a blob's last is full.
    public static let packageSize = 65536
    public static let packageOverhead = AES256GCM.tagByteCount
    public static let saltByteCount = 32

    static let blobKeyInfo = Array("coffer/sealed-object/v1/blob-key".utf8)
    static let aadLabel = Array("coffer/sealed-object/v1".utf8)

    /// SHA-256 over the length-prefixed bucket and key: the object identity every package binds.
    public static func objectIdentity(bucket: String, key: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for part in [bucket, key] {
            let utf8 = Array(part.utf8)
            bytes += withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { Array($0) }
            bytes += utf8
        }
        return SHA256.hash(bytes)
    }

    public static func blobKey(dataKey: SecretBytes, salt: [UInt8]) -> SecretBytes {
        HKDFSHA256.deriveKey(inputKeyMaterial: dataKey, salt: salt, info: blobKeyInfo)
    }

    public static func nonce(index: UInt64) -> [UInt8] {
        [0, 0, 0, 0] + withUnsafeBytes(of: index.bigEndian) { Array($0) }
    }

    public static func associatedData(identity: [UInt8], partNumber: UInt32, index: UInt64, isFinal: Bool) -> [UInt8] {
        var aad = aadLabel
        aad.reserveCapacity(aadLabel.count + 32 + 4 + 8 + 1)
        aad += identity
        aad += withUnsafeBytes(of: partNumber.bigEndian) { Array($0) }
        aad += withUnsafeBytes(of: index.bigEndian) { Array($0) }
        aad.append(isFinal ? 1 : 0)
        return aad
    }
}

/// What one blob's packages are sealed under: the blob key and the values its AAD binds.
/// Build one per blob (writing or reading); it is cheap to use per package.
public struct BlobSealingContext: Sendable {
    public let salt: [UInt8]
    public let partNumber: UInt32
    let identity: [UInt8]
    let key: SecretBytes

    /// A context for a new blob: draws a fresh random salt.
    public static func forWriting(dataKey: SecretBytes, bucket: String, key: String, partNumber: UInt32) -> BlobSealingContext {
        let salt = secureRandomBytes(SealedFormat.saltByteCount)
        return BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key), partNumber: partNumber)
    }

    /// A context for an existing blob, from its seal header's salt and part number.
    public init(dataKey: SecretBytes, salt: [UInt8], identity: [UInt8], partNumber: UInt32) {
        self.salt = salt
        self.partNumber = partNumber
        self.identity = identity
        self.key = SealedFormat.blobKey(dataKey: dataKey, salt: salt)
    }

    /// Seals package `index` (at most `packageSize` bytes; only the final one may be short).
    public func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws(CryptoError) -> [UInt8] {
        try checkLength(plaintext.count, index: index, isFinal: isFinal)
        return try AES256GCM.seal(plaintext, key: key, nonce: SealedFormat.nonce(index: UInt64(index)), authenticating: aad(index, isFinal))
    }

    /// Seals package `index` from an array (see the buffer variant).
    public func seal(_ plaintext: [UInt8], index: Int, isFinal: Bool) throws(CryptoError) -> [UInt8] {
        try checkLength(plaintext.count, index: index, isFinal: isFinal)
        return try AES256GCM.seal(plaintext, key: key, nonce: SealedFormat.nonce(index: UInt64(index)), authenticating: aad(index, isFinal))
    }

    private func checkLength(_ count: Int, index: Int, isFinal: Bool) throws(CryptoError) {
        guard count <= SealedFormat.packageSize, isFinal || count == SealedFormat.packageSize else {
            throw CryptoError(.malformed, "package \(index) has \(count) bytes")
        }
    }

    private func aad(_ index: Int, _ isFinal: Bool) -> [UInt8] {
        SealedFormat.associatedData(identity: identity, partNumber: partNumber, index: UInt64(index), isFinal: isFinal)
    }

    /// Verifies and opens package `index`; throws `.authenticationFailure` for any tampering.
    public func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws(CryptoError) -> [UInt8] {
        guard stored.count >= SealedFormat.packageOverhead, stored.count <= SealedFormat.packageSize + SealedFormat.packageOverhead else {
            throw CryptoError(.authenticationFailure, "package \(index) has an impossible length")
        }
        let plaintext = try AES256GCM.open(stored, key: key, nonce: SealedFormat.nonce(index: UInt64(index)), authenticating: aad(index, isFinal))
        guard isFinal || plaintext.count == SealedFormat.packageSize else {
            throw CryptoError(.authenticationFailure, "package \(index) is short but not final")
        }
        return plaintext
    }
}
