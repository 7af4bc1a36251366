import CofferCrypto
import Foundation

/// S3-style request ids: 16 upper-case hex characters, unique per request.
public enum RequestID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }).uppercased()
    }

    /// A stand-in for S3's `x-amz-id-2` host id, derived from the request id.
    public static func hostId(_ requestId: String) -> String {
        Base64.encode(Array((requestId + "coffer").utf8))
    }
}
