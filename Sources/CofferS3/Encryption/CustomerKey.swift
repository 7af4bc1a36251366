import CofferCrypto
import Foundation

/// An SSE-C key as a request carries it: `...-customer-algorithm: AES256`, `...-customer-key`
/// (base64 of 32 bytes) and `...-customer-key-MD5` (base64 MD5 of the key), with S3's checks.
/// The key lives only in this value for the length of the request; it is never stored,
/// logged or printed (`description` is redacted).
struct CustomerKey: Sendable, CustomStringConvertible {
    let key: SecretBytes
    /// The client's base64 MD5 of the key, echoed in responses as S3 does.
    let md5: String

    static let prefix = "x-amz-server-side-encryption-customer-"
    static let copySourcePrefix = "x-amz-copy-source-server-side-encryption-customer-"

    var description: String { "CustomerKey(<redacted>)" }

    /// The customer key of `request` under `prefix`, nil when the request names none.
    static func parse(_ request: S3Request, prefix: String = prefix, allowPlainHTTP: Bool) throws(S3Error) -> CustomerKey? {
        let algorithm = request.header(prefix + "algorithm")
        let encodedKey = request.header(prefix + "key")
        let md5 = request.header(prefix + "key-md5")
        if algorithm == nil && encodedKey == nil && md5 == nil { return nil }
        if !request.secure && !allowPlainHTTP {
            throw S3Error(.invalidRequest, "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
        }
        guard let algorithm else {
            throw S3Error(.invalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                extra: [("ArgumentName", prefix + "algorithm")])
        }
        guard algorithm == "AES256" else {
            throw S3Error(.invalidEncryptionAlgorithmError, "The encryption request that you specified is not valid. The valid value is AES256.",
                extra: [("ArgumentName", prefix + "algorithm"), ("ArgumentValue", String(algorithm.prefix(32)))])
        }
        guard let encodedKey else {
            throw S3Error(.invalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
                extra: [("ArgumentName", prefix + "key")])
        }
        guard let md5 else {
            throw S3Error(.invalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
                extra: [("ArgumentName", prefix + "key-MD5")])
        }
        guard let keyBytes = Base64.decode(encodedKey.trimmingCharacters(in: .whitespaces)), keyBytes.count == 32 else {
            throw S3Error(.invalidArgument, "The secret key was invalid for the specified algorithm.", extra: [("ArgumentName", prefix + "key")])
        }
        let key = SecretBytes(keyBytes)
        guard let claimed = Base64.decode(md5.trimmingCharacters(in: .whitespaces)), constantTimeEquals(claimed, MD5.hash(keyBytes)) else {
            throw S3Error(.invalidArgument, "The calculated MD5 hash of the key did not match the hash that was provided.", extra: [("ArgumentName", prefix + "key")])
        }
        return CustomerKey(key: key, md5: md5.trimmingCharacters(in: .whitespaces))
    }
}
