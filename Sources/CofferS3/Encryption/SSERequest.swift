import HTTPTypes

/// The server-side-encryption headers of a request, checked as S3 checks them. Every object
/// is stored with SSE-S3 (`AES256`); the other modes answer honestly until they land rather
/// than being silently downgraded.
enum SSERequest {
    static let customerHeaderPrefix = "x-amz-server-side-encryption-customer-"
    static let copySourceCustomerHeaderPrefix = "x-amz-copy-source-server-side-encryption-customer-"

    /// Checks the SSE headers of a write (PutObject, CopyObject, CreateMultipartUpload).
    static func validateWrite(_ request: S3Request) throws(S3Error) {
        if let value = request.header("x-amz-server-side-encryption") {
            switch value {
            case "AES256":
                break
            case "aws:kms", "aws:kms:dsse":
                throw S3Error(.notImplemented, "SSE-KMS is not available in this version of Coffer yet; objects are encrypted with SSE-S3 (AES256).")
            default:
                throw S3Error(.invalidArgument, "The encryption method specified is not supported",
                    extra: [("ArgumentName", "x-amz-server-side-encryption"), ("ArgumentValue", value)])
            }
        }
        for name in ["x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-context"] where request.header(name) != nil {
            throw S3Error(.invalidArgument, "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                extra: [("ArgumentName", "x-amz-server-side-encryption"), ("ArgumentValue", request.header("x-amz-server-side-encryption") ?? "null")])
        }
        try refuseCustomerKeys(request)
    }

    /// SSE-C is not available yet: refuse customer-key headers instead of ignoring them.
    static func refuseCustomerKeys(_ request: S3Request) throws(S3Error) {
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            if name.hasPrefix(customerHeaderPrefix) || name.hasPrefix(copySourceCustomerHeaderPrefix) {
                throw S3Error(.notImplemented, "SSE-C (customer-provided keys) is not available in this version of Coffer yet.")
            }
        }
    }

    /// The response headers of an SSE-S3 object.
    static var responseFields: HTTPFields { [HTTPField.Name("x-amz-server-side-encryption")!: "AES256"] }
}
