/// What one S3 operation is, as the request pipeline and the dry run see it: the IAM action a
/// policy matches, the ARN it acts on, how it is authorised and how it is audited. One row per
/// operation lives in `S3Operation+Table.swift`; nothing else in Coffer decides these facts.
public struct OperationSpec: Sendable, Equatable {
    /// The ARN an operation's action is evaluated against.
    public enum Resource: Sendable, Equatable {
        /// `*`: the operation names no bucket (ListBuckets).
        case service
        /// `arn:aws:s3:::bucket`.
        case bucket
        /// `arn:aws:s3:::bucket/key`.
        case object
    }

    /// How the pipeline authorises the operation before its handler runs.
    public enum Authorization: Sendable, Equatable {
        /// The bucket must exist; identity permissions and the bucket policy must allow
        /// `action` on `resource` (IAM's logic, docs/bucket-policies.md).
        case bucket
        /// As `.bucket`, except that the account's root user is always allowed: a bucket
        /// policy can never lock the account out of managing that policy (as on S3).
        case bucketPolicyManagement
        /// No bucket record is consulted: an authenticated user whose identity policy does
        /// not deny `action` (ListBuckets, CreateBucket).
        case identity
        /// The bucket must exist; `action` is authorised per object key named in the body,
        /// and refused keys are reported one by one (DeleteObjects).
        case perKey
    }

    /// What the audit trail records of the operation.
    public enum Audit: Sendable, Equatable {
        /// A CloudTrail data event for every request, allowed or refused.
        case dataEvent
        /// Only refused requests (AccessDenied and failed authentication).
        case whenRefused
    }

    /// The IAM action, in AWS form (`s3:PutObject`).
    public var action: String
    public var resource: Resource
    public var authorization: Authorization
    public var audit: Audit
    /// For reads of a key: the action on the *bucket* that lets the caller learn a key is
    /// missing. With it a missing key is 404 NoSuchKey, without it 403 AccessDenied (S3 checks
    /// `s3:ListBucket` on `arn:aws:s3:::bucket`).
    public var missingKeyRevealedBy: String?
    /// For copies: the action the caller needs on the source object (`s3:GetObject`), and the
    /// header naming the source bucket's expected owner.
    public var copySourceAction: String?
    /// Further actions the caller needs on the same resource (GetObjectAttributes needs
    /// `s3:GetObject` as well as `s3:GetObjectAttributes`).
    public var alsoRequires: [String]

    /// Where the tags an object operation sets come from. They are the request's
    /// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys` (for the actions that carry
    /// those keys), and a request whose `x-amz-tagging` names any tag also needs
    /// ``setTagsAction`` on the object, as S3 requires.
    public enum RequestTags: Sendable, Equatable {
        /// `x-amz-tagging` (PutObject, CreateMultipartUpload; CopyObject only with
        /// `x-amz-tagging-directive: REPLACE`, as a copy otherwise takes the source's tags).
        case header
        /// The body, a `Tagging` document (PutObjectTagging), which the pipeline therefore
        /// reads before it authorises.
        case body
    }

    /// Where the Object Lock a request asks for comes from: its `s3:object-lock-*` condition
    /// keys (``S3PolicyRequest/objectLockContext(_:operation:body:now:)``).
    public enum ObjectLockSource: Sendable, Equatable {
        /// `x-amz-object-lock-*` headers of a write of a new version (PutObject, CopyObject,
        /// CreateMultipartUpload): a request with them also needs the actions
        /// ``ObjectLockHeaders/requiredActions(_:)`` names.
        case headers
        /// The `Retention` body of PutObjectRetention, read before authorising.
        case retentionBody
        /// The `LegalHold` body of PutObjectLegalHold, read before authorising.
        case legalHoldBody
    }

    /// Where the request's Object Lock comes from; nil when it sets none.
    public var objectLock: ObjectLockSource?

    /// Whether the pipeline reads the (small) body before it authorises, because the request
    /// context needs it: PutObjectTagging's tags, PutObjectRetention's retention,
    /// PutObjectLegalHold's status.
    public var readsBodyFirst: Bool { requestTags == .body || objectLock == .retentionBody || objectLock == .legalHoldBody }

    /// The action a request that sets tags through `x-amz-tagging` also needs.
    public static let setTagsAction = "s3:PutObjectTagging"

    /// Where the operation's request tags come from; nil when it sets none.
    public var requestTags: RequestTags?
    /// Whether `action` and `alsoRequires` are evaluated with the tags the object has
    /// (`s3:ExistingObjectTag/<key>`): reads of the object and changes to its tags or ACL, the
    /// actions S3 documents the key for (never a write of the object itself). A copy's source
    /// is always read with its own tags.
    public var existingObjectTags: Bool
    /// For reads that answer `x-amz-tagging-count`: the action the caller needs on the object
    /// for the header to be sent (`s3:GetObjectTagging`: S3 sends the count "when you have the
    /// relevant permission to read object tags").
    public var tagCountRevealedBy: String?

    public init(
        action: String, resource: Resource, authorization: Authorization = .bucket, audit: Audit = .whenRefused,
        missingKeyRevealedBy: String? = nil, copySourceAction: String? = nil, alsoRequires: [String] = [],
        requestTags: RequestTags? = nil, existingObjectTags: Bool = false, tagCountRevealedBy: String? = nil, objectLock: ObjectLockSource? = nil
    ) {
        self.objectLock = objectLock
        self.alsoRequires = alsoRequires
        self.requestTags = requestTags
        self.existingObjectTags = existingObjectTags
        self.tagCountRevealedBy = tagCountRevealedBy
        self.action = action
        self.resource = resource
        self.authorization = authorization
        self.audit = audit
        self.missingKeyRevealedBy = missingKeyRevealedBy
        self.copySourceAction = copySourceAction
    }

    /// The actions S3 authorises instead of the object actions when a request names a version
    /// (`versionId`, `null` included): GetObject of a version is `s3:GetObjectVersion`, and so on.
    static let versionActions: [String: String] = [
        "s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion",
        "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
        "s3:GetObjectTagging": "s3:GetObjectVersionTagging", "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
        "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
        "s3:GetObjectAcl": "s3:GetObjectVersionAcl", "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    ]

    /// The action S3 authorises for `action` on a named version (itself when it has no
    /// version form, as for writes, which never name a version).
    public static func versionAction(_ action: String) -> String { versionActions[action] ?? action }

    /// This row for a request that names a version: every object action it names becomes its
    /// version form (GetObjectAttributes of a version needs `s3:GetObjectVersionAttributes` and
    /// `s3:GetObjectVersion`; its tag count, `s3:GetObjectVersionTagging`).
    public func namingVersion() -> OperationSpec {
        var spec = self
        spec.action = Self.versionAction(action)
        spec.alsoRequires = alsoRequires.map(Self.versionAction)
        spec.tagCountRevealedBy = tagCountRevealedBy.map(Self.versionAction)
        return spec
    }

    /// The ARN of `resource` for a request addressing `bucket` and `key`.
    public static func arn(_ resource: Resource, bucket: String?, key: String?) -> String {
        switch resource {
        case .service: return "*"
        case .bucket: return bucket.map { "arn:aws:s3:::\($0)" } ?? "*"
        case .object:
            guard let bucket else { return "*" }
            return "arn:aws:s3:::\(bucket)/\(key ?? "")"
        }
    }
}
