import CofferStorage
import Foundation
import HTTPTypes

/// An S3 call the pipeline has authorised, as every handler receives it: the request with its
/// caller, the bucket record the operation acts on (resolved once), the authorised copy source,
/// and the checks the operation table declares for later in the handler (the 404-or-403 rule
/// for a missing key, per-key authorisation). Only the pipeline makes one.
@dynamicMemberLookup
struct AuthorizedCall: Sendable {
    let call: S3Call
    /// The bucket the operation acts on; nil only for operations that name no bucket record
    /// (ListBuckets, CreateBucket).
    let bucket: BucketRecord?
    /// CopyObject and UploadPartCopy: the source, which the caller may read.
    let copySource: AuthorizedCopySource?
    /// The body the pipeline read before authorising (the table's `requestTags: .body`), or
    /// what stopped it being read, for the handler to answer.
    let prefetched: Result<PrefetchedBody, any Error>?
    fileprivate let service: S3Service

    fileprivate init(call: S3Call, bucket: BucketRecord?, copySource: AuthorizedCopySource?, prefetched: Result<PrefetchedBody, any Error>? = nil, service: S3Service) {
        self.call = call
        self.bucket = bucket
        self.copySource = copySource
        self.prefetched = prefetched
        self.service = service
    }

    subscript<T>(dynamicMember path: KeyPath<S3Call, T>) -> T { call[keyPath: path] }

    /// The bucket record of a bucket or object operation.
    func targetBucket() throws(S3Error) -> BucketRecord {
        guard let bucket else { throw S3Error(.internalError, "The operation table gives this operation no bucket.") }
        return bucket
    }

    /// The caller of an operation the table authorises by identity (never anonymous).
    func requireUser() throws(S3Error) -> User {
        guard let user = call.user else { throw S3Error(.accessDenied) }
        return user
    }

    /// The error for a key that does not exist: NoSuchKey (404) when the caller may learn that
    /// (the table's `missingKeyRevealedBy`, `s3:ListBucket` on the bucket ARN), else
    /// AccessDenied (403), as S3 answers.
    func missingKey(_ key: String) async -> S3Error {
        let notFound = S3Error(.noSuchKey, extra: [("Key", key)])
        guard let action = call.spec.missingKeyRevealedBy, let bucket else { return notFound }
        let question = S3Service.AccessQuestion(action: action, scope: .bucket)
        return await service.isAuthorized(call, bucket: bucket, question) ? notFound : S3Error(.accessDenied)
    }

    /// For operations authorised per key (DeleteObjects): whether the caller may do the
    /// operation's action to `key`, or its version form to the version `versionId` names.
    func isAllowed(key: String, versionId: String? = nil) async -> Bool {
        guard call.spec.authorization == .perKey, let bucket else { return false }
        let action = versionId.map { _ in OperationSpec.versionAction(call.spec.action) }
        return await service.isAuthorized(call, bucket: bucket, .init(action: action, key: key, versionId: versionId))
    }

    /// Whether the caller may also do `action` to the request's bucket or object (a permission
    /// a header asks for: `s3:BypassGovernanceRetention`, `s3:GetObjectRetention` to see a
    /// version's retention, ...).
    func mayAlso(_ action: String) async -> Bool {
        guard let bucket else { return false }
        return await service.isAuthorized(call, bucket: bucket, .init(action: action))
    }

    /// For reads that answer `x-amz-tagging-count`: whether the caller may read the tags of the
    /// object, which has `tags` (the table's `tagCountRevealedBy`, `s3:GetObjectTagging`).
    func mayReadTagCount(of tags: [StoredTag]) async -> Bool {
        guard let action = call.spec.tagCountRevealedBy, let bucket else { return false }
        return await service.isAuthorized(call, bucket: bucket, .init(action: action, existingTags: .known(tags)))
    }

    /// The body the pipeline read before authorising, or the error that stopped it.
    func prefetchedBody() throws -> PrefetchedBody {
        guard let prefetched else { throw S3Error(.internalError, "The operation table gives this operation no prefetched body.") }
        return try prefetched.get()
    }
}

/// The source of a copy, after the pipeline checked that the caller may read it.
struct AuthorizedCopySource: Sendable {
    var source: CopySource
    var bucket: BucketRecord
}

extension S3Service {
    /// The authorisation step of the pipeline, driven by the operation table: resolves the
    /// bucket, authorises the operation (and a copy's source) once, before any handler runs,
    /// and checks the expected bucket owners.
    func authorize(_ call: S3Call) async throws -> AuthorizedCall {
        let spec = call.spec
        switch spec.authorization {
        case .identity:
            guard call.user != nil, identityAllows(call) else { throw S3Error(.accessDenied) }
            return AuthorizedCall(call: call, bucket: nil, copySource: nil, service: self)
        case .bucket, .bucketPolicyManagement, .perKey:
            let bucket = try await requireBucket(call.request.bucket)
            var call = call
            let prefetched = await readRequestContext(&call)
            let existing: AccessQuestion.ExistingTags = spec.existingObjectTags ? .lookUp : .none
            // Per-key operations are authorised key by key by their handler (`isAllowed`).
            if spec.authorization != .perKey, !(await isAuthorized(call, bucket: bucket, AccessQuestion(existingTags: existing))) {
                throw S3Error(.accessDenied)
            }
            // What the request needs besides (S3PolicyRequest.alsoRequired, the dry run's list too):
            // s3:GetObject for GetObjectAttributes, s3:PutObjectTagging for x-amz-tagging,
            // s3:PutObjectRetention / s3:PutObjectLegalHold for the lock headers.
            for action in S3PolicyRequest.alsoRequired(call.request, operation: call.operation, requestTags: call.requestTags)
            where !(await isAuthorized(call, bucket: bucket, AccessQuestion(action: action, existingTags: existing))) {
                throw S3Error(.accessDenied)
            }
            // S3 lets only identities of the bucket owner's account manage its policy: anyone
            // else a policy allows gets 405 MethodNotAllowed (every user of Coffer is in the
            // account, so that is the anonymous caller).
            if spec.authorization == .bucketPolicyManagement, call.user == nil {
                throw S3Operation.methodNotAllowed(call.request.method.rawValue, .bucket)
            }
            try checkExpectedOwner(call, header: .xAmzExpectedBucketOwner)
            var copySource: AuthorizedCopySource?
            if let action = spec.copySourceAction {
                copySource = try await authorizeCopySource(call, action: action)
            }
            return AuthorizedCall(call: call, bucket: bucket, copySource: copySource, prefetched: prefetched, service: self)
        }
    }

    private func requireBucket(_ name: String?) async throws -> BucketRecord {
        guard let name else { throw S3Error(.invalidRequest) }
        guard let bucket = try await store.bucket(named: name) else {
            throw S3Error(.noSuchBucket, extra: [("BucketName", name)])
        }
        return bucket
    }

    private func checkExpectedOwner(_ call: S3Call, header: HTTPField.Name) throws(S3Error) {
        if let expected = call.request.header(header), expected != users.root.accountId {
            throw S3Error(.accessDenied)
        }
    }

    /// A copy reads its source with `action` (`s3:GetObject` on the source object ARN).
    private func authorizeCopySource(_ call: S3Call, action: String) async throws -> AuthorizedCopySource {
        let source = try CopySource.parse(call.request)
        let bucket = try await requireBucket(source.bucket)
        let question = AccessQuestion(action: source.version.namesVersion ? OperationSpec.versionAction(action) : action, scope: .object,
                                      key: source.key, existingTags: .lookUp, versionId: source.version.text)
        guard await isAuthorized(call, bucket: bucket, question) else { throw S3Error(.accessDenied) }
        try checkExpectedOwner(call, header: .xAmzSourceExpectedBucketOwner)
        return AuthorizedCopySource(source: source, bucket: bucket)
    }
}
