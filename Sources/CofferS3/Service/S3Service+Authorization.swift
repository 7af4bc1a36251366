import CofferKMS
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
/// These are the pipeline's primitives (`S3Service+Pipeline.swift`): no handler calls them.
extension S3Service {
    /// One authorisation question: may the caller do `action` to `scope` of `bucket` (the
    /// operation's own action and resource when nil), for `key` when it is not the request's?
    struct AccessQuestion: Sendable {
        /// Where `s3:ExistingObjectTag/<key>` comes from, for an action that carries it.
        enum ExistingTags: Sendable {
            /// The question is not about an object's tags.
            case none
            /// Read the object's record, when a policy that decides reads the key.
            case lookUp
            /// The object's tags, already read.
            case known([StoredTag]?)
        }

        var action: String?
        var scope: OperationSpec.Resource?
        var key: String?
        var existingTags: ExistingTags = .none
        /// The version of `key` the question is about (`versionId`, `null` included); for the
        /// request's own key, the request's `versionId` is.
        var versionId: String? = nil
        var isOperationItself: Bool { action == nil && scope == nil && key == nil }

        static let operation = AccessQuestion()
    }

    /// The parsed policy of `bucket`, cached by its text.
    func bucketPolicy(_ bucket: BucketRecord) -> Policy? {
        guard let text = Self.storedPolicy(bucket) else { return nil }
        return policyCache.value(for: bucket.name, validFor: text) { () -> Policy in
            guard let policy = try? Policy.parse(text, bucket: bucket.name) else {
                logger.error("stored bucket policy does not parse; denying", metadata: ["bucket": .string(bucket.name)])
                return Policy.denyAll
            }
            return policy
        }
    }

    /// The IAM request for `question` (built only when a policy has to be evaluated), with
    /// `existingTags`, the tags of the object the question is about, if known.
    func policyRequest(_ call: S3Call, _ question: AccessQuestion, bucket: String?, existingTags: [StoredTag]? = nil) async -> PolicyRequest {
        let caller = call.user.map(PolicyCaller.user) ?? .anonymous
        let authentication = call.auth.map { PolicyAuthentication($0.mechanism, signedAt: $0.signingTime?.date) }
        var kms: String?
        if let header = call.request.header(SSEKMSChoice.keyIdHeader) {
            let resolved = S3PolicyRequest.isKeyArn(header) ? nil : await resolveKeyArn(header, call: call)
            kms = resolved ?? S3PolicyRequest.kmsKeyArn(header, region: options.region, accountId: users.root.accountId)
        }
        return S3PolicyRequest.make(call.request, operation: call.operation, caller: caller, authentication: authentication,
                                    now: call.now, kmsKeyArn: kms, action: question.action, scope: question.scope,
                                    bucket: bucket, key: question.key, requestTags: call.requestTags, existingTags: existingTags,
                                    versionId: question.versionId, body: call.prefetchedBytes)
    }

    /// The key ARN a key id, alias name or alias ARN names, asked of the key service SSE-KMS
    /// actually uses (the built-in KMS, or the remote one of `--kms-endpoint`), on the caller's
    /// behalf and audited like every key-service call: S3 puts the key's ARN in the request
    /// context. Nil when the service does not know the key or cannot be reached: the context
    /// then carries the header's own form, which no key-ARN condition matches (fail closed).
    func resolveKeyArn(_ identifier: String, call: S3Call) async -> String? {
        guard let service = keys.kms?.service else { return nil }
        return try? await service.describeKey(DescribeKeyRequest(keyId: identifier, caller: kmsCaller(call))).Arn
    }

    /// The tags `question` is evaluated with: looked up only when one of `policies` reads
    /// `s3:ExistingObjectTag/`. Throws when the record cannot be read, and the caller refuses:
    /// a Deny on a tag must never be escaped by a failed read.
    func existingTags(_ call: S3Call, _ question: AccessQuestion, bucket: BucketRecord, policies: [Policy]) async throws -> [StoredTag]? {
        switch question.existingTags {
        case .none: return nil
        case .known(let tags): return tags
        case .lookUp:
            guard policies.contains(where: { $0.readsKey(withPrefix: S3PolicyRequest.existingTagPrefix) }),
                  let key = question.key ?? call.request.key else { return nil }
            do {
                // The tags of the version asked about; a malformed id has none (the handler refuses it).
                let named = question.key != nil ? question.versionId : call.request.queryValue("versionId")
                let version = VersionSelector(versionId: named) ?? .current
                return try await store.version(bucket: bucket.name, key: key, version)?.tags ?? []
            } catch {
                logger.error("cannot read an object's tags for a policy; denying", metadata: [
                    "request-id": .string(call.requestId), "bucket": .string(bucket.name), "error": .string(String(describing: error)),
                ])
                throw error
            }
        }
    }

    /// Whether the caller may do what `question` asks to `bucket`.
    func isAuthorized(_ call: S3Call, bucket: BucketRecord, _ question: AccessQuestion = .operation) async -> Bool {
        if call.user?.isRoot == true, question.isOperationItself, call.spec.authorization == .bucketPolicyManagement { return true }
        let policy = bucketPolicy(bucket)
        let identityPolicy = call.user?.policy
        let ownerGrant = call.user.map { $0.isRoot || bucket.owner == $0.name } ?? false
        // The common case needs no request context at all.
        if policy == nil, identityPolicy == nil { return ownerGrant }
        let tags: [StoredTag]?
        do { tags = try await existingTags(call, question, bucket: bucket, policies: [policy, identityPolicy].compactMap { $0 }) } catch { return false }
        let request = await policyRequest(call, question, bucket: bucket.name, existingTags: tags)
        let identity = identityPolicy?.decide(request)
        let resource = policy?.decide(request)
        if identity == .explicitDeny || resource == .explicitDeny { return false }
        return ownerGrant || identity == .allow || resource == .allow
    }

    /// Whether an identity policy lets the caller do the operation outside any bucket record
    /// (CreateBucket, ListBuckets): with no policy, every user may; a policy's explicit Deny
    /// refuses.
    func identityAllows(_ call: S3Call) -> Bool {
        guard let user = call.user else { return false }
        guard let policy = user.policy else { return true }
        let spec = call.spec
        var context: [String: [String]] = ["aws:SecureTransport": [call.request.secure ? "true" : "false"]]
        if let ip = call.request.sourceIP { context["aws:SourceIp"] = [ip] }
        let request = PolicyRequest(principal: PolicyCaller.user(user).principal, action: spec.action,
                                    resource: OperationSpec.arn(spec.resource, bucket: call.request.bucket, key: nil), context: context)
        return policy.decide(request) != .explicitDeny
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
