import CofferCache
import CofferCrypto
import CofferPolicy
import CofferStorage
import Foundation
import Synchronization

/// The embedded key service: symmetric 256-bit KMS keys with versions (rotation keeps every
/// older version for decryption), aliases, key states and policies, stored in Coffer's
/// a ``KMSRecordStore`` (Coffer's LevelDB, or the cluster) with each version's material sealed under the SSE-S3 root key
/// (docs/key-hierarchy.md). Its operations are AWS KMS's, with KMS's errors.
///
/// This type records nothing in the audit trail by itself: the KMS API handler
/// (``KMSAPI``) and ``AuditedKeyService`` do, so every call is recorded exactly once
/// whichever way it arrives.
public final class BuiltInKeyService: KeyService, Sendable {
    public struct Options: Sendable {
        public var region: String
        public var accountId: String
        /// Automatic rotation period when EnableKeyRotation names none (AWS: 365 days).
        public var defaultRotationPeriodDays = 365
        /// At most this many on-demand rotations per key (AWS: 10).
        public var maxOnDemandRotations = 10

        public init(region: String, accountId: String) {
            self.region = region
            self.accountId = accountId
        }
    }

    public static let s3ManagedAlias = "alias/aws/s3"
    static let maxPlaintextBytes = 4096

    let records: any KMSRecordStore
    let keyring: RootKeyring
    public let options: Options
    let clock: @Sendable () -> Date
    /// Opened key material, by "keyId/version". Zeroed (SecretBytes) when dropped.
    let materials = Mutex([String: SecretBytes]())
    /// Parsed key policies by key id, with the text they were parsed from.
    let policies = BoundedCache<String, (source: String, value: Policy)>(capacity: 1024)

    public init(records: any KMSRecordStore, keyring: RootKeyring, options: Options, clock: @escaping @Sendable () -> Date = Date.init) {
        self.records = records
        self.keyring = keyring
        self.options = options
        self.clock = clock
    }

    /// The service over Coffer's LevelDB database.
    public convenience init(db: LevelDB, keyring: RootKeyring, options: Options, clock: @escaping @Sendable () -> Date = Date.init) {
        self.init(records: LevelDBKMSRecordStore(db: db), keyring: keyring, options: options, clock: clock)
    }

    // MARK: Records

    func loadKey(id: String) throws(KMSError) -> KMSKeyRecord? {
        do {
            guard let bytes = try records.get(KMSKeyLayout.key(id)) else { return nil }
            return try KMSKeyRecord(encoded: bytes)
        } catch {
            throw KMSError(.internalFailure, "cannot read key record")
        }
    }

    func save(_ record: KMSKeyRecord) throws(KMSError) {
        do { try records.apply(puts: [MetadataEntry(key: KMSKeyLayout.key(record.keyId), value: try record.encoded())], deletes: []) } catch {
            throw KMSError(.internalFailure, "cannot write key record")
        }
    }

    func loadAlias(_ name: String) throws(KMSError) -> KMSAliasRecord? {
        do {
            guard let bytes = try records.get(KMSKeyLayout.alias(name)) else { return nil }
            return try KMSAliasRecord(encoded: bytes)
        } catch {
            throw KMSError(.internalFailure, "cannot read alias record")
        }
    }

    func scan<R: StoredRecord>(_ prefix: [UInt8], as: R.Type, from start: [UInt8]? = nil) throws(KMSError) -> [R] {
        do {
            return try records.entries(withPrefix: prefix, from: start).map { entry throws(StorageError) in try R(encoded: entry.value) }
        } catch {
            throw KMSError(.internalFailure, "cannot list records")
        }
    }

    // MARK: Resolving key ids

    /// Resolves a key id, key ARN, alias name or alias ARN to the key's record, applying a
    /// due deletion or rotation first. NotFoundException for anything unknown.
    func resolve(_ identifier: String) throws(KMSError) -> KMSKeyRecord {
        let id = try keyId(for: identifier)
        guard var record = try loadKey(id: id) else { throw notFound(identifier) }
        let now = clock()
        if record.state == .pendingDeletion, let date = record.deletionDate, date <= now {
            try delete(record)
            throw notFound(identifier)
        }
        if record.rotationEnabled, record.state == .enabled, let next = record.nextRotationDate, next <= now {
            record = try withWriteLock { () throws(KMSError) -> KMSKeyRecord in
                guard var fresh = try loadKey(id: id) else { throw notFound(identifier) }
                if let next = fresh.nextRotationDate, next <= now, fresh.rotationEnabled {
                    try addVersion(to: &fresh, type: "AUTOMATIC")
                    fresh.nextRotationDate = now.addingTimeInterval(Double(fresh.rotationPeriodDays ?? options.defaultRotationPeriodDays) * 86400)
                    try save(fresh)
                }
                return fresh
            }
        }
        return record
    }

    func keyId(for identifier: String) throws(KMSError) -> String {
        let trimmed = identifier
        guard !trimmed.isEmpty, trimmed.utf8.count <= 2048 else { throw KMSError(.validation, "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length between 1 and 2048") }
        if trimmed.hasPrefix("arn:") {
            let parts = trimmed.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[1] == "aws", parts[2] == "kms" else { throw KMSError(.notFound, "Invalid arn \(identifier)") }
            guard parts[3] == options.region, parts[4] == options.accountId else { throw notFound(identifier) }
            let resource = String(parts[5])
            if resource.hasPrefix("key/") { return try canonicalUUID(String(resource.dropFirst(4)), original: identifier) }
            if resource.hasPrefix("alias/") { return try aliasTarget(resource, original: identifier) }
            throw KMSError(.notFound, "Invalid arn \(identifier)")
        }
        if trimmed.hasPrefix("alias/") { return try aliasTarget(trimmed, original: identifier) }
        return try canonicalUUID(trimmed, original: identifier)
    }

    private func canonicalUUID(_ text: String, original: String) throws(KMSError) -> String {
        guard let uuid = UUID(uuidString: text) else { throw KMSError(.notFound, "Invalid keyId '\(original)'") }
        return uuid.uuidString.lowercased()
    }

    private func aliasTarget(_ name: String, original: String) throws(KMSError) -> String {
        // The AWS managed key for S3 comes into being on first use, as on AWS.
        if name == Self.s3ManagedAlias, try loadAlias(name) == nil { return try s3ManagedKey().KeyId }
        guard let alias = try loadAlias(name) else { throw KMSError(.notFound, "Alias \(aliasArn(name)) is not found.") }
        return alias.targetKeyId
    }

    func notFound(_ identifier: String) -> KMSError {
        if identifier.hasPrefix("arn:") { return KMSError(.notFound, "Key '\(identifier)' does not exist") }
        if identifier.hasPrefix("alias/") { return KMSError(.notFound, "Alias \(aliasArn(identifier)) is not found.") }
        return KMSError(.notFound, "Key '\(KeyArn.key(region: options.region, accountId: options.accountId, keyId: identifier))' does not exist")
    }

    func aliasArn(_ name: String) -> String { KeyArn.alias(region: options.region, accountId: options.accountId, name: name) }

    func withWriteLock<R>(_ body: () throws(KMSError) -> R) throws(KMSError) -> R {
        try records.exclusively(body)
    }

    /// A key that may be used for a cryptographic operation: Enabled.
    func requireUsable(_ record: KMSKeyRecord) throws(KMSError) {
        switch record.state {
        case .enabled: return
        case .disabled: throw KMSError(.disabled, "\(record.arn) is disabled.")
        case .pendingDeletion: throw KMSError(.invalidState, "\(record.arn) is pending deletion.")
        }
    }

    // MARK: Material

    func material(of record: KMSKeyRecord, version: Int) throws(KMSError) -> SecretBytes {
        let cacheKey = "\(record.keyId)/\(version)"
        if let cached = materials.withLock({ $0[cacheKey] }) { return cached }
        guard let entry = record.versions.first(where: { $0.version == version }), Base64.decode(entry.material.sealed) != nil else {
            throw KMSError(.invalidCiphertext, "")
        }
        let opened: SecretBytes
        do {
            opened = try entry.open(keyId: record.keyId, keyring: keyring)
        } catch {
            throw KMSError(.internalFailure, "key material of \(record.arn) cannot be opened with the server's root key")
        }
        materials.withLock { $0[cacheKey] = opened }
        return opened
    }

    static func materialIdentity(keyId: String, version: Int) -> [UInt8] {
        Array("coffer/kms/v1/key-material/\(keyId)/\(version)".utf8)
    }

    func addVersion(to record: inout KMSKeyRecord, type: String?) throws(KMSError) {
        let version = (record.versions.last?.version ?? 0) + 1
        let material = KeyHierarchy.generateDataKey()
        let sealed: SealedDataKey
        do {
            sealed = try KeyHierarchy.sealSSES3(material, keyring: keyring, identity: Self.materialIdentity(keyId: record.keyId, version: version))
        } catch {
            throw KMSError(.internalFailure, "cannot seal new key material")
        }
        record.versions.append(.init(version: version, createdAt: clock(), rotationType: type,
                                     material: .init(rootKeyVersion: sealed.rootKeyVersion, sealed: Base64.encode(sealed.bytes))))
        materials.withLock { $0["\(record.keyId)/\(version)"] = material }
    }

    func delete(_ record: KMSKeyRecord) throws(KMSError) {
        try withWriteLock { () throws(KMSError) in
            var deletes = [KMSKeyLayout.key(record.keyId)]
            for alias in try scan(KMSKeyLayout.allAliases, as: KMSAliasRecord.self) where alias.targetKeyId == record.keyId {
                deletes.append(KMSKeyLayout.alias(alias.name))
            }
            do { try records.apply(puts: [], deletes: deletes) } catch { throw KMSError(.internalFailure, "cannot delete key") }
            materials.withLock { cache in
                for key in cache.keys where key.hasPrefix(record.keyId + "/") { cache[key] = nil }
            }
        }
    }

    func metadata(_ record: KMSKeyRecord) -> KeyMetadata {
        KeyMetadata(accountId: record.accountId, keyId: record.keyId, arn: record.arn, creationDate: record.createdAt,
                    enabled: record.state == .enabled, description: record.description, keyState: record.state.rawValue,
                    deletionDate: record.deletionDate, pendingDeletionWindowInDays: record.state == .pendingDeletion ? record.pendingWindowDays : nil,
                    keyManager: record.keyManager)
    }

    // MARK: KeyService

    public func generateDataKey(_ request: GenerateDataKeyRequest) async throws -> GenerateDataKeyResult {
        try generateDataKeySync(keyId: request.keyId, context: request.encryptionContext, numberOfBytes: request.numberOfBytes, caller: request.caller)
    }

    func generateDataKeySync(keyId: String, context: EncryptionContext, numberOfBytes: Int, caller: KMSCaller, action: String = "kms:GenerateDataKey") throws(KMSError) -> GenerateDataKeyResult {
        guard (1...1024).contains(numberOfBytes) else {
            throw KMSError(.validation, "1 validation error detected: Value '\(numberOfBytes)' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024")
        }
        let plaintext = SecretBytes.random(count: numberOfBytes)
        let (blob, arn) = try encryptSync(keyId: keyId, plaintext: plaintext, context: context, caller: caller, action: action)
        return GenerateDataKeyResult(keyArn: arn, plaintext: plaintext, ciphertextBlob: blob)
    }

    /// Encrypt: at most 4096 bytes of plaintext under the key's current version.
    func encryptSync(keyId: String, plaintext: SecretBytes, context: EncryptionContext, caller: KMSCaller, action: String = "kms:Encrypt") throws(KMSError) -> (blob: [UInt8], keyArn: String) {
        guard (1...Self.maxPlaintextBytes).contains(plaintext.count) else {
            throw KMSError(.validation, "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096")
        }
        try EncryptionContextEncoding.validate(context)
        let record = try resolve(keyId)
        try requireUsable(record)
        try authorize(record, action, caller: caller, context: context)
        let version = record.currentVersion.version
        let material = try material(of: record, version: version)
        guard let uuid = UUID(uuidString: record.keyId) else { throw KMSError(.internalFailure, "stored key id is not a UUID") }
        do {
            let blob = try CiphertextBlob.seal(plaintext, keyId: uuid, keyVersion: version, material: material, context: context)
            return (blob.bytes, record.arn)
        } catch {
            throw KMSError(.internalFailure, "encryption failed")
        }
    }

    public func decrypt(_ request: DecryptRequest) async throws -> DecryptResult {
        try decryptSync(blob: request.ciphertextBlob, context: request.encryptionContext, keyId: request.keyId, caller: request.caller)
    }

    func decryptSync(blob bytes: [UInt8], context: EncryptionContext, keyId: String?, caller: KMSCaller, action: String = "kms:Decrypt") throws(KMSError) -> DecryptResult {
        guard !bytes.isEmpty, bytes.count <= 6144 else {
            throw KMSError(.validation, "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and 6144")
        }
        guard let blob = CiphertextBlob(parsing: bytes) else { throw KMSError(.invalidCiphertext, "") }
        let blobKeyId = blob.keyId.uuidString.lowercased()
        if let keyId {
            let named = try self.keyId(for: keyId)
            guard named == blobKeyId else {
                throw KMSError(.incorrectKey, "The key ID in the request does not identify a CMK that can perform this operation.")
            }
        }
        // A blob naming a key that no longer exists is not distinguishable from garbage.
        let record: KMSKeyRecord
        do { record = try resolve(blobKeyId) } catch {
            if error.code == .notFound { throw KMSError(.invalidCiphertext, "") }
            throw error
        }
        try requireUsable(record)
        try authorize(record, action, caller: caller, context: context)
        guard record.versions.contains(where: { $0.version == blob.keyVersion }) else { throw KMSError(.invalidCiphertext, "") }
        let material = try material(of: record, version: blob.keyVersion)
        do {
            return DecryptResult(keyArn: record.arn, plaintext: try blob.open(material: material, context: context))
        } catch {
            throw KMSError(.invalidCiphertext, "")
        }
    }

    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        try reEncryptSync(request)
    }

    func reEncryptSync(_ request: ReEncryptRequest) throws(KMSError) -> ReEncryptResult {
        let opened = try decryptSync(blob: request.ciphertextBlob, context: request.sourceEncryptionContext, keyId: request.sourceKeyId, caller: request.caller, action: "kms:ReEncryptFrom")
        let (blob, arn) = try encryptSync(keyId: request.destinationKeyId, plaintext: opened.plaintext, context: request.destinationEncryptionContext, caller: request.caller, action: "kms:ReEncryptTo")
        return ReEncryptResult(ciphertextBlob: blob, sourceKeyArn: opened.keyArn, keyArn: arn)
    }

    public func describeKey(_ request: DescribeKeyRequest) async throws -> KeyMetadata {
        try describeKeySync(request.keyId, caller: request.caller)
    }

    func describeKeySync(_ keyId: String, caller: KMSCaller) throws(KMSError) -> KeyMetadata {
        metadata(try authorized(keyId, "kms:DescribeKey", caller: caller))
    }
}
