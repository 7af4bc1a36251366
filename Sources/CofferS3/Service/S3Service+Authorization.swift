import CofferPolicy
import CofferStorage
import Foundation
import Synchronization

/// Authorisation with IAM's logic over the caller's identity permissions and the bucket policy
/// (docs/bucket-policies.md):
///
/// - identity permissions: the account's root user may do everything, a user may do
///   everything to the buckets they created (Coffer's ownership grant), plus what their
///   identity policy in the users file allows; anonymous callers have none;
/// - the bucket policy, evaluated for every request to the bucket with the request context
///   S3 builds (`S3PolicyRequest`);
/// - an explicit Deny in the identity policy or the bucket policy wins (over the ownership grant
///   too); otherwise an Allow anywhere allows; otherwise 403.
///
/// As on S3, the root user can always read, replace and delete a bucket policy, so a policy
/// cannot lock the account out of its own bucket.
extension S3Service {
    static let policyManagement: Set<S3Operation> = [.putBucketPolicy, .getBucketPolicy, .deleteBucketPolicy]

    /// The parsed policy of `bucket`, cached by its text.
    func bucketPolicy(_ bucket: BucketRecord) -> Policy? {
        guard let text = Self.storedPolicy(bucket) else { return nil }
        if let cached = policyCache.withLock({ $0[bucket.name] }), cached.text == text { return cached.policy }
        guard let policy = try? Policy.parse(text, bucket: bucket.name) else {
            logger.error("stored bucket policy does not parse; denying", metadata: ["bucket": .string(bucket.name)])
            return Policy.denyAll
        }
        policyCache.withLock { $0[bucket.name] = (text, policy) }
        return policy
    }

    /// The IAM request for `call` (built only when a policy has to be evaluated).
    func policyRequest(_ call: S3Call, action: String?) -> PolicyRequest {
        let caller = call.user.map(PolicyCaller.user) ?? .anonymous
        let authentication = call.auth.map { PolicyAuthentication(authType: $0.isPresigned ? "REST-QUERY-STRING" : "REST-HEADER", signedAt: $0.signingTime.date) }
        let kms = call.request.header(SSEKMSChoice.keyIdHeader).map { header in
            S3PolicyRequest.kmsKeyArn(header, region: options.region, accountId: users.root.accountId) { alias in
                kmsAPI?.service.keyArn(for: alias)
            }
        }
        return S3PolicyRequest.make(call.request, operation: call.operation, caller: caller, authentication: authentication,
                                    now: call.now, kmsKeyArn: kms, action: action)
    }

    /// Whether the caller may do `action` (default: the operation's) to `bucket`.
    func isAuthorized(_ call: S3Call, bucket: BucketRecord, action: String? = nil) -> Bool {
        if call.user?.isRoot == true, action == nil, Self.policyManagement.contains(call.operation) { return true }
        let policy = bucketPolicy(bucket)
        let identityPolicy = call.user?.policy
        let ownerGrant = call.user.map { $0.isRoot || bucket.owner == $0.name } ?? false
        // The common case needs no request context at all.
        if policy == nil, identityPolicy == nil { return ownerGrant }
        let request = policyRequest(call, action: action)
        let identity = identityPolicy?.decide(request)
        let resource = policy?.decide(request)
        if identity == .explicitDeny || resource == .explicitDeny { return false }
        return ownerGrant || identity == .allow || resource == .allow
    }

    /// Whether an identity policy lets the caller do something outside any bucket (CreateBucket,
    /// ListBuckets): with no policy, every user may; a policy's explicit Deny refuses.
    func identityAllows(_ call: S3Call, action: String, resource: String) -> Bool {
        guard let user = call.user else { return false }
        guard let policy = user.policy else { return true }
        let request = PolicyRequest(principal: PolicyCaller.user(user).principal, action: action, resource: resource,
                                    context: ["aws:SecureTransport": [call.request.secure ? "true" : "false"]]
                                        .merging(call.request.sourceIP.map { ["aws:SourceIp": [$0]] } ?? [:]) { a, _ in a })
        return policy.decide(request) != .explicitDeny
    }

    /// AccessDenied unless the caller may do `action` to `bucket`.
    func authorize(_ call: S3Call, bucket: BucketRecord, action: String? = nil) throws(S3Error) {
        guard isAuthorized(call, bucket: bucket, action: action) else { throw S3Error(.accessDenied) }
    }
}

extension Policy {
    /// What a stored policy that no longer parses means: nothing is allowed by it, and
    /// everything is denied (fail closed).
    static let denyAll: Policy = {
        // A constant document: it parses.
        try! Policy.parse(#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#)
    }()
}
