import HTTPTypes

/// Every S3 header name Coffer reads or writes by name, in one place. `S3Request.header(_:)`
/// takes these; SSE header names live with their rules (`SSEKMSChoice`, `CustomerKey`).
extension HTTPField.Name {
    public static let contentMd5 = HTTPField.Name("content-md5")!
    public static let xAmzAccessPointAlias = HTTPField.Name("x-amz-access-point-alias")!
    public static let xAmzAcl = HTTPField.Name("x-amz-acl")!
    public static let xAmzBucketObjectLockEnabled = HTTPField.Name("x-amz-bucket-object-lock-enabled")!
    public static let xAmzBucketRegion = HTTPField.Name("x-amz-bucket-region")!
    public static let xAmzChecksumAlgorithm = HTTPField.Name("x-amz-checksum-algorithm")!
    public static let xAmzChecksumMode = HTTPField.Name("x-amz-checksum-mode")!
    public static let xAmzChecksumType = HTTPField.Name("x-amz-checksum-type")!
    public static let xAmzCopySource = HTTPField.Name("x-amz-copy-source")!
    public static let xAmzCopySourceRange = HTTPField.Name("x-amz-copy-source-range")!
    public static let xAmzCopySourceVersionId = HTTPField.Name("x-amz-copy-source-version-id")!
    public static let xAmzDeleteMarker = HTTPField.Name("x-amz-delete-marker")!
    public static let xAmzExpectedBucketOwner = HTTPField.Name("x-amz-expected-bucket-owner")!
    public static let xAmzSourceExpectedBucketOwner = HTTPField.Name("x-amz-source-expected-bucket-owner")!
    public static let xAmzDecodedContentLength = HTTPField.Name("x-amz-decoded-content-length")!
    public static let xAmzId2 = HTTPField.Name("x-amz-id-2")!
    public static let xAmzMetadataDirective = HTTPField.Name("x-amz-metadata-directive")!
    public static let xAmzMpPartsCount = HTTPField.Name("x-amz-mp-parts-count")!
    public static let xAmzRequestId = HTTPField.Name("x-amz-request-id")!
    public static let xAmzSdkChecksumAlgorithm = HTTPField.Name("x-amz-sdk-checksum-algorithm")!
    public static let xAmzServerSideEncryption = HTTPField.Name("x-amz-server-side-encryption")!
    public static let xAmzServerSideEncryptionAwsKmsKeyId = HTTPField.Name("x-amz-server-side-encryption-aws-kms-key-id")!
    public static let xAmzStorageClass = HTTPField.Name("x-amz-storage-class")!
    public static let xAmzTagging = HTTPField.Name("x-amz-tagging")!
    public static let xAmzTaggingCount = HTTPField.Name("x-amz-tagging-count")!
    public static let xAmzTaggingDirective = HTTPField.Name("x-amz-tagging-directive")!
    public static let xAmzTarget = HTTPField.Name("x-amz-target")!
    public static let xAmzTrailer = HTTPField.Name("x-amz-trailer")!
    public static let xAmzVersionId = HTTPField.Name("x-amz-version-id")!
    public static let xAmznRequestId = HTTPField.Name("x-amzn-RequestId")!
}
