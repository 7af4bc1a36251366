import CofferPolicy
import Foundation
import Synchronization

/// Key policies, evaluated with the same IAM engine as bucket policies (CofferPolicy). Every
/// operation on a key is authorised against that key's policy for the caller making it: the
/// KMS API's caller, or for SSE-KMS the S3 caller (`kms:ViaService` = `s3.<region>.amazonaws.com`).
/// The caller is passed explicitly to every operation that touches a key; the server's own
/// housekeeping (maintenance, re-sealing, the AWS managed key) never goes through these checks,
/// and there is no way to ask for a key operation without naming a caller.
///
/// The default key policy allows `kms:*` to the account (`arn:aws:iam::<account>:root`), which
/// Coffer reads as covering every user of the account (on AWS it delegates to IAM policies); a
/// policy that names only some principals, or denies some, restricts the others (403
/// AccessDenied through S3, AccessDeniedException through KMS). A Deny in the caller's identity
/// policy refuses the use too: deny wins across policy types.
extension BuiltInKeyService {
    /// The parsed policy of a key, cached by (key id, policy text).
    func parsedPolicy(_ record: KMSKeyRecord) throws(KMSError) -> Policy {
        try policies.value(for: record.keyId, validFor: record.policy) { () throws(KMSError) -> Policy in
            do { return try Policy.parseKeyPolicy(record.policy) } catch {
                throw KMSError(.internalFailure, "the stored policy of \(record.arn) does not parse")
            }
        }
    }

    /// The policy request for `caller` doing `action` on the key.
    func policyRequest(_ record: KMSKeyRecord, action: String, caller: KMSCaller, context: EncryptionContext?) -> PolicyRequest {
        var keys: [String: [String]] = ["kms:CallerAccount": [caller.accountId]]
        if let context {
            for (key, value) in context { keys["kms:EncryptionContext:\(key)"] = [value] }
            keys["kms:EncryptionContextKeys"] = Array(context.keys)
        }
        if let service = caller.invokedBy, service == "s3.amazonaws.com" {
            keys["kms:ViaService"] = ["s3.\(options.region).amazonaws.com"]
        } else if let ip = caller.sourceIPAddress {
            keys["aws:SourceIp"] = [ip]
        }
        if let agent = caller.userAgent { keys["aws:UserAgent"] = [agent] }
        let principal: PolicyPrincipal = caller.principalArn == "anonymous"
            ? .anonymous : .aws(AWSPrincipal(arn: caller.principalArn, accountId: caller.accountId))
        return PolicyRequest(principal: principal, action: action, resource: record.arn, context: keys)
    }

    /// Throws AccessDeniedException unless the key's policy allows the current caller `action`
    /// and the caller's identity policy, if any, does not deny it.
    func authorize(_ record: KMSKeyRecord, _ action: String, caller: KMSCaller, context: EncryptionContext? = nil) throws(KMSError) {
        // A caller that names nobody is no caller: refuse rather than evaluate it (fail closed).
        guard caller.isIdentified else {
            throw KMSError(.accessDenied, "The request names no caller; \(action) on \(record.arn) is refused")
        }
        let request = policyRequest(record, action: action, caller: caller, context: context)
        if let identity = caller.identityPolicy, identity.decide(request) == .explicitDeny {
            throw KMSError(.accessDenied, "User: \(caller.principalArn) is not authorized to perform: \(action) on resource: \(record.arn) with an explicit deny in an identity-based policy")
        }
        let decision = try parsedPolicy(record).decide(request)
        switch decision {
        case .allow:
            return
        case .explicitDeny:
            throw KMSError(.accessDenied, "User: \(caller.principalArn) is not authorized to perform: \(action) on resource: \(record.arn) with an explicit deny in a resource-based policy")
        case .implicitDeny:
            throw KMSError(.accessDenied, "User: \(caller.principalArn) is not authorized to perform: \(action) on resource: \(record.arn) because no resource-based policy allows the \(action) action")
        }
    }

    /// Resolves a key id and authorises `action` on it.
    func authorized(_ identifier: String, _ action: String, caller: KMSCaller, context: EncryptionContext? = nil) throws(KMSError) -> KMSKeyRecord {
        let record = try resolve(identifier)
        try authorize(record, action, caller: caller, context: context)
        return record
    }

    /// PutKeyPolicy's lockout safety check: the new policy must still let the caller change it.
    func checkLockout(_ policyText: String, record: KMSKeyRecord, caller: KMSCaller) throws(KMSError) {
        guard caller.isIdentified else {
            throw KMSError(.accessDenied, "The request names no caller; kms:PutKeyPolicy on \(record.arn) is refused")
        }
        let policy: Policy
        do { policy = try Policy.parseKeyPolicy(policyText) } catch {
            throw KMSError(.malformedPolicyDocument, error.reason)
        }
        if !policy.decide(policyRequest(record, action: "kms:PutKeyPolicy", caller: caller, context: nil)).isAllowed {
            throw KMSError(.malformedPolicyDocument, "The new key policy will not allow you to update the key policy in the future.")
        }
    }
}

extension BuiltInKeyService {
    /// The ARN of the key an id, ARN or alias names, without a policy check or an audit
    /// record (S3 puts it in the bucket-policy request context); nil when nothing matches.
    public func keyArn(for identifier: String) -> String? {
        try? resolve(identifier).arn
    }
}
