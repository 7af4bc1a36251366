import CofferKMS
import Foundation

/// How a key service's refusals are read: the one place that turns an HTTP error answer into a
/// ``KMSError`` and decides whether it is worth another attempt.
enum ErrorResponse {
    /// The longest upstream message kept in a `KMSError` (they are short; anything longer is noise).
    static let maxMessageLength = 512

    /// Maps a non-2xx answer to a `KMSError` with the upstream exception name and HTTP status.
    ///
    /// The exception name is read from the JSON body's `__type` (the AWS JSON protocol), else the
    /// `X-Amzn-ErrorType` header, else an XML `<Code>` (what some emulators answer for
    /// authentication failures). The message is the body's `message` or `Message`.
    static func error(status: Int, errorTypeHeader: String?, body: [UInt8], host: String) -> KMSError {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let type = (json?["__type"] as? String) ?? (json?["code"] as? String) ?? errorTypeHeader ?? xmlElement("Code", in: body)
        guard let type, case let name = exceptionName(type), !name.isEmpty else {
            return KMSError(.unavailable, "key service at \(host) answered HTTP \(status) with a malformed error body",
                            httpStatus: status)
        }
        let message = (json?["message"] as? String) ?? (json?["Message"] as? String)
            ?? (json == nil ? xmlElement("Message", in: body) : nil) ?? ""
        return KMSError(KMSError.Code(rawValue: name), String(message.prefix(maxMessageLength)), httpStatus: status)
    }

    /// `com.amazonaws.kms#NotFoundException` and `NotFoundException:http://internal.amazon.com/...`
    /// (the header form) both name `NotFoundException`.
    static func exceptionName(_ type: String) -> String {
        var name = Substring(type)
        if let hash = name.lastIndex(of: "#") { name = name[name.index(after: hash)...] }
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        return name.trimmingCharacters(in: .whitespaces)
    }

    /// Throttling, the service's own failures (5xx, `KMSInternalException`,
    /// `DependencyTimeoutException`) and 429 are retried; no other 4xx is.
    static func isRetryable(_ error: KMSError) -> Bool {
        switch error.code {
        case .throttling, .internalFailure, .dependencyTimeout: true
        default: error.httpStatus >= 500 || error.httpStatus == 429
        }
    }

    private static func xmlElement(_ name: String, in body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(8192), as: UTF8.self)
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        let value = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }
}
