/// Every S3 operation Coffer answers, named as AWS names them. Dispatch is two-phase:
/// `S3Operation.parse` maps method, bucket, key and query to one case, then the service
/// handles that case. The IAM action of each case is what bucket policies will match.
public enum S3Operation: String, Sendable, CaseIterable {
    case listBuckets = "ListBuckets"
    case createBucket = "CreateBucket"
    case headBucket = "HeadBucket"
    case deleteBucket = "DeleteBucket"
    case getBucketLocation = "GetBucketLocation"
    case getBucketAcl = "GetBucketAcl"
    case putBucketAcl = "PutBucketAcl"
    case getBucketVersioning = "GetBucketVersioning"
    case putBucketVersioning = "PutBucketVersioning"
    case getBucketOwnershipControls = "GetBucketOwnershipControls"
    case putBucketEncryption = "PutBucketEncryption"
    case getBucketEncryption = "GetBucketEncryption"
    case deleteBucketEncryption = "DeleteBucketEncryption"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case listObjectVersions = "ListObjectVersions"
    case listMultipartUploads = "ListMultipartUploads"
    case deleteObjects = "DeleteObjects"
    case putObject = "PutObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case getObjectAttributes = "GetObjectAttributes"
    case deleteObject = "DeleteObject"
    case copyObject = "CopyObject"
    case getObjectAcl = "GetObjectAcl"
    case putObjectAcl = "PutObjectAcl"
    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case uploadPartCopy = "UploadPartCopy"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    case listParts = "ListParts"
    case putBucketPolicy = "PutBucketPolicy"
    case getBucketPolicy = "GetBucketPolicy"
    case deleteBucketPolicy = "DeleteBucketPolicy"
    case getBucketPolicyStatus = "GetBucketPolicyStatus"
    case putBucketTagging = "PutBucketTagging"
    case getBucketTagging = "GetBucketTagging"
    case deleteBucketTagging = "DeleteBucketTagging"
    case putObjectTagging = "PutObjectTagging"
    case getObjectTagging = "GetObjectTagging"
    case deleteObjectTagging = "DeleteObjectTagging"
    case putObjectLockConfiguration = "PutObjectLockConfiguration"
    case getObjectLockConfiguration = "GetObjectLockConfiguration"
    case putObjectRetention = "PutObjectRetention"
    case getObjectRetention = "GetObjectRetention"
    case putObjectLegalHold = "PutObjectLegalHold"
    case getObjectLegalHold = "GetObjectLegalHold"

    /// Bucket sub-resources Coffer does not implement yet: answered with NotImplemented rather
    /// than misread as another operation.
    static let unsupportedBucketSubresources: Set<String> = [
        "cors", "lifecycle", "logging", "notification", "replication", "website",
        "accelerate", "requestPayment", "analytics", "inventory", "metrics",
        "intelligent-tiering", "publicAccessBlock",
        "metadataTable", "metadataConfiguration", "abac", "session", "ownershipControls",
    ]
    /// Bucket sub-resources Coffer answers for GET.
    static let readableBucketSubresources: Set<String> = ["ownershipControls"]
    /// Query parameters that never name a sub-resource: presigned-URL and SDK routing hints.
    static func isNeutralParameter(_ name: String) -> Bool {
        name.lowercased().hasPrefix("x-amz-") || name == "x-id"
    }
    static let unsupportedObjectSubresources: Set<String> = [
        "torrent", "restore", "select",
    ]

    /// S3's MethodNotAllowed names the method and the kind of resource addressed.
    enum ResourceType: String { case service = "SERVICE", bucket = "BUCKET", object = "OBJECT" }

    static func methodNotAllowed(_ method: String, _ type: ResourceType) -> S3Error {
        S3Error(.methodNotAllowed, extra: [("Method", method), ("ResourceType", type.rawValue)])
    }

    /// Maps a request to its operation, or the S3 error for a request no operation matches.
    public static func parse(_ request: S3Request) throws(S3Error) -> S3Operation {
        let m = request.method.rawValue
        guard let bucket = request.bucket else {
            if m == "GET" { return .listBuckets }
            throw methodNotAllowed(m, .service)
        }
        _ = bucket
        let has = request.hasQuery
        if request.key == nil {
            if let sub = request.query.first(where: {
                unsupportedBucketSubresources.contains($0.name) && !(m == "GET" && readableBucketSubresources.contains($0.name))
            }) {
                throw S3Error(.notImplemented, "Coffer does not implement the bucket sub-resource '\(sub.name)' yet.")
            }
            // Fail closed: a PUT or DELETE on a bucket with a sub-resource Coffer does not know
            // must never fall through to CreateBucket or DeleteBucket.
            if m == "PUT" || m == "DELETE",
                let unknown = request.query.first(where: { !isNeutralParameter($0.name) && !(m == "PUT" && $0.name == "acl") && $0.name != "encryption" && $0.name != "policy" && $0.name != "tagging"
                    && !(m == "PUT" && ($0.name == "versioning" || $0.name == "object-lock")) }) {
                throw S3Error(.notImplemented, "Coffer does not implement the bucket sub-resource '\(unknown.name)' yet.")
            }
            switch m {
            case "PUT":
                if has("acl") { return .putBucketAcl }
                if has("encryption") { return .putBucketEncryption }
                if has("policy") { return .putBucketPolicy }
                if has("tagging") { return .putBucketTagging }
                if has("versioning") { return .putBucketVersioning }
                if has("object-lock") { return .putObjectLockConfiguration }
                return .createBucket
            case "GET":
                if has("location") { return .getBucketLocation }
                if has("policyStatus") { return .getBucketPolicyStatus }
                if has("policy") { return .getBucketPolicy }
                if has("encryption") { return .getBucketEncryption }
                if has("acl") { return .getBucketAcl }
                if has("versioning") { return .getBucketVersioning }
                if has("object-lock") { return .getObjectLockConfiguration }
                if has("ownershipControls") { return .getBucketOwnershipControls }
                if has("tagging") { return .getBucketTagging }
                if has("uploads") { return .listMultipartUploads }
                if has("versions") { return .listObjectVersions }
                if request.queryValue("list-type") == "2" { return .listObjectsV2 }
                return .listObjects
            case "HEAD": return .headBucket
            case "DELETE":
                if has("policy") { return .deleteBucketPolicy }
                if has("tagging") { return .deleteBucketTagging }
                return has("encryption") ? .deleteBucketEncryption : .deleteBucket
            case "POST":
                if has("delete") { return .deleteObjects }
                throw methodNotAllowed(m, .bucket)
            default: throw methodNotAllowed(m, .bucket)
            }
        }
        if let sub = request.query.first(where: { unsupportedObjectSubresources.contains($0.name) }) {
            throw S3Error(.notImplemented, "Coffer does not implement the object sub-resource '\(sub.name)' yet.")
        }
        switch m {
        case "PUT":
            if has("acl") { return .putObjectAcl }
            if has("tagging") { return .putObjectTagging }
            if has("retention") { return .putObjectRetention }
            if has("legal-hold") { return .putObjectLegalHold }
            if has("uploadId") || has("partNumber") {
                return request.header(.xAmzCopySource) != nil ? .uploadPartCopy : .uploadPart
            }
            return request.header(.xAmzCopySource) != nil ? .copyObject : .putObject
        case "GET":
            if has("uploadId") { return .listParts }
            if has("acl") { return .getObjectAcl }
            if has("attributes") { return .getObjectAttributes }
            if has("tagging") { return .getObjectTagging }
            if has("retention") { return .getObjectRetention }
            if has("legal-hold") { return .getObjectLegalHold }
            return .getObject
        case "HEAD": return .headObject
        case "DELETE":
            if has("tagging") { return .deleteObjectTagging }
            // S3 has no DeleteObjectRetention nor DeleteObjectLegalHold: never a DeleteObject.
            if has("retention") || has("legal-hold") { throw methodNotAllowed(m, .object) }
            return has("uploadId") ? .abortMultipartUpload : .deleteObject
        case "POST":
            if has("uploads") { return .createMultipartUpload }
            if has("uploadId") { return .completeMultipartUpload }
            throw methodNotAllowed(m, .object)
        default: throw methodNotAllowed(m, .object)
        }
    }
}
