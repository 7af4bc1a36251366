import COpenSSL
import Foundation

/// AES-256-GCM (NIST SP 800-38D) over libcrypto's EVP interface, with 96-bit nonces and
/// 128-bit tags. `seal` returns ciphertext followed by the tag; `open` verifies the tag
/// before it returns any byte and throws `CryptoError.authenticationFailure` otherwise.
public enum AES256GCM {
    public static let keyByteCount = 32

    /// The cipher, fetched once: OpenSSL 3 otherwise re-fetches it from its provider on every
    /// initialisation, which costs more than sealing a small package.
    nonisolated(unsafe) static let cipher: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) ?? EVP_aes_256_gcm()
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: SecretBytes, nonce: [UInt8], authenticating aad: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try checkParameters(key: key, nonce: nonce)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError(.libcryptoFailure, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var ok = false
        let output = key.withUnsafeBytes { k in
            [UInt8](unsafeUninitializedCapacity: plaintext.count + tagByteCount) { out, initialized in
                initialized = 0
                var length: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                guard EVP_EncryptInit_ex(ctx, Self.cipher, nil, nil, nil) == 1,
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
                    EVP_EncryptInit_ex(ctx, nil, nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce) == 1
                else { return }
                if !aad.isEmpty {
                    guard EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { return }
                }
                if plaintext.count > 0 {
                    guard EVP_EncryptUpdate(ctx, out.baseAddress, &length, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count)) == 1,
                        length == Int32(plaintext.count)
                    else { return }
                }
                guard EVP_EncryptFinal_ex(ctx, &scratch, &length) == 1,
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), out.baseAddress! + plaintext.count) == 1
                else { return }
                initialized = plaintext.count + tagByteCount
                ok = true
            }
        }
        guard ok else { throw CryptoError(.libcryptoFailure, "AES-256-GCM seal failed") }
        return output
    }

    public static func seal(_ plaintext: [UInt8], key: SecretBytes, nonce: [UInt8], authenticating aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        var result: Result<[UInt8], CryptoError> = .success([])
        plaintext.withUnsafeBytes { bytes in
            do throws(CryptoError) { result = .success(try seal(bytes, key: key, nonce: nonce, authenticating: aad)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Verifies and decrypts `sealed` (ciphertext || tag). On failure nothing is returned and
    /// the partial plaintext is wiped.
    public static func open(_ sealed: UnsafeRawBufferPointer, key: SecretBytes, nonce: [UInt8], authenticating aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkParameters(key: key, nonce: nonce)
        guard sealed.count >= tagByteCount else { throw CryptoError(.authenticationFailure, "sealed data is shorter than its tag") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError(.libcryptoFailure, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let ciphertextCount = sealed.count - tagByteCount
        var tag = Array(sealed[ciphertextCount...])
        var ok = false
        // Uninitialised output (no zero fill of a 64 KiB package); wiped if the tag fails.
        var output = key.withUnsafeBytes { k in
            [UInt8](unsafeUninitializedCapacity: max(ciphertextCount, 1)) { out, initialized in
                initialized = 0
                var length: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                guard EVP_DecryptInit_ex(ctx, Self.cipher, nil, nil, nil) == 1,
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
                    EVP_DecryptInit_ex(ctx, nil, nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce) == 1
                else { return }
                if !aad.isEmpty {
                    guard EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { return }
                }
                if ciphertextCount > 0 {
                    guard EVP_DecryptUpdate(ctx, out.baseAddress, &length, sealed.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(ciphertextCount)) == 1
                    else { return }
                }
                initialized = ciphertextCount
                guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag) == 1 else { return }
                var finalLength: Int32 = 0
                ok = EVP_DecryptFinal_ex(ctx, &scratch, &finalLength) == 1
            }
        }
        guard ok else {
            output.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw CryptoError(.authenticationFailure, "AES-256-GCM authentication failed")
        }
        return output
    }

    public static func open(_ sealed: [UInt8], key: SecretBytes, nonce: [UInt8], authenticating aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        var result: Result<[UInt8], CryptoError> = .success([])
        sealed.withUnsafeBytes { bytes in
            do throws(CryptoError) { result = .success(try open(bytes, key: key, nonce: nonce, authenticating: aad)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    private static func checkParameters(key: SecretBytes, nonce: [UInt8]) throws(CryptoError) {
        guard key.count == keyByteCount else { throw CryptoError(.invalidKey, "AES-256-GCM needs a 32-byte key") }
        guard nonce.count == nonceByteCount else { throw CryptoError(.invalidNonce, "AES-256-GCM needs a 12-byte nonce") }
    }
}
