import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation
import Synchronization

/// The key service as SSE-KMS uses it, with the bucket-key caches.
struct KMSKeys: Sendable {
    /// The key S3 uses when an SSE-KMS write names none.
    static let defaultKeyId = "alias/aws/s3"

    /// Already wrapped in `AuditedKeyService`: every call is on record before it is used.
    let service: any KeyService
    /// Bucket keys for writes, by (KMS key named, encryption context).
    let bucketKeys: DataKeyCache
    /// Decrypted bucket keys for reads, by (ciphertext, encryption context).
    let decryptedBucketKeys: DecryptedKeyCache
    /// Key-service calls made for S3 (the benchmark prints them).
    let calls = CallCounter()

    init(service: any KeyService, bucketKeyLimits: DataKeyCache.Limits = .init(), decryptedMaxAge: Duration = .seconds(300)) {
        self.service = service
        bucketKeys = DataKeyCache(limits: bucketKeyLimits)
        decryptedBucketKeys = DecryptedKeyCache(maxAge: decryptedMaxAge)
    }
}

/// Counts calls (for benchmarks and tests).
final class CallCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

extension ObjectKeys {
    func requireKMS() throws(S3Error) -> KMSKeys {
        guard let kms else { throw S3Error(.notImplemented, "SSE-KMS needs a key service, and none is configured") }
        return kms
    }

    /// A fresh data key for a new object or upload, in any mode, with the record's encryption
    /// that keeps it. SSE-KMS asks the key service (or a cached bucket key) for it.
    func newObject(bucket: String, key: String, encryption: WriteEncryption, caller: @autoclosure () -> KMSCaller) async throws -> (dataKey: SecretBytes, encryption: ObjectEncryption) {
        switch encryption {
        case .sseS3: return try newObject(bucket: bucket, key: key)
        case .sseC(let customerKey): return try newObject(bucket: bucket, key: key, customerKey: customerKey)
        case .sseKMS(let choice): return try await newKMSObject(bucket: bucket, key: key, choice: choice, caller: caller())
        }
    }

    private func newKMSObject(bucket: String, key: String, choice: SSEKMSChoice, caller: KMSCaller) async throws -> (dataKey: SecretBytes, encryption: ObjectEncryption) {
        let kms = try requireKMS()
        let context = try choice.fullContext(bucket: bucket, key: key)
        let keyId = choice.keyId ?? KMSKeys.defaultKeyId
        if !choice.bucketKeyEnabled {
            let generated = try await kmsCall(kms) {
                try await kms.service.generateDataKey(GenerateDataKeyRequest(keyId: keyId, encryptionContext: context, numberOfBytes: KeyHierarchy.dataKeyByteCount, caller: caller))
            }
            guard generated.plaintext.count == KeyHierarchy.dataKeyByteCount else { throw S3Error(kms: KMSError(.internalFailure, "data key of the wrong length")) }
            return (generated.plaintext, .sseKMS(.init(kmsKeyArn: generated.keyArn, context: context, sealedKey: generated.ciphertextBlob)))
        }
        let bucketKey: DataKeyCache.Entry
        if let cached = kms.bucketKeys.use(keyId: keyId, context: context, bytes: 0) {
            bucketKey = cached
        } else {
            let generated = try await kmsCall(kms) {
                try await kms.service.generateDataKey(GenerateDataKeyRequest(keyId: keyId, encryptionContext: context, numberOfBytes: KeyHierarchy.dataKeyByteCount, caller: caller))
            }
            guard generated.plaintext.count == KeyHierarchy.dataKeyByteCount else { throw S3Error(kms: KMSError(.internalFailure, "data key of the wrong length")) }
            bucketKey = DataKeyCache.Entry(keyArn: generated.keyArn, plaintext: generated.plaintext, ciphertextBlob: generated.ciphertextBlob)
            kms.bucketKeys.put(keyId: keyId, context: context, entry: bucketKey, bytes: 0)
            kms.decryptedBucketKeys.put(blob: generated.ciphertextBlob, context: context, result: DecryptResult(keyArn: generated.keyArn, plaintext: generated.plaintext))
        }
        let dataKey = KeyHierarchy.generateDataKey()
        let identity = SealedFormat.objectIdentity(bucket: bucket, key: key)
        let sealed = try KeyHierarchy.sealUnderBucketKey(dataKey, bucketKey: bucketKey.plaintext, identity: identity)
        return (dataKey, .sseKMS(.init(kmsKeyArn: bucketKey.keyArn, context: context, sealedKey: sealed, bucketKeyBlob: bucketKey.ciphertextBlob)))
    }

    /// The data key of an existing object or upload in any mode; SSE-KMS asks the key service
    /// (or the cache of decrypted bucket keys). SSE-C headers on an SSE-KMS object are refused.
    func dataKey(encryption: ObjectEncryption?, bucket: String, key: String, customerKey: CustomerKey?, partOfUpload: Bool = false,
                 caller: @autoclosure () -> KMSCaller) async throws -> SecretBytes {
        guard case .sseKMS(let info) = encryption else {
            return try dataKey(encryption: encryption, bucket: bucket, key: key, customerKey: customerKey, partOfUpload: partOfUpload)
        }
        if customerKey != nil {
            throw S3Error(.invalidRequest, partOfUpload
                ? "The provided encryption parameters did not match the ones used originally."
                : "The encryption parameters are not applicable to this object.")
        }
        let kms = try requireKMS()
        let sealed = info.sealedKey, context = info.context
        let caller = caller()
        guard let blob = info.bucketKeyBlob else {
            let opened = try await kmsCall(kms) {
                try await kms.service.decrypt(DecryptRequest(ciphertextBlob: sealed, encryptionContext: context, caller: caller))
            }
            guard opened.plaintext.count == KeyHierarchy.dataKeyByteCount else { throw CryptoError(.authenticationFailure, "the key service returned a data key of the wrong length") }
            return opened.plaintext
        }
        guard sealed.count == KeyHierarchy.sealedKeyByteCount else {
            throw CryptoError(.malformed, "the record of \(bucket)/\(key) carries a bucket-key-sealed data key of the wrong length")
        }
        let bucketKey: DecryptResult
        if let cached = kms.decryptedBucketKeys.get(blob: blob, context: context) {
            bucketKey = cached
        } else {
            bucketKey = try await kmsCall(kms) {
                try await kms.service.decrypt(DecryptRequest(ciphertextBlob: blob, encryptionContext: context, caller: caller))
            }
            kms.decryptedBucketKeys.put(blob: blob, context: context, result: bucketKey)
        }
        let identity = SealedFormat.objectIdentity(bucket: bucket, key: key)
        return try KeyHierarchy.openUnderBucketKey(sealed, bucketKey: bucketKey.plaintext, identity: identity)
    }

    /// Runs one key-service call, counting it and turning its failure into S3's answer.
    private func kmsCall<R>(_ kms: KMSKeys, _ body: () async throws -> R) async throws -> R {
        kms.calls.increment()
        do { return try await body() } catch let error as KMSError {
            throw S3Error(kms: error)
        }
    }
}
