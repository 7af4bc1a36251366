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

    /// The opener of one blob's packages (docs/sealed-object-format.md) under `dataKey`.
    public func opener(dataKey: SecretBytes, bucket: String, key: String, seal: BlobSeal) -> any PackageOpening {
        seal.context(dataKey: dataKey, bucket: bucket, key: key)
    }
}

/// A blob's seal header (`BlobRef.header`, docs/sealed-object-format.md), validated: format
/// version 1, a 32-byte salt, the part number its packages bind. No secret.
public struct BlobSeal: Sendable, Hashable {
    /// The blob key's salt.
    public let salt: [UInt8]
    /// The part number bound in every package's associated data (0 for PutObject, CopyObject).
    public let partNumber: UInt32

    /// The seal of `blob`, or nil when it has no valid seal header.
    public init?(blob: BlobRef) {
        guard let json = blob.header, let header = ObjectKeys.BlobHeader(json: json),
              header.v == Int(SealedFormat.version), let salt = Base64.decode(header.salt), salt.count == SealedFormat.saltByteCount
        else { return nil }
        self.salt = salt
        self.partNumber = header.part
    }

    /// The sealing context of the blob under `dataKey`, for object `bucket`/`key`.
    func context(dataKey: SecretBytes, bucket: String, key: String) -> BlobSealingContext {
        BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key), partNumber: partNumber)
    }
}
