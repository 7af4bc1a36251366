import CofferCrypto
import Foundation

/// S3-style request ids: 16 upper-case hex characters, unique per request.
public enum RequestID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let word: UInt64 = generator.next()
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for i in 0..<16 { buffer[i] = digits[Int((word >> UInt64((15 - i) * 4)) & 0xF)] }
            return 16
        }
    }

    /// A stand-in for S3's `x-amz-id-2` host id, derived from the request id.
    public static func hostId(_ requestId: String) -> String {
        Base64.encode(Array((requestId + "coffer").utf8))
    }
}
