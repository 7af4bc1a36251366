import CofferCrypto
import CofferKMS
import CofferStorage

/// The SSE-S3 root keys: whether they loaded.
enum FsckKeyStore {
    /// The keyring, or nil after a `rootKeysUnavailable` finding.
    static func check(_ rootKeys: FsckSources.RootKeys, into report: inout FsckReport) -> RootKeyring? {
        switch rootKeys {
        case .loaded(let keyring):
            return keyring
        case .unavailable(let reason):
            report.add(.rootKeysUnavailable, .init(file: "keys/sse-s3-root-keys.json"), reason)
            return nil
        }
    }
}

extension FsckWalk {
    /// Every `k` record decodes, names the key it is stored under, and opens every material
    /// version with the root keys.
    func checkKMSKeys() async {
        await scan(.kmsKey) { key, entry in
            guard case .kmsKey(let id) = key else { return }
            let subject = FsckFinding.Subject(kmsKeyId: id)
            guard let stored = decode(subject, { () throws(StorageError) in try StoredKMSKey(encoded: entry.value) }) else { return }
            guard stored.keyId == id else {
                report.add(.recordKeyMismatch, subject, "the KMS key record stored under \(id) names key \(stored.keyId)")
                return
            }
            report.counts.kmsKeys += 1
            kmsKeys[id] = stored
            guard let keyring else { return }
            for version in stored.versions { checkMaterial(of: stored, version: version, keyring: keyring, subject: subject) }
        }
    }

    private func checkMaterial(of key: StoredKMSKey, version: Int, keyring: RootKeyring, subject: FsckFinding.Subject) {
        if let root = key.rootKeyVersion(ofMaterial: version), keyring.keys[root] == nil {
            report.add(.rootKeyVersionMissing, subject, "material version \(version) of KMS key \(key.keyId) is sealed under root key version \(root), which the root key file does not hold")
            return
        }
        do {
            _ = try key.material(version: version, keyring: keyring)
            report.counts.kmsKeyVersions += 1
        } catch {
            report.add(.kmsMaterialDoesNotOpen, subject, "material version \(version) of KMS key \(key.keyId) does not open with the root keys: \(error.message)")
        }
    }

    /// Every `a` record decodes, names the alias it is stored under, and targets a key.
    func checkAliases() async {
        await scan(.kmsAlias) { key, entry in
            guard case .kmsAlias(let name) = key else { return }
            let subject = FsckFinding.Subject(alias: name)
            guard let alias = decode(subject, { () throws(StorageError) in try StoredKMSAlias(encoded: entry.value) }) else { return }
            report.counts.kmsAliases += 1
            if alias.name != name {
                report.add(.recordKeyMismatch, subject, "the alias record stored under \(name) names \(alias.name)")
            }
            if kmsKeys[alias.targetKeyId] == nil {
                var target = subject
                target.kmsKeyId = alias.targetKeyId
                report.add(.aliasTargetMissing, target, "alias \(name) targets KMS key \(alias.targetKeyId), which does not exist")
            }
        }
    }
}

/// The key service SSE-KMS data keys are opened with during a check: the built-in key
/// service's stored keys, read-only (``StoredKMSKey/decrypt(_:context:keyring:)``: no key
/// policy, no key state, no write). It decrypts; every other operation is refused.
struct FsckKeyService: KeyService {
    let keys: [String: StoredKMSKey]
    let keyring: RootKeyring

    func decrypt(_ request: DecryptRequest) async throws -> DecryptResult {
        guard let id = StoredKMSKey.keyId(ofCiphertextBlob: request.ciphertextBlob), let key = keys[id] else {
            throw KMSError(.notFound, "the ciphertext names no key of the built-in key store")
        }
        return DecryptResult(keyArn: key.arn, plaintext: try key.decrypt(request.ciphertextBlob, context: request.encryptionContext, keyring: keyring))
    }

    func generateDataKey(_ request: GenerateDataKeyRequest) async throws -> GenerateDataKeyResult { throw Self.readOnly }
    func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult { throw Self.readOnly }
    func describeKey(_ request: DescribeKeyRequest) async throws -> KeyMetadata { throw Self.readOnly }

    private static let readOnly = KMSError(.unsupportedOperation, "coffer fsck only decrypts")
}
