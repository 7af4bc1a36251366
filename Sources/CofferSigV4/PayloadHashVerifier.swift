import CofferCrypto
import Foundation

/// Checks a request body against the hex SHA-256 the client signed in
/// `x-amz-content-sha256` (`PayloadMode.hash`), incrementally: feed every body buffer to
/// `update`, then call `finish()` before committing anything.
///
/// Not `Sendable` and not to be copied while in use: it owns a running digest. One per request.
public struct PayloadHashVerifier {
    public let expectedHex: String
    private let digest = Digest(.sha256)
    public private(set) var byteCount: Int64 = 0

    public init(expectedHex: String) {
        self.expectedHex = expectedHex.lowercased()
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        digest.update(bytes)
        byteCount += Int64(bytes.count)
    }

    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Throws `XAmzContentSHA256Mismatch` (with S3's `ClientComputedContentSHA256` and
    /// `S3ComputedContentSHA256` elements) when the body does not match.
    public func finish() throws(SigV4Error) {
        let computed = Hex.encode(digest.finalize())
        guard constantTimeEquals(computed, expectedHex) else {
            throw SigV4Error(.xAmzContentSHA256Mismatch, extra: [
                ("ClientComputedContentSHA256", expectedHex), ("S3ComputedContentSHA256", computed),
            ], source: .body)
        }
    }
}

@available(*, unavailable)
extension PayloadHashVerifier: Sendable {}
