import Foundation
import COpenSSL

/// A streaming message digest over libcrypto's EVP interface (SHA-256, SHA-1, MD5).
///
/// Value semantics are not offered on purpose: a digest is a running computation that is
/// fed once and finalized once. `Digest` owns its `EVP_MD_CTX` and frees it on deinit.
public final class Digest {
    public enum Algorithm: Sendable {
        case sha256, sha1, md5

        var evp: OpaquePointer? {
            switch self {
            case .sha256: EVP_sha256()
            case .sha1: EVP_sha1()
            case .md5: EVP_md5()
            }
        }

        public var outputByteCount: Int {
            switch self {
            case .sha256: 32
            case .sha1: 20
            case .md5: 16
            }
        }
    }

    public let algorithm: Algorithm
    private let ctx: OpaquePointer
    private var finalized = false

    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.ctx = ctx
        precondition(EVP_DigestInit_ex(ctx, algorithm.evp, nil) == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finalized, "Digest updated after finalize")
        guard bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    public func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> [UInt8] {
        precondition(!finalized, "Digest finalized twice")
        finalized = true
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(ctx, &out, &length) == 1, "EVP_DigestFinal_ex failed")
        return Array(out.prefix(Int(length)))
    }

    /// One-shot digest of `bytes`.
    public static func hash<Bytes: ContiguousBytes>(_ algorithm: Algorithm, _ bytes: Bytes) -> [UInt8] {
        let digest = Digest(algorithm)
        digest.update(bytes)
        return digest.finalize()
    }
}

public enum SHA256 {
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] { Digest.hash(.sha256, bytes) }
    public static func hash(_ string: String) -> [UInt8] { Digest.hash(.sha256, Array(string.utf8)) }
}

public enum MD5 {
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] { Digest.hash(.md5, bytes) }
}
