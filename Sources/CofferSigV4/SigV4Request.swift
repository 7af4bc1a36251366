/// What the SigV4 verifier needs of an HTTP request, as the HTTP layer received it.
///
/// Nothing here is decoded or normalised: the verifier canonicalises exactly what the client
/// sent, so the HTTP layer passes the path and query as they were on the wire.
public struct SigV4Request: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The path exactly as on the wire (still percent-encoded), without the query.
    public var rawPath: String
    /// The raw query string without the leading `?`; empty when there is none.
    public var rawQuery: String
    /// The headers as received, duplicates allowed. The HTTP layer includes `host`.
    public var headers: [(name: String, value: String)]

    public init(method: String, rawPath: String, rawQuery: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
    }

    /// The values of every header called `name` (case-insensitive), in the order received.
    public func headerValues(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.compactMap { $0.name.lowercased() == lower ? $0.value : nil }
    }

    /// The first value of the header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// The decoded query parameters in wire order (`+` decodes to a space, as S3 reads it).
    public var queryParameters: [(name: String, value: String)] {
        SigV4Canonicalizer.queryPairs(rawQuery).map {
            (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self))
        }
    }

    /// The first decoded value of the query parameter called `name` (case-sensitive).
    public func queryParameter(_ name: String) -> String? {
        queryParameters.first { $0.name == name }?.value
    }
}
