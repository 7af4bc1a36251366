import Foundation

/// S3-style request ids: 16 upper-case hex characters, unique per request.
public enum RequestID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%016llX", generator.next() as UInt64)
    }

    /// A stand-in for S3's `x-amz-id-2` host id, derived from the request id.
    public static func hostId(_ requestId: String) -> String {
        Data((requestId + "coffer").utf8).base64EncodedString()
    }
}
