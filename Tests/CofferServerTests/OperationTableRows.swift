@testable import CofferS3
import CofferCrypto
import HTTPTypes
import Testing

/// The operation table as the tests expect it, written out independently of
/// `S3Operation+Table.swift`: per operation, its IAM action, resource and authorization rule,
/// and one representative request with the answer an allowed caller gets. `OperationTableTests`
/// checks every production row against this one; a changed row fails there.
struct Row: Sendable, CustomTestStringConvertible {
    /// What a scenario's bucket holds before the request.
    enum Fixture: Sendable {
        /// No bucket (ListBuckets, CreateBucket).
        case none
        /// An empty bucket.
        case bucket
        /// Objects `k` and `src`.
        case objects
        /// Objects `k` and `src`, and a multipart upload of `k` with part 1.
        case upload
        /// A bucket created with Object Lock, and object `k` with a GOVERNANCE retention until
        /// ``Row/fixtureRetainUntil`` and its legal hold OFF.
        case lockedObjects
    }

    /// What the scenario's fixture made, for the request to name.
    struct Made: Sendable {
        var bucket: String
        var uploadId = ""
        var partETag = ""
    }

    struct Request: Sendable {
        var method: HTTPRequest.Method
        var path: String
        var query = ""
        var headers: [(String, String)] = []
        var body: [UInt8]?
    }

    let operation: S3Operation
    let action: String
    let resource: OperationSpec.Resource
    let authorization: OperationSpec.Authorization
    let fixture: Fixture
    /// The key the request names (object rows), for the resource ARN.
    let key: String?
    /// What an allowed caller gets, without and with a bucket policy on the bucket.
    let allowed: HTTPResponse.Status
    let allowedWithPolicy: HTTPResponse.Status
    let request: @Sendable (Made) -> Request

    var testDescription: String { operation.rawValue }

    init(
        _ operation: S3Operation, _ action: String, _ resource: OperationSpec.Resource, _ authorization: OperationSpec.Authorization = .bucket,
        fixture: Fixture = .bucket, key: String? = nil, allowed: HTTPResponse.Status = .ok, withPolicy: HTTPResponse.Status? = nil,
        request: @escaping @Sendable (Made) -> Request
    ) {
        self.operation = operation
        self.action = action
        self.resource = resource
        self.authorization = authorization
        self.fixture = fixture
        self.key = key
        self.allowed = allowed
        self.allowedWithPolicy = withPolicy ?? allowed
        self.request = request
    }

    /// The ARN a policy must name to grant this row's action.
    func arn(bucket: String) -> String {
        switch resource {
        case .service: "*"
        case .bucket: "arn:aws:s3:::\(bucket)"
        case .object: "arn:aws:s3:::\(bucket)/\(key ?? "")"
        }
    }

    /// Copies also read their source: the table's `copySourceAction` on this ARN.
    func copySourceARN(bucket: String) -> String? {
        operation == .copyObject || operation == .uploadPartCopy ? "arn:aws:s3:::\(bucket)/src" : nil
    }
}

extension Row {
    static let encryptionXML = Array(
        #"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#.utf8)
    static let deleteXML = Array("<Delete><Object><Key>k</Key></Object></Delete>".utf8)
    static let taggingXML = Array(#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>"#.utf8)

    static let lockConfigurationXML = Array(
        #"<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#.utf8)
    /// The `.lockedObjects` fixture's retention of `k`; the PutObjectRetention row extends it.
    static let fixtureRetainUntil = "2030-01-01T00:00:00.000Z"
    static let retentionXML = Array(
        #"<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE</Mode><RetainUntilDate>2031-01-01T00:00:00.000Z</RetainUntilDate></Retention>"#.utf8)
    static let legalHoldXML = Array(#"<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>ON</Status></LegalHold>"#.utf8)

    static func md5(_ body: [UInt8]) -> [(String, String)] { [("Content-MD5", Base64.encode(MD5.hash(body)))] }

    /// One row per `S3Operation`, in the enum's order.
    static let all: [Row] = [
        Row(.listBuckets, "s3:ListAllMyBuckets", .service, .identity, fixture: .none) { _ in .init(method: .get, path: "/") },
        Row(.createBucket, "s3:CreateBucket", .bucket, .identity, fixture: .none) { m in .init(method: .put, path: "/\(m.bucket)", body: []) },
        Row(.headBucket, "s3:ListBucket", .bucket) { m in .init(method: .head, path: "/\(m.bucket)") },
        Row(.deleteBucket, "s3:DeleteBucket", .bucket, allowed: .noContent) { m in .init(method: .delete, path: "/\(m.bucket)") },
        Row(.getBucketLocation, "s3:GetBucketLocation", .bucket) { m in .init(method: .get, path: "/\(m.bucket)", query: "location") },
        Row(.getBucketAcl, "s3:GetBucketAcl", .bucket) { m in .init(method: .get, path: "/\(m.bucket)", query: "acl") },
        Row(.putBucketAcl, "s3:PutBucketAcl", .bucket) { m in
            .init(method: .put, path: "/\(m.bucket)", query: "acl", headers: [("x-amz-acl", "private")], body: [])
        },
        Row(.getBucketVersioning, "s3:GetBucketVersioning", .bucket) { m in .init(method: .get, path: "/\(m.bucket)", query: "versioning") },
        Row(.putBucketVersioning, "s3:PutBucketVersioning", .bucket) { m in
            let document = Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8)
            return .init(method: .put, path: "/\(m.bucket)", query: "versioning", headers: md5(document), body: document)
        },
        Row(.getBucketOwnershipControls, "s3:GetBucketOwnershipControls", .bucket) { m in
            .init(method: .get, path: "/\(m.bucket)", query: "ownershipControls")
        },
        Row(.putBucketEncryption, "s3:PutEncryptionConfiguration", .bucket) { m in
            .init(method: .put, path: "/\(m.bucket)", query: "encryption", headers: md5(encryptionXML), body: encryptionXML)
        },
        // A bucket without a configuration answers S3's SSE-S3 default.
        Row(.getBucketEncryption, "s3:GetEncryptionConfiguration", .bucket) { m in
            .init(method: .get, path: "/\(m.bucket)", query: "encryption")
        },
        Row(.deleteBucketEncryption, "s3:PutEncryptionConfiguration", .bucket, allowed: .noContent) { m in
            .init(method: .delete, path: "/\(m.bucket)", query: "encryption")
        },
        Row(.listObjects, "s3:ListBucket", .bucket) { m in .init(method: .get, path: "/\(m.bucket)") },
        Row(.listObjectsV2, "s3:ListBucket", .bucket) { m in .init(method: .get, path: "/\(m.bucket)", query: "list-type=2") },
        Row(.listObjectVersions, "s3:ListBucketVersions", .bucket) { m in .init(method: .get, path: "/\(m.bucket)", query: "versions") },
        Row(.listMultipartUploads, "s3:ListBucketMultipartUploads", .bucket) { m in .init(method: .get, path: "/\(m.bucket)", query: "uploads") },
        Row(.deleteObjects, "s3:DeleteObject", .object, .perKey, fixture: .objects, key: "k") { m in
            .init(method: .post, path: "/\(m.bucket)", query: "delete", headers: md5(deleteXML), body: deleteXML)
        },
        Row(.putObject, "s3:PutObject", .object, fixture: .objects, key: "k") { m in .init(method: .put, path: "/\(m.bucket)/k", body: Array("new".utf8)) },
        Row(.getObject, "s3:GetObject", .object, fixture: .objects, key: "k") { m in .init(method: .get, path: "/\(m.bucket)/k") },
        Row(.headObject, "s3:GetObject", .object, fixture: .objects, key: "k") { m in .init(method: .head, path: "/\(m.bucket)/k") },
        Row(.getObjectAttributes, "s3:GetObjectAttributes", .object, fixture: .objects, key: "k") { m in
            .init(method: .get, path: "/\(m.bucket)/k", query: "attributes", headers: [("x-amz-object-attributes", "ETag,ObjectSize")])
        },
        Row(.deleteObject, "s3:DeleteObject", .object, fixture: .objects, key: "k", allowed: .noContent) { m in .init(method: .delete, path: "/\(m.bucket)/k") },
        Row(.copyObject, "s3:PutObject", .object, fixture: .objects, key: "k2") { m in
            .init(method: .put, path: "/\(m.bucket)/k2", headers: [("x-amz-copy-source", "/\(m.bucket)/src")], body: [])
        },
        Row(.getObjectAcl, "s3:GetObjectAcl", .object, fixture: .objects, key: "k") { m in .init(method: .get, path: "/\(m.bucket)/k", query: "acl") },
        Row(.putObjectAcl, "s3:PutObjectAcl", .object, fixture: .objects, key: "k") { m in
            .init(method: .put, path: "/\(m.bucket)/k", query: "acl", headers: [("x-amz-acl", "private")], body: [])
        },
        Row(.createMultipartUpload, "s3:PutObject", .object, fixture: .objects, key: "k") { m in
            .init(method: .post, path: "/\(m.bucket)/k", query: "uploads", body: [])
        },
        Row(.uploadPart, "s3:PutObject", .object, fixture: .upload, key: "k") { m in
            .init(method: .put, path: "/\(m.bucket)/k", query: "partNumber=2&uploadId=\(m.uploadId)", body: Array("two".utf8))
        },
        Row(.uploadPartCopy, "s3:PutObject", .object, fixture: .upload, key: "k") { m in
            .init(method: .put, path: "/\(m.bucket)/k", query: "partNumber=2&uploadId=\(m.uploadId)",
                  headers: [("x-amz-copy-source", "/\(m.bucket)/src")], body: [])
        },
        Row(.completeMultipartUpload, "s3:PutObject", .object, fixture: .upload, key: "k") { m in
            let xml = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(m.partETag)</ETag></Part></CompleteMultipartUpload>".utf8)
            return .init(method: .post, path: "/\(m.bucket)/k", query: "uploadId=\(m.uploadId)", body: xml)
        },
        Row(.abortMultipartUpload, "s3:AbortMultipartUpload", .object, fixture: .upload, key: "k", allowed: .noContent) { m in
            .init(method: .delete, path: "/\(m.bucket)/k", query: "uploadId=\(m.uploadId)")
        },
        Row(.listParts, "s3:ListMultipartUploadParts", .object, fixture: .upload, key: "k") { m in
            .init(method: .get, path: "/\(m.bucket)/k", query: "uploadId=\(m.uploadId)")
        },
        // The body of a PutBucketPolicy row is filled in by the scenario (its own policy).
        Row(.putBucketPolicy, "s3:PutBucketPolicy", .bucket, .bucketPolicyManagement, allowed: .noContent) { m in
            .init(method: .put, path: "/\(m.bucket)", query: "policy")
        },
        Row(.getBucketPolicy, "s3:GetBucketPolicy", .bucket, .bucketPolicyManagement, allowed: .notFound, withPolicy: .ok) { m in
            .init(method: .get, path: "/\(m.bucket)", query: "policy")
        },
        Row(.deleteBucketPolicy, "s3:DeleteBucketPolicy", .bucket, .bucketPolicyManagement, allowed: .noContent) { m in
            .init(method: .delete, path: "/\(m.bucket)", query: "policy")
        },
        Row(.getBucketPolicyStatus, "s3:GetBucketPolicyStatus", .bucket, allowed: .notFound, withPolicy: .ok) { m in
            .init(method: .get, path: "/\(m.bucket)", query: "policyStatus")
        },
        Row(.putBucketTagging, "s3:PutBucketTagging", .bucket, allowed: .noContent) { m in
            .init(method: .put, path: "/\(m.bucket)", query: "tagging", headers: md5(taggingXML), body: taggingXML)
        },
        // A bucket without tags answers NoSuchTagSet.
        Row(.getBucketTagging, "s3:GetBucketTagging", .bucket, allowed: .notFound) { m in
            .init(method: .get, path: "/\(m.bucket)", query: "tagging")
        },
        Row(.deleteBucketTagging, "s3:PutBucketTagging", .bucket, allowed: .noContent) { m in
            .init(method: .delete, path: "/\(m.bucket)", query: "tagging")
        },
        Row(.putObjectTagging, "s3:PutObjectTagging", .object, fixture: .objects, key: "k") { m in
            .init(method: .put, path: "/\(m.bucket)/k", query: "tagging", headers: md5(taggingXML), body: taggingXML)
        },
        Row(.getObjectTagging, "s3:GetObjectTagging", .object, fixture: .objects, key: "k") { m in
            .init(method: .get, path: "/\(m.bucket)/k", query: "tagging")
        },
        Row(.deleteObjectTagging, "s3:DeleteObjectTagging", .object, fixture: .objects, key: "k", allowed: .noContent) { m in
            .init(method: .delete, path: "/\(m.bucket)/k", query: "tagging")
        },
        Row(.putObjectLockConfiguration, "s3:PutBucketObjectLockConfiguration", .bucket, fixture: .lockedObjects) { m in
            .init(method: .put, path: "/\(m.bucket)", query: "object-lock", headers: md5(lockConfigurationXML), body: lockConfigurationXML)
        },
        Row(.getObjectLockConfiguration, "s3:GetBucketObjectLockConfiguration", .bucket, fixture: .lockedObjects) { m in
            .init(method: .get, path: "/\(m.bucket)", query: "object-lock")
        },
        // Extends the fixture's GOVERNANCE retention: no bypass needed.
        Row(.putObjectRetention, "s3:PutObjectRetention", .object, fixture: .lockedObjects, key: "k") { m in
            .init(method: .put, path: "/\(m.bucket)/k", query: "retention", headers: md5(retentionXML), body: retentionXML)
        },
        Row(.getObjectRetention, "s3:GetObjectRetention", .object, fixture: .lockedObjects, key: "k") { m in
            .init(method: .get, path: "/\(m.bucket)/k", query: "retention")
        },
        Row(.putObjectLegalHold, "s3:PutObjectLegalHold", .object, fixture: .lockedObjects, key: "k") { m in
            .init(method: .put, path: "/\(m.bucket)/k", query: "legal-hold", headers: md5(legalHoldXML), body: legalHoldXML)
        },
        Row(.getObjectLegalHold, "s3:GetObjectLegalHold", .object, fixture: .lockedObjects, key: "k") { m in
            .init(method: .get, path: "/\(m.bucket)/k", query: "legal-hold")
        },
    ]
}
