import CofferCrypto
import CofferStorage
import Foundation

/// A key of the built-in key service as stored under `k keyId` (docs/key-hierarchy.md, "The
/// built-in key service"), read without the service: for checks of a store (`coffer fsck`),
/// which must open what the service opens but evaluate no key policy, honour no key state,
/// read no clock and write nothing (``BuiltInKeyService`` rotates and deletes keys that are
/// due as it resolves them).
///
/// Nothing here prints key material: errors name the key, its version and the root key
/// version, never a byte of what they could not open.
public struct StoredKMSKey: Sendable {
    let record: KMSKeyRecord

    /// Decodes a stored `k` value; `.invalidRecord` (or `.unsupportedRecordVersion`) otherwise.
    public init(encoded bytes: some Collection<UInt8>) throws(StorageError) {
        record = try KMSKeyRecord(encoded: bytes)
    }

    /// The key id the record names (a lower-case UUID in a well-formed store).
    public var keyId: String { record.keyId }
    /// The key's ARN.
    public var arn: String { record.arn }
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    public var state: String { record.state.rawValue }
    /// The key's material versions, oldest first.
    public var versions: [Int] { record.versions.map(\.version) }

    /// The SSE-S3 root key version that seals material `version`, or nil if there is no such
    /// version.
    public func rootKeyVersion(ofMaterial version: Int) -> Int? {
        record.versions.first { $0.version == version }?.material.rootKeyVersion
    }

    /// Opens material `version` with the SSE-S3 root keys. `.invalidKey` when the keyring
    /// lacks the root key version that sealed it, `.authenticationFailure` when it does not
    /// open (altered, or sealed under another root key), `.malformed` when it is not base64 or
    /// there is no such version.
    public func material(version: Int, keyring: RootKeyring) throws(CryptoError) -> SecretBytes {
        guard let entry = record.versions.first(where: { $0.version == version }) else {
            throw CryptoError(.malformed, "key \(record.keyId) has no material version \(version)")
        }
        return try entry.open(keyId: record.keyId, keyring: keyring)
    }

    /// Opens a ciphertext blob of this key, as Decrypt does but without a key policy or a key
    /// state: `.notFound` unless the blob is the built-in service's and names this key and one
    /// of its versions, `.invalidCiphertext` when it does not open under `context`,
    /// `.internalFailure` when the material itself does not open.
    public func decrypt(_ ciphertextBlob: [UInt8], context: EncryptionContext, keyring: RootKeyring) throws(KMSError) -> SecretBytes {
        guard let blob = CiphertextBlob(parsing: ciphertextBlob), blob.keyId.uuidString.lowercased() == record.keyId else {
            throw KMSError(.notFound, "the ciphertext was not made by key \(record.keyId)")
        }
        guard record.versions.contains(where: { $0.version == blob.keyVersion }) else {
            throw KMSError(.notFound, "key \(record.keyId) has no material version \(blob.keyVersion)")
        }
        let material: SecretBytes
        do { material = try self.material(version: blob.keyVersion, keyring: keyring) } catch {
            throw KMSError(.internalFailure, "material version \(blob.keyVersion) of key \(record.keyId) does not open: \(error.message)")
        }
        do { return try blob.open(material: material, context: context) } catch {
            throw KMSError(.invalidCiphertext, "the ciphertext does not open under key \(record.keyId) version \(blob.keyVersion) and its encryption context")
        }
    }

    /// The key id (lower-case UUID) a ciphertext blob of the built-in service names, or nil
    /// when the bytes are not framed as one (another key service's ciphertext, or damage).
    public static func keyId(ofCiphertextBlob bytes: [UInt8]) -> String? {
        CiphertextBlob(parsing: bytes)?.keyId.uuidString.lowercased()
    }
}

/// An alias of the built-in key service as stored under `a aliasName`.
public struct StoredKMSAlias: Sendable, Hashable {
    /// `alias/...`.
    public var name: String
    /// The key id the alias names.
    public var targetKeyId: String

    /// Decodes a stored `a` value; `.invalidRecord` (or `.unsupportedRecordVersion`) otherwise.
    public init(encoded bytes: some Collection<UInt8>) throws(StorageError) {
        let record = try KMSAliasRecord(encoded: bytes)
        name = record.name
        targetKeyId = record.targetKeyId
    }
}

extension KMSKeyRecord.Version {
    /// This version's material, opened with the SSE-S3 root keys (sealed like an SSE-S3 data
    /// key under the identity `coffer/kms/v1/key-material/<keyId>/<version>`).
    func open(keyId: String, keyring: RootKeyring) throws(CryptoError) -> SecretBytes {
        guard let sealed = Base64.decode(material.sealed) else {
            throw CryptoError(.malformed, "material version \(version) of key \(keyId) is not base64")
        }
        return try KeyHierarchy.openSSES3(SealedDataKey(rootKeyVersion: material.rootKeyVersion, bytes: sealed), keyring: keyring,
                                          identity: BuiltInKeyService.materialIdentity(keyId: keyId, version: version))
    }
}
