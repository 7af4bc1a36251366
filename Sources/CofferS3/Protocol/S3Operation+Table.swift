/// The operation table: one row per S3 operation. The request pipeline authorises and audits
/// from it, `coffer policy simulate --http` derives action and resource from it, and the
/// in-process tests check every row. To add an operation: a case in `S3Operation`, its route
/// in `S3Operation.parse`, its row here, its handler in `S3Service+<Area>.swift`, its line
/// in `S3Service.dispatch` (docs/architecture.md), and its expected row and representative
/// request in `Tests/CofferServerTests/OperationTableRows.swift`.
extension S3Operation {
    public var spec: OperationSpec {
        switch self {
        case .listBuckets: .init(action: "s3:ListAllMyBuckets", resource: .service, authorization: .identity)
        case .createBucket: .init(action: "s3:CreateBucket", resource: .bucket, authorization: .identity)
        case .headBucket: .init(action: "s3:ListBucket", resource: .bucket)
        case .deleteBucket: .init(action: "s3:DeleteBucket", resource: .bucket)
        case .getBucketLocation: .init(action: "s3:GetBucketLocation", resource: .bucket)
        case .getBucketAcl: .init(action: "s3:GetBucketAcl", resource: .bucket)
        case .putBucketAcl: .init(action: "s3:PutBucketAcl", resource: .bucket)
        case .getBucketVersioning: .init(action: "s3:GetBucketVersioning", resource: .bucket)
        case .putBucketVersioning: .init(action: "s3:PutBucketVersioning", resource: .bucket)
        case .getBucketOwnershipControls: .init(action: "s3:GetBucketOwnershipControls", resource: .bucket)
        case .putBucketEncryption, .deleteBucketEncryption: .init(action: "s3:PutEncryptionConfiguration", resource: .bucket)
        case .getBucketEncryption: .init(action: "s3:GetEncryptionConfiguration", resource: .bucket)
        case .listObjects, .listObjectsV2: .init(action: "s3:ListBucket", resource: .bucket)
        case .listObjectVersions: .init(action: "s3:ListBucketVersions", resource: .bucket)
        case .listMultipartUploads: .init(action: "s3:ListBucketMultipartUploads", resource: .bucket)
        case .deleteObjects: .init(action: "s3:DeleteObject", resource: .object, authorization: .perKey, audit: .dataEvent)
        case .putObject: .init(action: "s3:PutObject", resource: .object, audit: .dataEvent, requestTags: .header, objectLock: .headers)
        case .getObject, .headObject:
            .init(action: "s3:GetObject", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  existingObjectTags: true, tagCountRevealedBy: "s3:GetObjectTagging")
        case .getObjectAttributes:
            .init(action: "s3:GetObjectAttributes", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  alsoRequires: ["s3:GetObject"], existingObjectTags: true)
        case .deleteObject: .init(action: "s3:DeleteObject", resource: .object, audit: .dataEvent)
        case .copyObject:
            .init(action: "s3:PutObject", resource: .object, audit: .dataEvent, copySourceAction: "s3:GetObject", requestTags: .header,
                  objectLock: .headers)
        case .uploadPartCopy:
            .init(action: "s3:PutObject", resource: .object, audit: .dataEvent, copySourceAction: "s3:GetObject")
        case .getObjectAcl: .init(action: "s3:GetObjectAcl", resource: .object, existingObjectTags: true)
        case .putObjectAcl: .init(action: "s3:PutObjectAcl", resource: .object, existingObjectTags: true)
        case .createMultipartUpload:
            .init(action: "s3:PutObject", resource: .object, audit: .dataEvent, requestTags: .header, objectLock: .headers)
        case .uploadPart, .completeMultipartUpload:
            .init(action: "s3:PutObject", resource: .object, audit: .dataEvent)
        case .abortMultipartUpload: .init(action: "s3:AbortMultipartUpload", resource: .object, audit: .dataEvent)
        case .listParts: .init(action: "s3:ListMultipartUploadParts", resource: .object, audit: .dataEvent)
        case .putBucketPolicy: .init(action: "s3:PutBucketPolicy", resource: .bucket, authorization: .bucketPolicyManagement)
        case .getBucketPolicy: .init(action: "s3:GetBucketPolicy", resource: .bucket, authorization: .bucketPolicyManagement)
        case .deleteBucketPolicy: .init(action: "s3:DeleteBucketPolicy", resource: .bucket, authorization: .bucketPolicyManagement)
        case .getBucketPolicyStatus: .init(action: "s3:GetBucketPolicyStatus", resource: .bucket)
        // S3 authorises DeleteBucketTagging with s3:PutBucketTagging (there is no s3:DeleteBucketTagging).
        case .putBucketTagging, .deleteBucketTagging: .init(action: "s3:PutBucketTagging", resource: .bucket)
        case .getBucketTagging: .init(action: "s3:GetBucketTagging", resource: .bucket)
        case .putObjectTagging:
            .init(action: "s3:PutObjectTagging", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  requestTags: .body, existingObjectTags: true)
        case .getObjectTagging:
            .init(action: "s3:GetObjectTagging", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  existingObjectTags: true)
        // Every Object Lock change and every read of a lock is in the audit trail.
        case .putObjectLockConfiguration: .init(action: "s3:PutBucketObjectLockConfiguration", resource: .bucket, audit: .dataEvent)
        case .getObjectLockConfiguration: .init(action: "s3:GetBucketObjectLockConfiguration", resource: .bucket)
        case .putObjectRetention:
            .init(action: "s3:PutObjectRetention", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  objectLock: .retentionBody)
        case .getObjectRetention:
            .init(action: "s3:GetObjectRetention", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket")
        case .putObjectLegalHold:
            .init(action: "s3:PutObjectLegalHold", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  objectLock: .legalHoldBody)
        case .getObjectLegalHold:
            .init(action: "s3:GetObjectLegalHold", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket")
        case .deleteObjectTagging:
            .init(action: "s3:DeleteObjectTagging", resource: .object, audit: .dataEvent, missingKeyRevealedBy: "s3:ListBucket",
                  existingObjectTags: true)
        }
    }

    /// The row for `request`: the version form of it when the request names a version of an
    /// object (`?versionId=`, `null` included).
    public func spec(for request: S3Request) -> OperationSpec {
        guard spec.resource == .object, request.queryValue("versionId") != nil else { return spec }
        return spec.namingVersion()
    }

    /// The IAM action a policy matches for this operation (`s3:PutObject`, ...).
    public var iamAction: String { spec.action }
}
