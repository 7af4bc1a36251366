/// The sealed-object format: frozen constants and the per-package derivations of each version.
/// `docs/sealed-object-format.md` is the specification; the known-answer vectors in
/// `Tests/CofferCryptoTests/Vectors/sealed-format-v1.json` and `sealed-format-v2.json` pin it.
/// Version 1 binds the object (bucket and key); version 2 also binds the version's nonce, so a
/// version's packages open as no other version of the same key. Readers open both.
public enum SealedFormat {
    /// The version every new blob is written in.
    public static let writtenVersion = SealedFormatVersion.v2
    /// Plaintext bytes per package; every package but a blob's last is full.
    public static let packageSize = 65536
    public static let packageOverhead = AES256GCM.tagByteCount
    public static let saltByteCount = 32
    /// The length of the version nonce version 2 binds.
    public static let versionNonceByteCount = 16

    static let blobKeyInfo = Array("coffer/sealed-object/v1/blob-key".utf8)
    static let aadLabel = Array("coffer/sealed-object/v1".utf8)
    static let blobKeyInfoV2 = Array("coffer/sealed-object/v2/blob-key".utf8)
    static let aadLabelV2 = Array("coffer/sealed-object/v2".utf8)

    /// SHA-256 over the length-prefixed bucket and key: the object identity every package of
    /// version 1 binds.
    public static func objectIdentity(bucket: String, key: String) -> [UInt8] {
        SHA256.hash(identityPrefix(bucket: bucket, key: key))
    }

    /// SHA-256 over the length-prefixed bucket and key and the version's 16-byte nonce: the
    /// version identity every package of version 2 binds.
    public static func versionIdentity(bucket: String, key: String, versionNonce: [UInt8]) -> [UInt8] {
        precondition(versionNonce.count == versionNonceByteCount, "a version nonce has 16 bytes")
        return SHA256.hash(identityPrefix(bucket: bucket, key: key) + versionNonce)
    }

    private static func identityPrefix(bucket: String, key: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for part in [bucket, key] {
            let utf8 = Array(part.utf8)
            bytes += withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { Array($0) }
            bytes += utf8
        }
        return bytes
    }

    /// The key of one blob (version 1 unless `version` says otherwise).
    public static func blobKey(dataKey: SecretBytes, salt: [UInt8], version: SealedFormatVersion = .v1) -> SecretBytes {
        HKDFSHA256.deriveKey(inputKeyMaterial: dataKey, salt: salt, info: version == .v1 ? blobKeyInfo : blobKeyInfoV2)
    }

    public static func nonce(index: UInt64) -> [UInt8] {
        [0, 0, 0, 0] + withUnsafeBytes(of: index.bigEndian) { Array($0) }
    }

    /// The associated data of package `index` (version 1 unless `version` says otherwise);
    /// `identity` is the object identity (version 1) or the version identity (version 2).
    public static func associatedData(identity: [UInt8], partNumber: UInt32, index: UInt64, isFinal: Bool, version: SealedFormatVersion = .v1) -> [UInt8] {
        var aad = version == .v1 ? aadLabel : aadLabelV2
        aad.reserveCapacity(aad.count + 32 + 4 + 8 + 1)
        aad += identity
        aad += withUnsafeBytes(of: partNumber.bigEndian) { Array($0) }
        aad += withUnsafeBytes(of: index.bigEndian) { Array($0) }
        aad.append(isFinal ? 1 : 0)
        return aad
    }
}

/// A version of the sealed-object format, the `v` of a blob's seal header.
public enum SealedFormatVersion: UInt8, Sendable, Hashable {
    /// Packages bind the object identity (bucket and key). Frozen; still read.
    case v1 = 1
    /// Packages bind the version identity (bucket, key and the version's nonce).
    case v2 = 2
}

/// What one blob's packages are sealed under: the blob key and the values its AAD binds.
/// Build one per blob (writing or reading); it is cheap to use per package.
public struct BlobSealingContext: Sendable {
    public let salt: [UInt8]
    public let partNumber: UInt32
    public let version: SealedFormatVersion
    let identity: [UInt8]
    let key: SecretBytes

    /// A context for a new blob of version 2, bound to the version whose nonce is
    /// `versionNonce` (16 bytes): draws a fresh random salt.
    public static func forWriting(dataKey: SecretBytes, bucket: String, key: String, versionNonce: [UInt8], partNumber: UInt32) -> BlobSealingContext {
        let salt = secureRandomBytes(SealedFormat.saltByteCount)
        return BlobSealingContext(
            dataKey: dataKey, salt: salt, identity: SealedFormat.versionIdentity(bucket: bucket, key: key, versionNonce: versionNonce),
            partNumber: partNumber, version: .v2)
    }

    /// A context for a new blob of version 1, which binds no version: only for the parts of a
    /// multipart upload created before version 2 (its object has no nonce to bind).
    public static func forWritingVersion1(dataKey: SecretBytes, bucket: String, key: String, partNumber: UInt32) -> BlobSealingContext {
        let salt = secureRandomBytes(SealedFormat.saltByteCount)
        return BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key), partNumber: partNumber)
    }

    /// A context for an existing blob, from its seal header's version, salt and part number;
    /// `identity` is the object identity (version 1) or the version identity (version 2).
    public init(dataKey: SecretBytes, salt: [UInt8], identity: [UInt8], partNumber: UInt32, version: SealedFormatVersion = .v1) {
        self.salt = salt
        self.partNumber = partNumber
        self.version = version
        self.identity = identity
        self.key = SealedFormat.blobKey(dataKey: dataKey, salt: salt, version: version)
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
        SealedFormat.associatedData(identity: identity, partNumber: partNumber, index: UInt64(index), isFinal: isFinal, version: version)
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
