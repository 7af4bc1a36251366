import Foundation
import COpenSSL

/// HMAC-SHA256 (RFC 2104) over libcrypto. Keys and outputs are byte arrays; callers that
/// hold secrets keep them out of `description`s and logs.
public enum HMACSHA256 {
    public static let outputByteCount = 32

    public static func authenticate<Key: ContiguousBytes, Message: ContiguousBytes>(
        _ message: Message, key: Key
    ) -> [UInt8] {
        hmac(EVP_sha256(), message, key: key)
    }

    public static func authenticate<Key: ContiguousBytes>(_ message: String, key: Key) -> [UInt8] {
        authenticate(Array(message.utf8), key: key)
    }
}

/// HMAC-SHA1 (RFC 2104) over libcrypto, for AWS Signature Version 2 only (S3's legacy
/// `Authorization: AWS` header and `Signature` query parameter). Anything new uses HMAC-SHA256.
public enum HMACSHA1 {
    public static let outputByteCount = 20

    public static func authenticate<Key: ContiguousBytes, Message: ContiguousBytes>(
        _ message: Message, key: Key
    ) -> [UInt8] {
        hmac(EVP_sha1(), message, key: key)
    }

    public static func authenticate<Key: ContiguousBytes>(_ message: String, key: Key) -> [UInt8] {
        authenticate(Array(message.utf8), key: key)
    }
}

/// One-shot HMAC with the digest `md` (libcrypto's `HMAC`).
private func hmac<Key: ContiguousBytes, Message: ContiguousBytes>(_ md: OpaquePointer?, _ message: Message, key: Key) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    key.withUnsafeBytes { k in
        message.withUnsafeBytes { m in
            let result = HMAC(
                md, k.baseAddress, Int32(k.count),
                m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, &out, &length)
            precondition(result != nil, "HMAC failed")
        }
    }
    return Array(out.prefix(Int(length)))
}

/// Compares two byte sequences in time that depends only on their lengths, never on where
/// they first differ. Use it for every comparison of a signature, MAC or secret.
public func constantTimeEquals<A: ContiguousBytes, B: ContiguousBytes>(_ a: A, _ b: B) -> Bool {
    a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in
            guard x.count == y.count else { return false }
            if x.count == 0 { return true }
            return CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0
        }
    }
}

public func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    constantTimeEquals(Array(a.utf8), Array(b.utf8))
}

/// Cryptographically secure random bytes from libcrypto's DRBG.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    if count > 0 {
        precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed")
    }
    return out
}
