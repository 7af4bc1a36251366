import CofferCrypto
import CofferKMS
import Foundation

extension AWSKMSKeyService {
    /// KMS accepts at most 4096 bytes of plaintext, so no decrypted answer can be longer.
    static let maxPlaintextBytes = 4096

    public func generateDataKey(_ request: GenerateDataKeyRequest) async throws -> GenerateDataKeyResult {
        let operation = "GenerateDataKey"
        let response = try await send(
            operation: operation,
            body: KMSWire.GenerateDataKeyRequest(
                KeyId: request.keyId, EncryptionContext: Self.wireContext(request.encryptionContext),
                NumberOfBytes: request.numberOfBytes, KeySpec: nil),
            as: KMSWire.GenerateDataKeyResponse.self)
        guard let encoded = response.Plaintext, let plaintext = Base64.decode(encoded) else {
            throw malformed(operation, "no plaintext data key")
        }
        let key = SecretBytes(plaintext)
        guard key.count == request.numberOfBytes else {
            throw malformed(operation, "a data key of \(key.count) bytes where \(request.numberOfBytes) were asked for")
        }
        let blob = try ciphertext(response.CiphertextBlob, operation)
        try checkKey(response.KeyId, answers: request.keyId, operation)
        return GenerateDataKeyResult(keyArn: response.KeyId, plaintext: key, ciphertextBlob: blob)
    }

    public func decrypt(_ request: DecryptRequest) async throws -> DecryptResult {
        let operation = "Decrypt"
        let response = try await send(
            operation: operation,
            body: KMSWire.DecryptRequest(
                CiphertextBlob: Base64.encode(request.ciphertextBlob),
                EncryptionContext: Self.wireContext(request.encryptionContext), KeyId: request.keyId),
            as: KMSWire.DecryptResponse.self)
        guard let plaintext = Base64.decode(response.Plaintext) else { throw malformed(operation, "plaintext is not base64") }
        let key = SecretBytes(plaintext)
        guard (1...Self.maxPlaintextBytes).contains(key.count) else {
            throw malformed(operation, "a plaintext of \(key.count) bytes")
        }
        if let requested = request.keyId { try checkKey(response.KeyId, answers: requested, operation) }
        try checkKey(response.KeyId, answers: nil, operation)
        return DecryptResult(keyArn: response.KeyId, plaintext: key)
    }

    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        let operation = "ReEncrypt"
        let response = try await send(
            operation: operation,
            body: KMSWire.ReEncryptRequest(
                CiphertextBlob: Base64.encode(request.ciphertextBlob),
                SourceEncryptionContext: Self.wireContext(request.sourceEncryptionContext),
                SourceKeyId: request.sourceKeyId, DestinationKeyId: request.destinationKeyId,
                DestinationEncryptionContext: Self.wireContext(request.destinationEncryptionContext)),
            as: KMSWire.ReEncryptResponse.self)
        let blob = try ciphertext(response.CiphertextBlob, operation)
        try checkKey(response.KeyId, answers: request.destinationKeyId, operation)
        if let source = request.sourceKeyId { try checkKey(response.SourceKeyId, answers: source, operation) }
        try checkKey(response.SourceKeyId, answers: nil, operation)
        return ReEncryptResult(ciphertextBlob: blob, sourceKeyArn: response.SourceKeyId, keyArn: response.KeyId)
    }

    public func describeKey(_ request: DescribeKeyRequest) async throws -> KeyMetadata {
        let operation = "DescribeKey"
        let response = try await send(
            operation: operation, body: KMSWire.KeyIdOnly(KeyId: request.keyId), as: LenientKeyMetadataResponse.self)
        let metadata = response.fields.metadata
        guard !metadata.KeyId.isEmpty else { throw malformed(operation, "empty KeyId") }
        try checkKey(metadata.Arn, answers: request.keyId, operation)
        try checkKey(metadata.Arn, answers: metadata.KeyId, operation)
        return metadata
    }

    // MARK: - Checks of the answers

    /// DescribeKey's answer, read liberally: what identifies the key and its state is required;
    /// descriptive fields some services omit or answer `null` (moto: `KeyUsage`, `MultiRegion`
    /// of keys created without them; AWS: `EncryptionAlgorithms` of signing keys) take AWS's
    /// defaults.
    struct LenientKeyMetadataResponse: Decodable {
        // swiftlint:disable identifier_name
        struct Fields: Decodable {
            var AWSAccountId: String?
            var KeyId: String
            var Arn: String
            var CreationDate: Double?
            var Enabled: Bool
            var Description: String?
            var KeyUsage: String?
            var KeyState: String
            var DeletionDate: Double?
            var PendingDeletionWindowInDays: Int?
            var Origin: String?
            var KeyManager: String?
            var CustomerMasterKeySpec: String?
            var KeySpec: String?
            var EncryptionAlgorithms: [String]?
            var MultiRegion: Bool?

            var metadata: KeyMetadata {
                let account = AWSAccountId ?? Arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? ""
                var metadata = KeyMetadata(
                    accountId: account, keyId: KeyId, arn: Arn, creationDate: Date(timeIntervalSince1970: 0), enabled: Enabled,
                    description: Description ?? "", keyState: KeyState,
                    pendingDeletionWindowInDays: PendingDeletionWindowInDays, keyManager: KeyManager ?? "CUSTOMER")
                metadata.CreationDate = CreationDate ?? 0
                metadata.DeletionDate = DeletionDate
                metadata.KeyUsage = KeyUsage ?? "ENCRYPT_DECRYPT"
                metadata.Origin = Origin ?? "AWS_KMS"
                metadata.KeySpec = KeySpec ?? CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT"
                metadata.CustomerMasterKeySpec = CustomerMasterKeySpec ?? metadata.KeySpec
                metadata.EncryptionAlgorithms = EncryptionAlgorithms ?? []
                metadata.MultiRegion = MultiRegion ?? false
                return metadata
            }
        }
        // swiftlint:enable identifier_name

        var fields: Fields

        enum CodingKeys: String, CodingKey { case fields = "KeyMetadata" }
    }

    /// KMS omits an empty encryption context; so do we.
    static func wireContext(_ context: EncryptionContext) -> [String: String]? {
        context.isEmpty ? nil : context
    }

    private func ciphertext(_ encoded: String, _ operation: String) throws(KMSError) -> [UInt8] {
        guard let blob = Base64.decode(encoded), !blob.isEmpty else {
            throw malformed(operation, "no ciphertext blob")
        }
        return blob
    }

    /// The key a service answered with must be non-empty and, when the caller named the key by
    /// its id or ARN (not by an alias, which cannot be checked here), that very key.
    private func checkKey(_ answered: String, answers requested: String?, _ operation: String) throws(KMSError) {
        guard !answered.isEmpty else { throw malformed(operation, "empty KeyId") }
        guard let requested, !requested.hasPrefix("alias/"), !requested.contains(":alias/") else { return }
        let matches = requested.hasPrefix("arn:")
            ? answered == requested
            : answered == requested || answered.hasSuffix(":key/\(requested)")
        guard matches else { throw malformed(operation, "the answer names another key than the one requested") }
    }
}
