import HTTPTypes

/// An error answered to an S3 client: the `Code`, the HTTP status S3 uses for it, and a
/// message. Every failure on the S3 path ends as one of these; `S3ErrorCode` is the one table
/// of codes and statuses (see `S3ErrorCode.status`).
///
/// Messages never carry secrets: no keys, signatures of the server's own computation, or
/// customer key material.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public var code: S3ErrorCode
    public var message: String
    /// Extra elements S3 adds to some errors (`MaxSizeAllowed`, `ProposedSize`, `Key`,
    /// `BucketName`...; a SigV2 SignatureDoesNotMatch carries `StringToSign`, as on S3).
    public var extra: [(name: String, value: String)]
    /// Extra response headers (e.g. `Allow` for MethodNotAllowed).
    public var headers: HTTPFields

    public init(_ code: S3ErrorCode, _ message: String? = nil, extra: [(name: String, value: String)] = [], headers: HTTPFields = [:]) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.extra = extra
        self.headers = headers
    }

    public var status: HTTPResponse.Status { code.status }

    public var description: String { "S3Error(\(code.rawValue)): \(message)" }
}

/// S3 error codes with the HTTP status S3 answers them with.
/// Reference: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
public enum S3ErrorCode: String, Sendable {
    case accessDenied = "AccessDenied"
    case accessControlListNotSupported = "AccessControlListNotSupported"
    case authorizationHeaderMalformed = "AuthorizationHeaderMalformed"
    case authorizationQueryParametersError = "AuthorizationQueryParametersError"
    case badDigest = "BadDigest"
    case badRequest = "BadRequest"
    case bucketAlreadyExists = "BucketAlreadyExists"
    case bucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
    case bucketNotEmpty = "BucketNotEmpty"
    case entityTooLarge = "EntityTooLarge"
    case entityTooSmall = "EntityTooSmall"
    case expiredToken = "ExpiredToken"
    case illegalLocationConstraintException = "IllegalLocationConstraintException"
    case incompleteBody = "IncompleteBody"
    case internalError = "InternalError"
    case invalidAccessKeyId = "InvalidAccessKeyId"
    case invalidArgument = "InvalidArgument"
    case invalidBucketName = "InvalidBucketName"
    case invalidChunkSizeError = "InvalidChunkSizeError"
    case invalidDigest = "InvalidDigest"
    case invalidLocationConstraint = "InvalidLocationConstraint"
    case invalidObjectState = "InvalidObjectState"
    case invalidPart = "InvalidPart"
    case invalidPartOrder = "InvalidPartOrder"
    case invalidRange = "InvalidRange"
    case invalidRequest = "InvalidRequest"
    case invalidStorageClass = "InvalidStorageClass"
    case invalidTag = "InvalidTag"
    case invalidURI = "InvalidURI"
    case keyTooLongError = "KeyTooLongError"
    case malformedXML = "MalformedXML"
    case malformedPolicy = "MalformedPolicy"
    case malformedTrailerError = "MalformedTrailerError"
    case metadataTooLarge = "MetadataTooLarge"
    case methodNotAllowed = "MethodNotAllowed"
    case missingContentLength = "MissingContentLength"
    case missingSecurityHeader = "MissingSecurityHeader"
    case noSuchBucket = "NoSuchBucket"
    case noSuchBucketPolicy = "NoSuchBucketPolicy"
    case noSuchKey = "NoSuchKey"
    case noSuchTagSet = "NoSuchTagSet"
    case noSuchUpload = "NoSuchUpload"
    case notImplemented = "NotImplemented"
    case notModified = "NotModified"
    case operationAborted = "OperationAborted"
    case preconditionFailed = "PreconditionFailed"
    case requestTimeTooSkewed = "RequestTimeTooSkewed"
    case requestTimeout = "RequestTimeout"
    case signatureDoesNotMatch = "SignatureDoesNotMatch"
    case serviceUnavailable = "ServiceUnavailable"
    case slowDown = "SlowDown"
    case xAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
    case invalidEncryptionAlgorithmError = "InvalidEncryptionAlgorithmError"
    case unexpectedContent = "UnexpectedContent"
    case invalidBucketAclWithObjectOwnership = "InvalidBucketAclWithObjectOwnership"
    case noSuchVersion = "NoSuchVersion"
    case invalidBucketState = "InvalidBucketState"
    case objectLockConfigurationNotFound = "ObjectLockConfigurationNotFoundError"
    case noSuchObjectLockConfiguration = "NoSuchObjectLockConfiguration"
    case illegalVersioningConfiguration = "IllegalVersioningConfigurationException"
    case tooManyParts = "TooManyParts"
    case serverSideEncryptionConfigurationNotFoundError = "ServerSideEncryptionConfigurationNotFoundError"
    // SSE-KMS: S3 passes the key service's exception on with a `KMS.` prefix.
    case kmsDisabled = "KMS.DisabledException"
    case kmsInvalidState = "KMS.KMSInvalidStateException"
    case kmsNotFound = "KMS.NotFoundException"
    case kmsInvalidCiphertext = "KMS.InvalidCiphertextException"
    case kmsIncorrectKey = "KMS.IncorrectKeyException"
    case kmsValidation = "KMS.ValidationException"
    case kmsInvalidKeyUsage = "KMS.InvalidKeyUsageException"
    case kmsThrottling = "KMS.ThrottlingException"
    case kmsInternal = "KMS.KMSInternalException"

    public var status: HTTPResponse.Status {
        switch self {
        case .notModified: .notModified
        case .accessDenied, .invalidAccessKeyId, .signatureDoesNotMatch, .requestTimeTooSkewed, .invalidObjectState:
            .forbidden
        case .noSuchBucket, .noSuchKey, .noSuchUpload, .noSuchBucketPolicy, .noSuchTagSet, .serverSideEncryptionConfigurationNotFoundError: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .requestTimeout: .badRequest
        case .bucketAlreadyExists, .bucketAlreadyOwnedByYou, .bucketNotEmpty, .operationAborted, .invalidBucketState: .conflict
        case .missingContentLength: .lengthRequired
        case .preconditionFailed: .preconditionFailed
        case .invalidRange: .rangeNotSatisfiable
        case .noSuchVersion, .objectLockConfigurationNotFound, .noSuchObjectLockConfiguration: .notFound
        case .internalError: .internalServerError
        case .notImplemented: .notImplemented
        case .serviceUnavailable, .slowDown, .kmsThrottling: .serviceUnavailable
        case .kmsInternal: .internalServerError
        default: .badRequest
        }
    }

    public var defaultMessage: String {
        switch self {
        case .accessDenied: "Access Denied"
        case .accessControlListNotSupported: "The bucket does not allow ACLs"
        case .authorizationHeaderMalformed: "The authorization header is malformed."
        case .badDigest: "The Content-MD5 or checksum value that you specified did not match what the server received."
        case .bucketAlreadyExists: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."
        case .bucketAlreadyOwnedByYou: "Your previous request to create the named bucket succeeded and you already own it."
        case .bucketNotEmpty: "The bucket you tried to delete is not empty"
        case .entityTooLarge: "Your proposed upload exceeds the maximum allowed size"
        case .entityTooSmall: "Your proposed upload is smaller than the minimum allowed object size."
        case .incompleteBody: "You did not provide the number of bytes specified by the Content-Length HTTP header."
        case .internalError: "We encountered an internal error. Please try again."
        case .invalidAccessKeyId: "The AWS Access Key Id you provided does not exist in our records."
        case .invalidArgument: "Invalid Argument"
        case .invalidBucketName: "The specified bucket is not valid."
        case .invalidChunkSizeError: "Only the last chunk is allowed to have a size less than 8192 bytes"
        case .invalidDigest: "The Content-MD5 you specified is not valid."
        case .invalidPart: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
        case .invalidPartOrder: "The list of parts was not in ascending order. Parts must be ordered by part number."
        case .invalidRange: "The requested range is not satisfiable"
        case .invalidRequest: "Invalid Request"
        case .invalidURI: "Couldn't parse the specified URI."
        case .keyTooLongError: "Your key is too long"
        case .malformedXML: "The XML you provided was not well-formed or did not validate against our published schema"
        case .malformedTrailerError: "The request contained trailing data that was not well-formed or did not conform to our published schema."
        case .metadataTooLarge: "Your metadata headers exceed the maximum allowed metadata size."
        case .methodNotAllowed: "The specified method is not allowed against this resource."
        case .missingContentLength: "You must provide the Content-Length HTTP header."
        case .noSuchBucket: "The specified bucket does not exist"
        case .noSuchBucketPolicy: "The bucket policy does not exist"
        case .malformedPolicy: "Policies must be valid JSON and the first byte must be '{'"
        case .serverSideEncryptionConfigurationNotFoundError: "The server side encryption configuration was not found"
        case .noSuchKey: "The specified key does not exist."
        case .noSuchTagSet: "The TagSet does not exist"
        case .noSuchVersion: "The specified version does not exist."
        case .objectLockConfigurationNotFound: "Object Lock configuration does not exist for this bucket"
        case .noSuchObjectLockConfiguration: "The specified object does not have a ObjectLock configuration"
        case .illegalVersioningConfiguration: "The Versioning element must be specified"
        case .noSuchUpload: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
        case .notImplemented: "A header you provided implies functionality that is not implemented"
        case .notModified: "Not Modified"
        case .operationAborted: "A conflicting conditional operation is currently in progress against this resource. Try again."
        case .preconditionFailed: "At least one of the pre-conditions you specified did not hold"
        case .requestTimeTooSkewed: "The difference between the request time and the current time is too large."
        case .signatureDoesNotMatch: "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        case .xAmzContentSHA256Mismatch: "The provided 'x-amz-content-sha256' header does not match what was computed."
        default: rawValue
        }
    }
}
