import CofferCrypto
import CofferKMS
import CofferStorage

/// Data keys, opened as the S3 layer opens them (``StoredObjectKeys``), only to prove the
/// packages under them intact: SSE-S3 with the root keys; SSE-KMS with the built-in key
/// store's material (itself opened with the root keys), then the data key or the bucket key.
/// SSE-C keys are never stored, and a remote key service is not called offline: such objects
/// are counted as not opened, which is no finding.
extension FsckWalk {
    /// The data key of a record's `encryption`, or nil: after a finding saying why, or when it
    /// cannot be opened here (counted in ``FsckReport/notOpened`` when `count`).
    func dataKey(_ encryption: ObjectEncryption?, bucket: String, key: String, subject: FsckFinding.Subject, count: Bool = true) async -> SecretBytes? {
        guard let encryption else {
            report.add(.encryptionMissing, subject, "the record carries no encryption: the server refuses to serve it")
            return nil
        }
        switch encryption {
        case .sseC(let sse):
            if sse.salt.count != 32 || sse.keyCheck.count != 32 || sse.sealedKey.count != KeyHierarchy.sealedKeyByteCount {
                report.add(.dataKeyDoesNotOpen, subject, "the SSE-C key seal has the wrong shape (salt, key check or sealed key of the wrong length)")
            } else if count {
                report.notOpened.sseC += 1
            }
            return nil
        case .sseS3(let sse):
            guard let keyring else { return notOpenedWithoutRootKeys(count) }
            guard keyring.keys[sse.rootKeyVersion] != nil else {
                report.add(.rootKeyVersionMissing, subject, "the data key is sealed under root key version \(sse.rootKeyVersion), which the root key file does not hold")
                return nil
            }
        case .sseKMS(let sse):
            guard let id = StoredKMSKey.keyId(ofCiphertextBlob: sse.bucketKeyBlob ?? sse.sealedKey), kmsKeys[id] != nil else {
                if options.remoteKeyService {
                    if count { report.notOpened.remoteKMS += 1 }
                } else {
                    report.add(.kmsKeyMissing, subject, """
                        the data key is sealed by KMS key \(sse.kmsKeyArn), which is not in the built-in key store \
                        (deleted, or the server uses a remote key service: then check with the server's --kms-endpoint setting)
                        """)
                }
                return nil
            }
            guard keyring != nil else { return notOpenedWithoutRootKeys(count) }
        }
        do {
            return try await objectKeys?.dataKey(encryption: encryption, bucket: bucket, key: key)
        } catch {
            report.add(.dataKeyDoesNotOpen, subject, "the \(encryption.mode.rawValue) data key does not open: \(error)")
            return nil
        }
    }

    private func notOpenedWithoutRootKeys(_ count: Bool) -> SecretBytes? {
        if count { report.notOpened.noRootKeys += 1 }
        return nil
    }
}
