import CofferCrypto
import CofferKMS
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
        /// `AES256` (SSE-S3) or `SSE-C`.
        var mode: String
        /// SSE-S3: the root key version that seals the data key.
        var rootKeyVersion: Int?
        /// base64(nonce ‖ sealed data key ‖ tag).
        var sealedKey: String
        /// SSE-C: the salt of the key derivation and of the key check, and the salted HMAC
        /// that recognises the customer's key (never the key itself).
        var salt: String?
        var keyCheck: String?
        /// SSE-KMS: the KMS key's ARN, the full encryption context given to the key service,
        /// and with a bucket key the key service's ciphertext of the bucket key (the data key
        /// is then `sealedKey`, sealed under the bucket key); without one `sealedKey` is the
        /// key service's ciphertext of the data key itself.
        var kmsKeyArn: String?
        var context: [String: String]?
        var bucketKey: Bool?
        var bucketKeyBlob: String?

        static let sseS3 = "AES256"
        static let sseC = "SSE-C"
        static let sseKMS = "aws:kms"

        /// `x-amz-server-side-encryption-context` as S3 answers it: base64 of the context JSON.
        var contextHeader: String? {
            guard let context else { return nil }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(context)).map { Base64.encode(Array($0)) }
        }
    }

    static func info(_ extensions: [String: String]) -> Info? {
        extensions[extensionKey].flatMap { try? JSONDecoder().decode(Info.self, from: Data($0.utf8)) }
    }

    /// Whether a record was written with SSE-S3 (its ETag is the plaintext MD5).
    static func isSSES3(_ extensions: [String: String]) -> Bool { (info(extensions)?.mode ?? Info.sseS3) == Info.sseS3 }

    /// Whether a record was written with SSE-C.
    static func isSSEC(_ extensions: [String: String]) -> Bool { info(extensions)?.mode == Info.sseC }

    static func encode(_ info: Info) throws -> [String: String] {
        [extensionKey: String(decoding: try JSONEncoder().encode(info), as: UTF8.self)]
    }

    /// A blob's seal header (`BlobRef.header`): no secret, only what opening needs.
    struct BlobHeader: Codable, Equatable {
        var v: Int
        var salt: String
        var part: UInt32
    }

    let keyring: RootKeyring
    /// The key service for SSE-KMS, with its caches; nil only in benchmarks of the pipeline.
    var kms: KMSKeys?
    /// Benchmark only (`PipelineBenchmark`, `CofferServer.plainStageForBenchmark`): packages are
    /// copied instead of sealed, to measure what sealing costs. Never reachable from `coffer serve`.
    var plainStageForBenchmark = false

    /// A fresh data key for a new object (or multipart upload) and the record extensions
    /// that keep it: sealed under the customer's key for SSE-C, else under the current root key.
    func newObject(bucket: String, key: String, customerKey: CustomerKey? = nil) throws -> (dataKey: SecretBytes, extensions: [String: String]) {
        let dataKey = KeyHierarchy.generateDataKey()
        let identity = SealedFormat.objectIdentity(bucket: bucket, key: key)
        if let customerKey {
            let seal = try KeyHierarchy.sealSSEC(dataKey, customerKey: customerKey.key, identity: identity)
            let info = Info(mode: Info.sseC, rootKeyVersion: nil, sealedKey: Base64.encode(seal.sealedKey), salt: Base64.encode(seal.salt), keyCheck: Base64.encode(seal.keyCheck))
            return (dataKey, try Self.encode(info))
        }
        let sealed = try KeyHierarchy.sealSSES3(dataKey, keyring: keyring, identity: identity)
        let info = Info(mode: Info.sseS3, rootKeyVersion: sealed.rootKeyVersion, sealedKey: Base64.encode(sealed.bytes))
        return (dataKey, try Self.encode(info))
    }

    /// The data key of an existing object or upload, with S3's answers for the SSE-C key:
    /// an SSE-C object needs its key (400 without, 403 with a wrong one) and an SSE-S3 object
    /// refuses one (400). A record without valid encryption info is refused loudly: it was
    /// not written by this server. `partOfUpload` selects S3's wording for UploadPart.
    func dataKey(extensions: [String: String], bucket: String, key: String, customerKey: CustomerKey? = nil, partOfUpload: Bool = false) throws -> SecretBytes {
        guard let info = Self.info(extensions), info.v == 1, let sealedBytes = Base64.decode(info.sealedKey) else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries no valid encryption info")
        }
        let identity = SealedFormat.objectIdentity(bucket: bucket, key: key)
        switch info.mode {
        case Info.sseS3:
            if customerKey != nil {
                throw S3Error(.invalidRequest, partOfUpload
                    ? "The provided encryption parameters did not match the ones used originally."
                    : "The encryption parameters are not applicable to this object.")
            }
            guard let version = info.rootKeyVersion else { throw CryptoError(.malformed, "SSE-S3 info without a root key version") }
            return try KeyHierarchy.openSSES3(SealedDataKey(rootKeyVersion: version, bytes: sealedBytes), keyring: keyring, identity: identity)
        case Info.sseC:
            guard let customerKey else {
                throw S3Error(.invalidRequest, partOfUpload
                    ? "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."
                    : "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
            }
            guard let salt = info.salt.flatMap(Base64.decode), let check = info.keyCheck.flatMap(Base64.decode) else {
                throw CryptoError(.malformed, "SSE-C info without its salt or key check")
            }
            let seal = CustomerKeySeal(salt: salt, keyCheck: check, sealedKey: sealedBytes)
            guard KeyHierarchy.matchesSSEC(seal, customerKey: customerKey.key) else {
                if partOfUpload { throw S3Error(.invalidRequest, "The provided encryption parameters did not match the ones used originally.") }
                throw S3Error(.accessDenied)
            }
            return try KeyHierarchy.openSSEC(seal, customerKey: customerKey.key, identity: identity)
        case Info.sseKMS:
            if customerKey != nil {
                throw S3Error(.invalidRequest, partOfUpload
                    ? "The provided encryption parameters did not match the ones used originally."
                    : "The encryption parameters are not applicable to this object.")
            }
            throw CryptoError(.malformed, "an SSE-KMS data key needs the key service")
        default:
            throw CryptoError(.malformed, "unknown encryption mode \(info.mode)")
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

    /// The extensions with the data key re-sealed under the current root key, or nil when it
    /// already is (rotation: the data key, and so the stored packages, do not change).
    func resealed(extensions: [String: String], bucket: String, key: String) throws -> [String: String]? {
        guard let info = Self.info(extensions) else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries no valid encryption info")
        }
        // SSE-C data keys are sealed under the customer's key: the root key never touched them.
        guard info.mode == Info.sseS3, let version = info.rootKeyVersion, version != keyring.currentVersion,
            let bytes = Base64.decode(info.sealedKey)
        else { return nil }
        let sealed = try KeyHierarchy.resealSSES3(
            SealedDataKey(rootKeyVersion: version, bytes: bytes), keyring: keyring,
            identity: SealedFormat.objectIdentity(bucket: bucket, key: key))
        var updated = extensions
        let newInfo = Info(mode: info.mode, rootKeyVersion: sealed.rootKeyVersion, sealedKey: Base64.encode(sealed.bytes))
        updated.merge(try Self.encode(newInfo)) { _, new in new }
        return updated
    }

    /// The root key version a record's data key is sealed under.
    static func rootKeyVersion(of extensions: [String: String]) -> Int? {
        info(extensions)?.rootKeyVersion
    }

    /// Seals the packages of one new blob.
    func sealer(dataKey: SecretBytes, bucket: String, key: String, partNumber: Int) -> any PackageSealing {
        if plainStageForBenchmark { return PipelineBenchmark.PlainCopyStage() }
        return BlobSealer(context: .forWriting(dataKey: dataKey, bucket: bucket, key: key, partNumber: UInt32(partNumber)))
    }

    /// Opens the packages of an existing blob, from its seal header.
    func opener(dataKey: SecretBytes, bucket: String, key: String, blob: BlobRef) throws -> any PackageOpening {
        if plainStageForBenchmark { return PipelineBenchmark.PlainCopyStage() }
        return try sealedOpener(dataKey: dataKey, bucket: bucket, key: key, blob: blob)
    }

    func sealedOpener(dataKey: SecretBytes, bucket: String, key: String, blob: BlobRef) throws -> BlobSealingContext {
        guard let json = blob.header, let header = try? JSONDecoder().decode(BlobHeader.self, from: Data(json.utf8)),
            header.v == Int(SealedFormat.version), let salt = Base64.decode(header.salt), salt.count == SealedFormat.saltByteCount
        else {
            throw CryptoError(.malformed, "a blob of \(bucket)/\(key) has no valid seal header")
        }
        return BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key), partNumber: header.part)
    }
}

/// The stage of the body pipeline that turns a 64 KiB plaintext package into what is stored.
/// Coffer's only production stage is `BlobSealer` (the sealed-object format); the benchmark
/// measures it against a plain copy in the same pipeline (`PipelineBenchmark`).
protocol PackageSealing: Sendable {
    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8]
    /// The blob's header (`BlobRef.header`).
    var header: String { get }
}

/// The reading side of `PackageSealing`.
protocol PackageOpening: Sendable {
    func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8]
}

extension BlobSealingContext: PackageOpening {}

/// Seals one blob's packages and names the header that opens them again.
struct BlobSealer: PackageSealing {
    let context: BlobSealingContext

    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8] {
        try context.seal(plaintext, index: index, isFinal: isFinal)
    }

    var header: String {
        let header = ObjectKeys.BlobHeader(v: Int(SealedFormat.version), salt: Base64.encode(context.salt), part: context.partNumber)
        return String(decoding: (try? JSONEncoder().encode(header)) ?? Data(), as: UTF8.self)
    }
}
