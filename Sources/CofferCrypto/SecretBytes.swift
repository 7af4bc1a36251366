import COpenSSL
import Foundation

/// Key material: bytes that are zeroed when the last reference goes away and never printed.
///
/// `description` and `debugDescription` show only the length, so a key that reaches a log
/// line, an error or string interpolation by mistake prints nothing secret.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private var storage: [UInt8]

    public init(_ bytes: [UInt8]) { storage = bytes }

    /// `count` fresh random bytes from libcrypto's DRBG.
    public static func random(count: Int) -> SecretBytes { SecretBytes(secureRandomBytes(count)) }

    public var count: Int { storage.count }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// A copy of the bytes, for handing to a format that must carry them (e.g. sealing);
    /// the caller owns the copy's hygiene.
    public func copyBytes() -> [UInt8] { storage }

    deinit {
        storage.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }

    public var description: String { "SecretBytes(\(storage.count) bytes, redacted)" }
    public var debugDescription: String { description }
}

extension SecretBytes: ContiguousBytes {}
