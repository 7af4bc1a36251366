import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation

/// Opens the data keys and packages of stored objects, uploads and parts exactly as a GET or
/// an UploadPart does (``ObjectKeys``), for code that reads a store outside any request, such
/// as `coffer fsck`: SSE-S3 through the root keys, SSE-KMS through `keyService` (with the S3
/// layer's cache of decrypted bucket keys). SSE-C data keys need the customer's key, which is
/// never stored, so they do not open here.
///
/// Every key it returns is a ``SecretBytes`` (zeroed when released); errors never carry key
/// material.
public struct StoredObjectKeys: Sendable {
    let keys: ObjectKeys
    /// Who key-service calls are made for (a checker's key service needs no caller).
    let caller: KMSCaller

    /// `keyService`: the key service SSE-KMS data keys are opened with (nil: none opens).
    /// `caller`: the principal its calls name.
    public init(keyring: RootKeyring, keyService: (any KeyService)?, caller: KMSCaller) {
        keys = ObjectKeys(keyring: keyring, kms: keyService.map { KMSKeys(service: $0) })
        self.caller = caller
    }

    /// The data key of the object or upload `bucket`/`key` whose record keeps `encryption`.
    /// Throws for SSE-C, for a record without encryption, and whenever the key does not open
    /// (an S3 or crypto error saying why).
    public func dataKey(encryption: ObjectEncryption?, bucket: String, key: String) async throws -> SecretBytes {
        try await keys.dataKey(encryption: encryption, bucket: bucket, key: key, customerKey: nil, caller: caller)
    }

    /// The opener of one blob's packages (docs/sealed-object-format.md) under `dataKey`, for
    /// the version whose nonce is `versionNonce` (``ObjectRecord/boundVersionNonce()``). A
    /// format 2 blob without a nonce gets an opener that refuses every package.
    public func opener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, seal: BlobSeal) -> any PackageOpening {
        seal.opener(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce)
    }
}

/// A blob's seal header (`BlobRef.header`, docs/sealed-object-format.md), validated: format
/// version 1 or 2, a 32-byte salt, the part number its packages bind. No secret.
public struct BlobSeal: Sendable, Hashable {
    /// The format version the blob is sealed in.
    public let version: SealedFormatVersion
    /// The blob key's salt.
    public let salt: [UInt8]
    /// The part number bound in every package's associated data (0 for PutObject, CopyObject).
    public let partNumber: UInt32

    /// The seal of `blob`, or nil when it has no valid seal header.
    public init?(blob: BlobRef) {
        guard let json = blob.header, let header = ObjectKeys.BlobHeader(json: json),
              let v = UInt8(exactly: header.v), let version = SealedFormatVersion(rawValue: v),
              let salt = Base64.decode(header.salt), salt.count == SealedFormat.saltByteCount
        else { return nil }
        self.version = version
        self.salt = salt
        self.partNumber = header.part
    }

    /// The opener of the blob under `dataKey`, for object `bucket`/`key`: format 1 binds the
    /// object alone; format 2 the version too, whose nonce must come from the record (never
    /// from the header, which would travel with the blob). Without one, every package is
    /// refused: the object is damaged.
    func opener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?) -> any PackageOpening {
        switch version {
        case .v1:
            return BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key), partNumber: partNumber)
        case .v2:
            guard let versionNonce else {
                return RefusingOpener(cause: CryptoError(.authenticationFailure, "a format 2 blob of \(bucket)/\(key) whose record has no version nonce"))
            }
            let identity = SealedFormat.versionIdentity(bucket: bucket, key: key, versionNonce: versionNonce.bytes)
            return BlobSealingContext(dataKey: dataKey, salt: salt, identity: identity, partNumber: partNumber, version: .v2)
        }
    }
}
