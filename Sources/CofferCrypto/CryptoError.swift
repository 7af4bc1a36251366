/// Errors of the CofferCrypto module. Messages never carry key material, plaintext or
/// computed tags.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidKey
        case invalidNonce
        case authenticationFailure
        case malformed
        case unsupportedVersion
        case libcryptoFailure
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "CryptoError.\(code.rawValue): \(message)" }
}
