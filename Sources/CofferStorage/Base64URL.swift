import Foundation

/// Unpadded base64url (RFC 4648, section 5), for the 24 bytes of a version id: Foundation's
/// base64 with the URL-safe alphabet's two characters swapped in and the padding dropped.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.last == "=" { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    /// The bytes of `text`, or nil for a character outside the URL-safe alphabet (`+`, `/` and
    /// `=` included) or a length no unpadded encoding has. Callers that need the canonical text
    /// compare `encode` of the result with it (``VersionID/init(_:)`` does).
    static func decode(_ text: String) -> [UInt8]? {
        guard !text.contains(where: { $0 == "+" || $0 == "/" || $0 == "=" }), text.utf8.count % 4 != 1 else { return nil }
        let standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        return Data(base64Encoded: standard + String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)).map(Array.init)
    }
}
