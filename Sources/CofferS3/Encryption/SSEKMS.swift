import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation
import HTTPTypes

/// What an SSE-KMS write asks for: the KMS key (nil: the AWS managed `aws/s3` key), the
/// caller's encryption context (without `aws:s3:arn`, which Coffer adds) and whether the
/// bucket key is used.
struct SSEKMSChoice: Sendable, Equatable {
    static let keyIdHeader = "x-amz-server-side-encryption-aws-kms-key-id"
    static let contextHeader = "x-amz-server-side-encryption-context"
    static let bucketKeyHeader = "x-amz-server-side-encryption-bucket-key-enabled"
    static let s3ArnKey = "aws:s3:arn"

    var keyId: String?
    var context: EncryptionContext
    var bucketKeyEnabled: Bool

    /// Parses `x-amz-server-side-encryption-context`: base64 of a JSON object of strings.
    static func parseContext(_ header: String?) throws(S3Error) -> EncryptionContext {
        guard let header else { return [:] }
        let invalid = S3Error(.invalidArgument, "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
                              extra: [("ArgumentName", contextHeader), ("ArgumentValue", header)])
        guard let bytes = Base64.decode(header), let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              !JSONKeyCollision.exists(in: bytes)
        else { throw invalid }
        var context: EncryptionContext = [:]
        for (key, value) in object {
            guard let text = value as? String else { throw invalid }
            context[key] = text
        }
        do { try EncryptionContextEncoding.validate(context) } catch { throw invalid }
        return context
    }

    static func parseBucketKey(_ header: String?) throws(S3Error) -> Bool? {
        guard let header else { return nil }
        switch header.lowercased() {
        case "true": return true
        case "false": return false
        default:
            throw S3Error(.invalidArgument, "x-amz-server-side-encryption-bucket-key-enabled header value must be true or false",
                          extra: [("ArgumentName", bucketKeyHeader), ("ArgumentValue", header)])
        }
    }

    /// The ARN S3 binds into an object's KMS encryption context.
    static func objectArn(bucket: String, key: String) -> String { "arn:aws:s3:::\(bucket)/\(key)" }
    static func bucketArn(_ bucket: String) -> String { "arn:aws:s3:::\(bucket)" }

    /// The caller's context merged with `aws:s3:arn`; a caller-supplied `aws:s3:arn` must name
    /// this very object (or bucket, with a bucket key), as it would otherwise be ambiguous.
    func fullContext(bucket: String, key: String) throws(S3Error) -> EncryptionContext {
        let arn = bucketKeyEnabled ? Self.bucketArn(bucket) : Self.objectArn(bucket: bucket, key: key)
        var full = context
        if let given = full[Self.s3ArnKey], given != arn {
            throw S3Error(.invalidArgument, "The encryption context key aws:s3:arn must name the object (or its bucket when a bucket key is used)",
                          extra: [("ArgumentName", Self.contextHeader)])
        }
        full[Self.s3ArnKey] = arn
        return full
    }
}

/// How a write is encrypted once its headers and the bucket default were applied.
enum WriteEncryption: Sendable {
    case sseS3
    case sseC(CustomerKey)
    case sseKMS(SSEKMSChoice)

    var customerKey: CustomerKey? {
        if case .sseC(let key) = self { return key }
        return nil
    }

    var isSSES3: Bool {
        if case .sseS3 = self { return true }
        return false
    }

    var isSSEKMS: Bool {
        if case .sseKMS = self { return true }
        return false
    }
}

/// The encryption of an object or upload as its response headers tell it.
struct ObjectEncryptionHeaders: Sendable {
    var mode: ObjectEncryption.Mode
    var kmsKeyArn: String?
    var bucketKeyEnabled: Bool
    var contextHeader: String?
    var customerKey: CustomerKey?

    /// From a record's stored encryption; `customerKey` is the (already checked) SSE-C key.
    init(encryption: ObjectEncryption?, customerKey: CustomerKey?, includeContext: Bool = false) {
        mode = encryption?.mode ?? .sseS3
        if case .sseKMS(let kms) = encryption {
            kmsKeyArn = kms.kmsKeyArn
            bucketKeyEnabled = kms.bucketKey
            contextHeader = includeContext ? Self.contextHeader(kms.context) : nil
        } else {
            bucketKeyEnabled = false
        }
        self.customerKey = customerKey
    }

    /// `x-amz-server-side-encryption-context` as S3 answers it: base64 of the context JSON.
    static func contextHeader(_ context: [String: String]) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(context)).map { Base64.encode(Array($0)) }
    }

    var fields: HTTPFields {
        var fields = HTTPFields()
        switch mode {
        case .sseC:
            fields[HTTPField.Name(CustomerKey.prefix + "algorithm")!] = "AES256"
            if let customerKey { fields[HTTPField.Name(CustomerKey.prefix + "key-MD5")!] = customerKey.md5 }
        case .sseKMS:
            fields[.xAmzServerSideEncryption] = "aws:kms"
            if let kmsKeyArn { fields[HTTPField.Name(SSEKMSChoice.keyIdHeader)!] = kmsKeyArn }
            if bucketKeyEnabled { fields[HTTPField.Name(SSEKMSChoice.bucketKeyHeader)!] = "true" }
            if let contextHeader { fields[HTTPField.Name(SSEKMSChoice.contextHeader)!] = contextHeader }
        case .sseS3:
            fields[.xAmzServerSideEncryption] = "AES256"
        }
        return fields
    }
}
