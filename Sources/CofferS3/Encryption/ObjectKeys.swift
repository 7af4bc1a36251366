import CofferCrypto
import CofferStorage
import Foundation

/// How objects' data keys are made, sealed at rest and recovered (docs/key-hierarchy.md),
/// and how each blob's packages are sealed (docs/sealed-object-format.md). Every object is
/// encrypted: there is no plaintext storage mode.
struct ObjectKeys: Sendable {
    /// The record extension that holds an object's (or upload's) encryption info.
    static let extensionKey = "sse"

    /// What a record says about its encryption: the mode and the sealed data key.
    struct Info: Codable, Equatable {
        var v: Int = 1
        /// `AES256` (SSE-S3).
        var mode: String
        var rootKeyVersion: Int
        /// base64(nonce ‖ sealed data key ‖ tag).
        var sealedKey: String
    }

    /// A blob's seal header (`BlobRef.header`): no secret, only what opening needs.
    struct BlobHeader: Codable, Equatable {
        var v: Int
        var salt: String
        var part: UInt32
    }

    let keyring: RootKeyring

    /// A fresh data key for a new object (or multipart upload) and the record extensions
    /// that keep it, sealed under the current root key.
    func newObject(bucket: String, key: String) throws -> (dataKey: SecretBytes, extensions: [String: String]) {
        let dataKey = KeyHierarchy.generateDataKey()
        let sealed = try KeyHierarchy.sealSSES3(dataKey, keyring: keyring, identity: SealedFormat.objectIdentity(bucket: bucket, key: key))
        let info = Info(mode: "AES256", rootKeyVersion: sealed.rootKeyVersion, sealedKey: Base64.encode(sealed.bytes))
        return (dataKey, [Self.extensionKey: String(decoding: try JSONEncoder().encode(info), as: UTF8.self)])
    }

    /// The data key of an existing object or upload. A record without encryption info, or
    /// whose key does not open, is refused loudly: it was not written by this server.
    func dataKey(extensions: [String: String], bucket: String, key: String) throws -> SecretBytes {
        guard let json = extensions[Self.extensionKey], let info = try? JSONDecoder().decode(Info.self, from: Data(json.utf8)),
            info.v == 1, info.mode == "AES256", let bytes = Base64.decode(info.sealedKey)
        else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries no valid encryption info")
        }
        return try KeyHierarchy.openSSES3(
            SealedDataKey(rootKeyVersion: info.rootKeyVersion, bytes: bytes), keyring: keyring,
            identity: SealedFormat.objectIdentity(bucket: bucket, key: key))
    }

    /// The extensions with the data key re-sealed under the current root key, or nil when it
    /// already is (rotation: the data key, and so the stored packages, do not change).
    func resealed(extensions: [String: String], bucket: String, key: String) throws -> [String: String]? {
        guard let json = extensions[Self.extensionKey], let info = try? JSONDecoder().decode(Info.self, from: Data(json.utf8)) else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries no valid encryption info")
        }
        guard info.rootKeyVersion != keyring.currentVersion, let bytes = Base64.decode(info.sealedKey) else { return nil }
        let sealed = try KeyHierarchy.resealSSES3(
            SealedDataKey(rootKeyVersion: info.rootKeyVersion, bytes: bytes), keyring: keyring,
            identity: SealedFormat.objectIdentity(bucket: bucket, key: key))
        var updated = extensions
        let newInfo = Info(mode: info.mode, rootKeyVersion: sealed.rootKeyVersion, sealedKey: Base64.encode(sealed.bytes))
        updated[Self.extensionKey] = String(decoding: try JSONEncoder().encode(newInfo), as: UTF8.self)
        return updated
    }

    /// The root key version a record's data key is sealed under.
    static func rootKeyVersion(of extensions: [String: String]) -> Int? {
        guard let json = extensions[extensionKey], let info = try? JSONDecoder().decode(Info.self, from: Data(json.utf8)) else { return nil }
        return info.rootKeyVersion
    }

    /// Seals the packages of one new blob.
    func sealer(dataKey: SecretBytes, bucket: String, key: String, partNumber: Int) -> BlobSealer {
        BlobSealer(context: .forWriting(dataKey: dataKey, bucket: bucket, key: key, partNumber: UInt32(partNumber)))
    }

    /// Opens the packages of an existing blob, from its seal header.
    func opener(dataKey: SecretBytes, bucket: String, key: String, blob: BlobRef) throws -> BlobSealingContext {
        guard let json = blob.header, let header = try? JSONDecoder().decode(BlobHeader.self, from: Data(json.utf8)),
            header.v == Int(SealedFormat.version), let salt = Base64.decode(header.salt), salt.count == SealedFormat.saltByteCount
        else {
            throw CryptoError(.malformed, "a blob of \(bucket)/\(key) has no valid seal header")
        }
        return BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key), partNumber: header.part)
    }
}

/// Seals one blob's packages and names the header that opens them again.
struct BlobSealer: Sendable {
    let context: BlobSealingContext

    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8] {
        try context.seal(plaintext, index: index, isFinal: isFinal)
    }

    var header: String {
        let header = ObjectKeys.BlobHeader(v: Int(SealedFormat.version), salt: Base64.encode(context.salt), part: context.partNumber)
        return String(decoding: (try? JSONEncoder().encode(header)) ?? Data(), as: UTF8.self)
    }
}
