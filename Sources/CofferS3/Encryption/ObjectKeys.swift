import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation

/// How objects' data keys are made, sealed at rest and recovered (docs/key-hierarchy.md),
/// and how each blob's packages are sealed (docs/sealed-object-format.md). Every object is
/// encrypted: there is no plaintext storage mode.
struct ObjectKeys: Sendable {
    /// Whether a record was written with SSE-S3 (its ETag is the plaintext MD5).
    static func isSSES3(_ encryption: ObjectEncryption?) -> Bool { (encryption?.mode ?? .sseS3) == .sseS3 }

    /// Whether a record was written with SSE-C.
    static func isSSEC(_ encryption: ObjectEncryption?) -> Bool { encryption?.mode == .sseC }

    /// A blob's seal header (`BlobRef.header`): no secret, only what opening needs.
    /// The seal header of a blob (docs/sealed-object-format.md), a small JSON object in the
    /// blob's reference. Written and read by hand: every PUT writes one and every GET reads
    /// one. Stores written before hold `JSONEncoder`'s form (keys in any order, `/` escaped),
    /// which reads the same.
    struct BlobHeader: Equatable {
        var v: Int
        var salt: String
        var part: UInt32

        /// `{"v":2,"salt":"...","part":N}` (`"v":1` for format 1); base64 needs no escaping.
        var json: String { #"{"v":\#(v),"salt":"\#(salt)","part":\#(part)}"# }

        init(v: Int, salt: String, part: UInt32) {
            self.v = v
            self.salt = salt
            self.part = part
        }

        /// The header in `json`; nil unless it is one JSON object with all three fields.
        init?(json: String) {
            var reader = RecordJSONReader(Array(json.utf8))
            var v: Int?, salt: String?, part: UInt32?
            do {
                try reader.beginObject()
                while let name = try reader.nextKey() {
                    switch name {
                    case "v": v = try reader.int()
                    case "salt": salt = try reader.string()
                    case "part": part = UInt32(exactly: try reader.int64())
                    default: try reader.skipValue()
                    }
                }
                try reader.finish()
            } catch {
                return nil
            }
            guard let v, let salt, let part else { return nil }
            self.init(v: v, salt: salt, part: part)
        }
    }

    let keyring: RootKeyring
    /// The key service for SSE-KMS, with its caches; nil only in benchmarks of the pipeline.
    var kms: KMSKeys?
    /// How packages are sealed and opened: the sealed-object format, unless a benchmark
    /// injects its own stage (`PipelineBenchmark.plainCopyStage`) to measure what sealing costs.
    var stage: any PackageStage = SealedPackageStage()

    /// A fresh data key for a new object (or multipart upload) and the record's encryption
    /// that keeps it: sealed under the customer's key for SSE-C, else under the current root key.
    func newObject(bucket: String, key: String, customerKey: CustomerKey? = nil) throws -> (dataKey: SecretBytes, encryption: ObjectEncryption) {
        let dataKey = KeyHierarchy.generateDataKey()
        let identity = SealedFormat.objectIdentity(bucket: bucket, key: key)
        if let customerKey {
            let seal = try KeyHierarchy.sealSSEC(dataKey, customerKey: customerKey.key, identity: identity)
            return (dataKey, .sseC(.init(salt: seal.salt, keyCheck: seal.keyCheck, sealedKey: seal.sealedKey)))
        }
        let sealed = try KeyHierarchy.sealSSES3(dataKey, keyring: keyring, identity: identity)
        return (dataKey, .sseS3(.init(rootKeyVersion: sealed.rootKeyVersion, sealedKey: sealed.bytes)))
    }

    /// The data key of an existing object or upload, with S3's answers for the SSE-C key:
    /// an SSE-C object needs its key (400 without, 403 with a wrong one) and an SSE-S3 object
    /// refuses one (400). A record without encryption is refused loudly: it was not written by
    /// this server. `partOfUpload` selects S3's wording for UploadPart.
    func dataKey(encryption: ObjectEncryption?, bucket: String, key: String, customerKey: CustomerKey? = nil, partOfUpload: Bool = false) throws -> SecretBytes {
        guard let encryption else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries no encryption")
        }
        let identity = SealedFormat.objectIdentity(bucket: bucket, key: key)
        switch encryption {
        case .sseS3(let s3):
            if customerKey != nil {
                throw S3Error(.invalidRequest, partOfUpload
                    ? "The provided encryption parameters did not match the ones used originally."
                    : "The encryption parameters are not applicable to this object.")
            }
            return try KeyHierarchy.openSSES3(SealedDataKey(rootKeyVersion: s3.rootKeyVersion, bytes: s3.sealedKey), keyring: keyring, identity: identity)
        case .sseC(let c):
            guard let customerKey else {
                throw S3Error(.invalidRequest, partOfUpload
                    ? "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."
                    : "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
            }
            let seal = CustomerKeySeal(salt: c.salt, keyCheck: c.keyCheck, sealedKey: c.sealedKey)
            guard KeyHierarchy.matchesSSEC(seal, customerKey: customerKey.key) else {
                if partOfUpload { throw S3Error(.invalidRequest, "The provided encryption parameters did not match the ones used originally.") }
                throw S3Error(.accessDenied)
            }
            return try KeyHierarchy.openSSEC(seal, customerKey: customerKey.key, identity: identity)
        case .sseKMS:
            if customerKey != nil {
                throw S3Error(.invalidRequest, partOfUpload
                    ? "The provided encryption parameters did not match the ones used originally."
                    : "The encryption parameters are not applicable to this object.")
            }
            throw CryptoError(.malformed, "an SSE-KMS data key needs the key service")
        }
    }

    /// The ETag of a body whose plaintext MD5 is `md5`: the MD5 itself for SSE-S3 (as S3),
    /// and for SSE-C a keyed digest, so that the ETag reveals nothing about the plaintext to
    /// whoever lacks the customer's key (S3's SSE-C ETags are not the MD5 either).
    /// `customerKey` is the (already checked) SSE-C key of the write, nil for SSE-S3.
    static func etag(md5: [UInt8], dataKey: SecretBytes, customerKey: CustomerKey?) -> String {
        etag(md5: md5, dataKey: dataKey, keyed: customerKey != nil)
    }

    /// `keyed` for SSE-C and SSE-KMS objects (S3's ETags of both are not the MD5).
    static func etag(md5: [UInt8], dataKey: SecretBytes, keyed: Bool) -> String {
        keyed ? Hex.encode(KeyHierarchy.keyedETag(md5: md5, dataKey: dataKey)) : Hex.encode(md5)
    }

    /// The encryption with the data key re-sealed under the current root key, or nil when it
    /// already is (rotation: the data key, and so the stored packages, do not change).
    func resealed(encryption: ObjectEncryption?, bucket: String, key: String) throws -> ObjectEncryption? {
        guard let encryption else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries no encryption")
        }
        // SSE-C and SSE-KMS data keys are sealed under the customer's key or the key service's:
        // the root key never touched them.
        guard case .sseS3(let s3) = encryption, s3.rootKeyVersion != keyring.currentVersion else { return nil }
        let sealed = try KeyHierarchy.resealSSES3(
            SealedDataKey(rootKeyVersion: s3.rootKeyVersion, bytes: s3.sealedKey), keyring: keyring,
            identity: SealedFormat.objectIdentity(bucket: bucket, key: key))
        return .sseS3(.init(rootKeyVersion: sealed.rootKeyVersion, sealedKey: sealed.bytes))
    }

    /// The root key version a record's data key is sealed under (SSE-S3 only).
    static func rootKeyVersion(of encryption: ObjectEncryption?) -> Int? {
        if case .sseS3(let s3) = encryption { return s3.rootKeyVersion }
        return nil
    }

    /// Seals the packages of one new blob of the version whose nonce is `versionNonce`
    /// (sealed-object format 2). nil only for the parts of an upload created before format 2,
    /// which have no nonce to bind and are sealed in format 1.
    func sealer(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, partNumber: Int) -> any PackageSealing {
        stage.sealer(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce, partNumber: partNumber)
    }

    /// Opens the packages of an existing blob, from its seal header and the nonce of the
    /// version it belongs to (``ObjectRecord/boundVersionNonce()``).
    func opener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, blob: BlobRef) throws -> any PackageOpening {
        try stage.opener(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce, blob: blob)
    }

    /// One opener per segment of `record`, under its (opened) data key. A record whose nonce
    /// disagrees with its version id gets openers that refuse every package: the object is
    /// damaged, and a read says so (500) without a byte of it.
    func openers(dataKey: SecretBytes, record: ObjectRecord) throws -> [any PackageOpening] {
        let versionNonce: VersionNonce?
        do {
            versionNonce = try record.boundVersionNonce()
        } catch {
            return record.segments.map { _ in RefusingOpener(cause: error) }
        }
        return try record.segments.map { try opener(dataKey: dataKey, bucket: record.bucket, key: record.key, versionNonce: versionNonce, blob: $0) }
    }

    static func sealedOpener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, blob: BlobRef) throws -> any PackageOpening {
        guard let seal = BlobSeal(blob: blob) else {
            throw CryptoError(.malformed, "a blob of \(bucket)/\(key) has no valid seal header")
        }
        return seal.opener(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce)
    }
}

/// The stage of the body pipeline that turns a 64 KiB plaintext package into what is stored,
/// and back. Coffer's only production stage is `SealedPackageStage` (the sealed-object
/// format); a benchmark injects another (`PipelineBenchmark.plainCopyStage`) to measure it.
public protocol PackageStage: Sendable {
    func sealer(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, partNumber: Int) -> any PackageSealing
    func opener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, blob: BlobRef) throws -> any PackageOpening
}

/// Seals one blob's packages.
public protocol PackageSealing: Sendable {
    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8]
    /// The blob's header (`BlobRef.header`).
    var header: String { get }
}

/// The reading side of `PackageSealing`.
public protocol PackageOpening: Sendable {
    func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8]
}

/// The sealed-object format (docs/sealed-object-format.md): AES-256-GCM packages under a
/// per-blob key derived from the object's data key, bound to the version's nonce (format 2).
public struct SealedPackageStage: PackageStage {
    public init() {}

    public func sealer(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, partNumber: Int) -> any PackageSealing {
        guard let versionNonce else {
            return BlobSealer(context: .forWritingVersion1(dataKey: dataKey, bucket: bucket, key: key, partNumber: UInt32(partNumber)))
        }
        return BlobSealer(context: .forWriting(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce.bytes, partNumber: UInt32(partNumber)))
    }

    public func opener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, blob: BlobRef) throws -> any PackageOpening {
        try ObjectKeys.sealedOpener(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce, blob: blob)
    }
}

extension BlobSealingContext: PackageOpening {}

/// The opener of a blob that must not open (a format 2 blob whose record has no nonce, a
/// record whose nonce is not its version id's): every package fails with `cause`, so a read
/// reports a damaged object instead of serving it.
struct RefusingOpener: PackageOpening {
    let cause: any Error

    func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8] {
        throw cause
    }
}

/// Seals one blob's packages and names the header that opens them again.
struct BlobSealer: PackageSealing {
    let context: BlobSealingContext

    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8] {
        try context.seal(plaintext, index: index, isFinal: isFinal)
    }

    var header: String {
        ObjectKeys.BlobHeader(v: Int(context.version.rawValue), salt: Base64.encode(context.salt), part: context.partNumber).json
    }
}
