import CofferKMS
import CofferCrypto
import CofferStorage
import Foundation

extension S3Service {
    func putBucketEncryption(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let document = try await RequestDocument.read(call, limit: 64 * 1024)
        let configuration = try BucketEncryption.parse(document.bytes)
        try await changeBucket(bucket.name) { $0.encryption = configuration }
        return emptyResponse()
    }

    func getBucketEncryption(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        var xml = XMLWriter()
        (bucket.encryption ?? .sseS3Default).write(&xml)
        return xmlResponse(xml)
    }

    func deleteBucketEncryption(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        try await changeBucket(bucket.name) { $0.encryption = nil }
        return S3Response(status: .noContent)
    }

    /// The SSE-C key a request carries (under the copy-source headers when `copySource`).
    func customerKey(_ call: AuthorizedCall, copySource: Bool = false) throws(S3Error) -> CustomerKey? {
        try CustomerKey.parse(call.request, prefix: copySource ? CustomerKey.copySourcePrefix : CustomerKey.prefix, allowPlainHTTP: options.allowSSECOverHTTP)
    }

    /// Checks a write's encryption against the request headers and the bucket's default
    /// encryption and decides it: SSE-C when the request carries a customer key (refused with
    /// 403 where the bucket blocks SSE-C, as on S3), SSE-KMS when the request or the bucket
    /// default says `aws:kms`, SSE-S3 otherwise.
    func checkWriteEncryption(_ call: AuthorizedCall, bucket: BucketRecord) throws(S3Error) -> WriteEncryption {
        let configuration = bucket.encryption
        let usesSSEC = call.request.headers.contains { $0.name.canonicalName.lowercased().hasPrefix(CustomerKey.prefix) }
        if usesSSEC, configuration?.blocksSSEC == true {
            throw S3Error(.accessDenied, "Requests specifying Server Side Encryption with Customer provided keys must not be made to a bucket that blocks SSE-C.")
        }
        let key = try customerKey(call)
        try SSERequest.validateWrite(call.request, customerKey: key)
        if let key { return .sseC(key) }
        let requestBucketKey = try SSEKMSChoice.parseBucketKey(call.request.header(SSEKMSChoice.bucketKeyHeader))
        switch call.request.header(.xAmzServerSideEncryption) {
        case "AES256"?:
            return .sseS3
        case "aws:kms"?:
            if call.auth == nil {
                throw S3Error(.invalidArgument, "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.",
                              extra: [("ArgumentName", "Authorization"), ("ArgumentValue", "null")])
            }
            return .sseKMS(SSEKMSChoice(
                keyId: call.request.header(SSEKMSChoice.keyIdHeader).flatMap { $0.isEmpty ? nil : $0 },
                context: try SSEKMSChoice.parseContext(call.request.header(SSEKMSChoice.contextHeader)),
                bucketKeyEnabled: requestBucketKey ?? (configuration?.bucketKeyEnabled ?? false)))
        default:
            break
        }
        guard let configuration else { return .sseS3 }
        switch configuration.algorithm {
        case .awsKMS:
            return .sseKMS(SSEKMSChoice(keyId: configuration.kmsMasterKeyId, context: [:],
                                        bucketKeyEnabled: requestBucketKey ?? configuration.bucketKeyEnabled ?? false))
        case .aes256:
            return .sseS3
        case .awsKMSDSSE:
            throw S3Error(.notImplemented, "The bucket's default encryption is \(configuration.algorithm.rawValue) (DSSE-KMS), which Coffer does not offer; name AES256 or aws:kms explicitly or change the bucket's default.")
        }
    }

    func kmsCaller(_ call: AuthorizedCall) -> KMSCaller { kmsCaller(call.call) }

    /// Who the key service is asked for on behalf of an S3 request (recorded in the audit trail).
    func kmsCaller(_ call: S3Call) -> KMSCaller {
        KMSCaller(principalArn: call.user?.arn ?? "anonymous", accountId: call.user?.accountId ?? users.root.accountId,
                  userName: call.user?.name, accessKeyId: call.auth?.accessKeyId,
                  sourceIPAddress: "s3.amazonaws.com", userAgent: "s3.amazonaws.com", requestID: call.requestId, invokedBy: "s3.amazonaws.com",
                  identityPolicy: call.user?.policy)
    }
}
