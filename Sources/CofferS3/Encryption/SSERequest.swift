import HTTPTypes

/// The server-side-encryption headers of a request, checked as S3 checks them. Every object
/// is stored with SSE-S3 (`AES256`) or SSE-C; SSE-KMS answers honestly until it lands rather
/// than being silently downgraded.
enum SSERequest {

    /// Checks the SSE headers of a write (PutObject, CopyObject, CreateMultipartUpload) once
    /// the customer key (if any) was parsed.
    static func validateWrite(_ request: S3Request, customerKey: CustomerKey?) throws(S3Error) {
        if let value = request.header(.xAmzServerSideEncryption) {
            if customerKey != nil {
                throw S3Error(.invalidArgument, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                    extra: [("ArgumentName", "x-amz-server-side-encryption"), ("ArgumentValue", value)])
            }
            switch value {
            case "AES256", "aws:kms":
                break
            case "aws:kms:dsse":
                throw S3Error(.notImplemented, "DSSE-KMS (aws:kms:dsse) is not offered by Coffer; use aws:kms, AES256 or SSE-C.")
            default:
                throw S3Error(.invalidArgument, "The encryption method specified is not supported",
                    extra: [("ArgumentName", "x-amz-server-side-encryption"), ("ArgumentValue", value)])
            }
        }
        for name in ["x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-context"] where request.header(name) != nil && request.header(.xAmzServerSideEncryption) != "aws:kms" {
            throw S3Error(.invalidArgument, "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                extra: [("ArgumentName", "x-amz-server-side-encryption"), ("ArgumentValue", request.header(.xAmzServerSideEncryption) ?? "null")])
        }
    }

    /// The encryption response headers of a request whose customer key (if any) was already
    /// checked against the object: an object is SSE-C exactly when such a key was given.
    static func responseFields(customerKey: CustomerKey?) -> HTTPFields {
        responseFields(sseC: customerKey != nil, customerKey: customerKey)
    }

    /// The encryption response headers of an SSE-C or SSE-S3 object or upload.
    static func responseFields(sseC: Bool, customerKey: CustomerKey?) -> HTTPFields {
        if sseC {
            var fields = HTTPFields()
            fields[HTTPField.Name(CustomerKey.prefix + "algorithm")!] = "AES256"
            if let customerKey { fields[HTTPField.Name(CustomerKey.prefix + "key-MD5")!] = customerKey.md5 }
            return fields
        }
        return [.xAmzServerSideEncryption: "AES256"]
    }
}
