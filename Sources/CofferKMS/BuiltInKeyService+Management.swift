import CofferCrypto
import CofferPolicy
import CofferStorage
import Foundation

/// Key and alias management, as AWS KMS's management operations behave.
extension BuiltInKeyService {
    public static let defaultPolicyName = "default"

    func defaultPolicy() -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::\(options.accountId):root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """
    }

    public func createKey(description: String = "", policy: String? = nil, keyManager: String = "CUSTOMER") throws(KMSError) -> KeyMetadata {
        guard description.utf8.count <= 8192 else { throw KMSError(.validation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192") }
        if let policy { try Self.validatePolicy(policy) }
        let now = clock()
        var record = KMSKeyRecord(keyId: UUID().uuidString.lowercased(), accountId: options.accountId, region: options.region,
                                  description: description, keyManager: keyManager, createdAt: now, state: .enabled,
                                  rotationEnabled: keyManager == "AWS", rotationPeriodDays: keyManager == "AWS" ? 365 : nil,
                                  nextRotationDate: keyManager == "AWS" ? now.addingTimeInterval(365 * 86400) : nil,
                                  versions: [], policy: policy ?? defaultPolicy())
        try addVersion(to: &record, type: nil)
        try save(record)
        return metadata(record)
    }

    /// The AWS managed key for S3 (`alias/aws/s3`), created on first use as S3 does.
    public func s3ManagedKey() throws(KMSError) -> KeyMetadata {
        if let alias = try loadAlias(Self.s3ManagedAlias), let record = try loadKey(id: alias.targetKeyId) { return metadata(record) }
        return try withWriteLock { () throws(KMSError) -> KeyMetadata in
            if let alias = try loadAlias(Self.s3ManagedAlias), let record = try loadKey(id: alias.targetKeyId) { return metadata(record) }
            let meta = try createKey(description: "Default key that protects my S3 objects when no other key is defined", keyManager: "AWS")
            try putAlias(Self.s3ManagedAlias, target: meta.KeyId, creating: true, caller: nil)
            return meta
        }
    }

    /// Applies `change` to a customer managed key under the write lock.
    func mutate(_ identifier: String, action: String, caller: KMSCaller, allowAWSManaged: Bool = false, _ change: (inout KMSKeyRecord) throws(KMSError) -> Void) throws(KMSError) -> KMSKeyRecord {
        let id = try authorized(identifier, action, caller: caller).keyId
        return try withWriteLock { () throws(KMSError) -> KMSKeyRecord in
            guard var record = try loadKey(id: id) else { throw notFound(identifier) }
            if record.keyManager == "AWS", !allowAWSManaged {
                throw KMSError(.accessDenied, "You cannot modify the AWS managed key \(record.arn).")
            }
            try change(&record)
            try save(record)
            return record
        }
    }

    public func enableKey(_ keyId: String, caller: KMSCaller) throws(KMSError) {
        _ = try mutate(keyId, action: "kms:EnableKey", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            if record.state == .pendingDeletion { throw KMSError(.invalidState, "\(record.arn) is pending deletion.") }
            record.state = .enabled
        }
    }

    public func disableKey(_ keyId: String, caller: KMSCaller) throws(KMSError) {
        _ = try mutate(keyId, action: "kms:DisableKey", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            if record.state == .pendingDeletion { throw KMSError(.invalidState, "\(record.arn) is pending deletion.") }
            record.state = .disabled
        }
    }

    public func scheduleKeyDeletion(_ keyId: String, pendingWindowInDays: Int?, caller: KMSCaller) throws(KMSError) -> (metadata: KeyMetadata, days: Int) {
        let days = pendingWindowInDays ?? 30
        guard (7...30).contains(days) else {
            throw KMSError(.validation, "1 validation error detected: Value '\(days)' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30")
        }
        let now = clock()
        let record = try mutate(keyId, action: "kms:ScheduleKeyDeletion", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            if record.state == .pendingDeletion { throw KMSError(.invalidState, "\(record.arn) is pending deletion.") }
            record.state = .pendingDeletion
            record.pendingWindowDays = days
            record.deletionDate = now.addingTimeInterval(Double(days) * 86400)
        }
        return (metadata(record), days)
    }

    /// Cancelling a deletion leaves the key Disabled, as KMS does.
    public func cancelKeyDeletion(_ keyId: String, caller: KMSCaller) throws(KMSError) -> String {
        try mutate(keyId, action: "kms:CancelKeyDeletion", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            guard record.state == .pendingDeletion else { throw KMSError(.invalidState, "\(record.arn) is not pending deletion.") }
            record.state = .disabled
            record.deletionDate = nil
            record.pendingWindowDays = nil
        }.arn
    }

    public func updateKeyDescription(_ keyId: String, description: String, caller: KMSCaller) throws(KMSError) {
        guard description.utf8.count <= 8192 else { throw KMSError(.validation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192") }
        _ = try mutate(keyId, action: "kms:UpdateKeyDescription", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            try requireNotPending(record)
            record.description = description
        }
    }

    func requireNotPending(_ record: KMSKeyRecord) throws(KMSError) {
        if record.state == .pendingDeletion { throw KMSError(.invalidState, "\(record.arn) is pending deletion.") }
    }

    // MARK: Rotation

    public func enableKeyRotation(_ keyId: String, rotationPeriodInDays: Int?, caller: KMSCaller) throws(KMSError) {
        let period = rotationPeriodInDays ?? options.defaultRotationPeriodDays
        guard (90...2560).contains(period) else {
            throw KMSError(.validation, "1 validation error detected: Value '\(period)' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560")
        }
        let now = clock()
        _ = try mutate(keyId, action: "kms:EnableKeyRotation", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            try requireUsable(record)
            record.rotationEnabled = true
            record.rotationPeriodDays = period
            let base = record.versions.last?.createdAt ?? now
            record.nextRotationDate = max(now, base.addingTimeInterval(Double(period) * 86400))
        }
    }

    public func disableKeyRotation(_ keyId: String, caller: KMSCaller) throws(KMSError) {
        _ = try mutate(keyId, action: "kms:DisableKeyRotation", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            try requireUsable(record)
            record.rotationEnabled = false
            record.nextRotationDate = nil
        }
    }

    public func keyRotationStatus(_ keyId: String, caller: KMSCaller) throws(KMSError) -> KMSWire.GetKeyRotationStatusResponse {
        let record = try authorized(keyId, "kms:GetKeyRotationStatus", caller: caller)
        // While a key is pending deletion KMS reports rotation as off; cancelling restores it.
        let enabled = record.rotationEnabled && record.state != .pendingDeletion
        return .init(KeyRotationEnabled: enabled, KeyId: record.arn,
                     RotationPeriodInDays: enabled ? record.rotationPeriodDays : nil,
                     NextRotationDate: enabled ? record.nextRotationDate?.timeIntervalSince1970 : nil,
                     OnDemandRotationStartDate: nil)
    }

    /// A new key version now; older versions keep decrypting.
    public func rotateKeyOnDemand(_ keyId: String, caller: KMSCaller) throws(KMSError) -> String {
        try mutate(keyId, action: "kms:RotateKeyOnDemand", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            try requireUsable(record)
            let onDemand = record.versions.filter { $0.rotationType == "ON_DEMAND" }.count
            guard onDemand < options.maxOnDemandRotations else {
                throw KMSError(.limitExceeded, "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: \(record.arn)")
            }
            try addVersion(to: &record, type: "ON_DEMAND")
        }.arn
    }

    public func keyRotations(_ keyId: String, limit: Int?, marker: String?, caller: KMSCaller) throws(KMSError) -> KMSWire.ListKeyRotationsResponse {
        let record = try authorized(keyId, "kms:ListKeyRotations", caller: caller)
        let rotations = record.versions.filter { $0.rotationType != nil }.map {
            KMSWire.RotationListEntry(KeyId: record.arn, RotationDate: $0.createdAt.timeIntervalSince1970, RotationType: $0.rotationType!)
        }
        let (page, next) = try Self.page(rotations, limit: limit, marker: marker)
        return .init(Rotations: page, Truncated: next != nil, NextMarker: next)
    }

    // MARK: Policies

    public func putKeyPolicy(_ keyId: String, policyName: String?, policy: String, bypassLockoutSafetyCheck: Bool = false, caller: KMSCaller) throws(KMSError) {
        guard (policyName ?? Self.defaultPolicyName) == Self.defaultPolicyName else {
            throw KMSError(.notFound, "Policy name \(policyName ?? "") is not supported. The only valid policy name is 'default'.")
        }
        try Self.validatePolicy(policy)
        _ = try mutate(keyId, action: "kms:PutKeyPolicy", caller: caller) { (record: inout KMSKeyRecord) throws(KMSError) in
            try requireNotPending(record)
            if !bypassLockoutSafetyCheck { try checkLockout(policy, record: record, caller: caller) }
            record.policy = policy
        }
    }

    public func keyPolicy(_ keyId: String, policyName: String?, caller: KMSCaller) throws(KMSError) -> String {
        guard (policyName ?? Self.defaultPolicyName) == Self.defaultPolicyName else {
            throw KMSError(.notFound, "Policy name \(policyName ?? "") is not supported. The only valid policy name is 'default'.")
        }
        return try authorized(keyId, "kms:GetKeyPolicy", caller: caller).policy
    }

    /// Structural checks KMS makes before storing a policy (JSON object with a Statement,
    /// at most 32 KB). Evaluating key policies is the policy engine's job.
    static func validatePolicy(_ policy: String) throws(KMSError) {
        guard !policy.isEmpty, policy.utf8.count <= 32768 else {
            throw KMSError(.validation, "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length between 1 and 32768")
        }
        do { _ = try Policy.parseKeyPolicy(policy) } catch {
            throw KMSError(.malformedPolicyDocument, error.reason)
        }
    }

    // MARK: Listing

    public func listKeys(limit: Int?, marker: String?) throws(KMSError) -> KMSWire.ListKeysResponse {
        let all = try scan(KMSKeyLayout.allKeys, as: KMSKeyRecord.self).map { KMSWire.KeyListEntry(KeyId: $0.keyId, KeyArn: $0.arn) }
        let (page, next) = try Self.page(all, limit: limit, marker: marker)
        return .init(Keys: page, Truncated: next != nil, NextMarker: next)
    }

    /// Markers are the decimal offset of the next entry (opaque to clients).
    static func page<T>(_ all: [T], limit: Int?, marker: String?) throws(KMSError) -> ([T], String?) {
        let limit = limit ?? 100
        guard (1...1000).contains(limit) else {
            throw KMSError(.validation, "1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000")
        }
        var start = 0
        if let marker {
            guard let offset = Int(marker), offset >= 0, offset <= all.count else { throw KMSError(.invalidMarker, "Invalid marker") }
            start = offset
        }
        let end = min(all.count, start + limit)
        return (Array(all[start..<end]), end < all.count ? String(end) : nil)
    }

    // MARK: Aliases

    static func validateAliasName(_ name: String, allowReserved: Bool) throws(KMSError) {
        guard name.hasPrefix("alias/"), name.utf8.count <= 256, name.count > 6,
              name.dropFirst(6).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_-".contains($0)) })
        else {
            throw KMSError(.validation, "1 validation error detected: Value '\(name)' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
        }
        if name.hasPrefix("alias/aws/"), !allowReserved {
            throw KMSError(.invalidAliasName, "Alias must not begin with 'alias/aws/'")
        }
    }

    public func createAlias(_ name: String, targetKeyId: String, caller: KMSCaller) throws(KMSError) {
        try putAlias(name, target: targetKeyId, creating: true, caller: caller)
    }

    public func updateAlias(_ name: String, targetKeyId: String, caller: KMSCaller) throws(KMSError) {
        try putAlias(name, target: targetKeyId, creating: false, caller: caller)
    }

    /// Points alias `name` at `target`. With a caller, the alias name must not be reserved and the
    /// target's policy must allow the change; without one (Coffer creating `alias/aws/s3`), only
    /// reserved names are accepted.
    func putAlias(_ name: String, target: String, creating: Bool, caller: KMSCaller?) throws(KMSError) {
        let allowReserved = caller == nil
        guard caller != nil || name.hasPrefix("alias/aws/") else {
            throw KMSError(.accessDenied, "An alias operation needs a caller.")
        }
        try Self.validateAliasName(name, allowReserved: allowReserved)
        guard !target.hasPrefix("alias/"), !target.contains(":alias/") else {
            throw KMSError(.validation, "Aliases must refer to keys. Not aliases")
        }
        let targetRecord: KMSKeyRecord
        if let caller {
            targetRecord = try authorized(target, creating ? "kms:CreateAlias" : "kms:UpdateAlias", caller: caller)
        } else {
            targetRecord = try resolve(target)
        }
        if !allowReserved, targetRecord.keyManager == "AWS" {
            throw KMSError(.accessDenied, "You cannot associate an alias with the AWS managed key \(targetRecord.arn).")
        }
        try requireNotPending(targetRecord)
        let now = clock()
        let body = { () throws(KMSError) in
            let existing = try self.loadAlias(name)
            if creating, existing != nil { throw KMSError(.alreadyExists, "An alias with the name \(self.aliasArn(name)) already exists") }
            if !creating, existing == nil { throw KMSError(.notFound, "Alias \(self.aliasArn(name)) is not found.") }
            let record = KMSAliasRecord(name: name, targetKeyId: targetRecord.keyId, createdAt: existing?.createdAt ?? now, updatedAt: now)
            do { try self.records.apply(puts: [MetadataEntry(key: KMSKeyLayout.alias(name), value: try record.encoded())], deletes: []) } catch {
                throw KMSError(.internalFailure, "cannot write alias")
            }
        }
        if allowReserved { try body() } else { try withWriteLock(body) }
    }

    public func deleteAlias(_ name: String, caller: KMSCaller) throws(KMSError) {
        try Self.validateAliasName(name, allowReserved: false)
        try withWriteLock { () throws(KMSError) in
            guard let alias = try loadAlias(name) else { throw KMSError(.notFound, "Alias \(aliasArn(name)) is not found.") }
            if let record = try loadKey(id: alias.targetKeyId) { try authorize(record, "kms:DeleteAlias", caller: caller) }
            do { try records.apply(puts: [], deletes: [KMSKeyLayout.alias(name)]) } catch { throw KMSError(.internalFailure, "cannot delete alias") }
        }
    }

    public func listAliases(keyId: String?, limit: Int?, marker: String?) throws(KMSError) -> KMSWire.ListAliasesResponse {
        var filter: String?
        if let keyId { filter = try resolve(keyId).keyId }
        var aliases = try scan(KMSKeyLayout.allAliases, as: KMSAliasRecord.self)
        if let filter { aliases = aliases.filter { $0.targetKeyId == filter } }
        let entries = aliases.map {
            KMSWire.AliasListEntry(AliasName: $0.name, AliasArn: aliasArn($0.name), TargetKeyId: $0.targetKeyId,
                                   CreationDate: $0.createdAt.timeIntervalSince1970, LastUpdatedDate: $0.updatedAt.timeIntervalSince1970)
        }
        let (page, next) = try Self.page(entries, limit: limit, marker: marker)
        return .init(Aliases: page, Truncated: next != nil, NextMarker: next)
    }

    // MARK: Maintenance

    /// Deletes keys whose waiting period is over and performs due automatic rotations.
    /// The server calls this at start and periodically; lookups apply the same rules lazily.
    public func runMaintenance() throws(KMSError) -> (deleted: Int, rotated: Int) {
        let now = clock()
        var deleted = 0, rotated = 0
        for record in try scan(KMSKeyLayout.allKeys, as: KMSKeyRecord.self) {
            if record.state == .pendingDeletion, let date = record.deletionDate, date <= now {
                try delete(record)
                deleted += 1
            } else if record.rotationEnabled, record.state == .enabled, let next = record.nextRotationDate, next <= now {
                let before = record.versions.count
                if try resolve(record.keyId).versions.count > before { rotated += 1 }
            }
        }
        return (deleted, rotated)
    }

    /// Re-seals every key version's material under the root keyring's current version
    /// (`coffer keys rotate`); key material itself does not change.
    public func resealMaterial() throws(KMSError) -> Int {
        var count = 0
        try withWriteLock { () throws(KMSError) in
            for var record in try scan(KMSKeyLayout.allKeys, as: KMSKeyRecord.self) {
                var changed = false
                for index in record.versions.indices where record.versions[index].material.rootKeyVersion != keyring.currentVersion {
                    let entry = record.versions[index]
                    guard let bytes = Base64.decode(entry.material.sealed) else { throw KMSError(.internalFailure, "malformed key material") }
                    do {
                        let identity = Self.materialIdentity(keyId: record.keyId, version: entry.version)
                        let resealed = try KeyHierarchy.resealSSES3(SealedDataKey(rootKeyVersion: entry.material.rootKeyVersion, bytes: bytes), keyring: keyring, identity: identity)
                        record.versions[index].material = .init(rootKeyVersion: resealed.rootKeyVersion, sealed: Base64.encode(resealed.bytes))
                    } catch {
                        throw KMSError(.internalFailure, "cannot re-seal key material of \(record.arn)")
                    }
                    changed = true
                    count += 1
                }
                if changed { try save(record) }
            }
        }
        return count
    }
}
