import CofferSigV4
import HTTPTypes

/// The S3 view of one HTTP request: who it addresses (bucket, key), its decoded query, and
/// its headers. Built once per request by `S3RequestParser`; read by dispatch, the policy
/// context and the handlers.
public struct S3Request: Sendable {
    public enum Addressing: Sendable, Equatable { case path, virtualHost }

    public var method: HTTPRequest.Method
    /// The request target as sent (percent-encoded), for SigV4 and error `Resource`s.
    public var rawPath: String
    public var rawQuery: String
    public var host: String
    public var bucket: String?
    public var key: String?
    public var addressing: Addressing
    /// Decoded query parameters in order; a parameter without `=` has an empty value.
    public var query: [(name: String, value: String)]
    public var headers: HTTPFields
    public var secure: Bool
    public var sourceIP: String?

    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
    public func hasQuery(_ name: String) -> Bool { query.contains { $0.name == name } }
    public func header(_ name: HTTPField.Name) -> String? { headers[name] }
    public func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }

    /// `/bucket/key` as S3 names the resource in error documents.
    public var resource: String {
        var path = "/"
        if let bucket { path += bucket }
        if let key { path += "/" + key }
        return path
    }
}

/// Splits a request target into bucket and key for path-style and virtual-host-style
/// addressing. `domains` are the host names under which `<bucket>.<domain>` is virtual-host
/// style (e.g. `localhost`, `s3.example.test`).
public struct S3RequestParser: Sendable {
    public var domains: [String]

    public init(domains: [String]) {
        self.domains = domains.map { $0.lowercased() }
    }

    public func parse(method: HTTPRequest.Method, target: String, authority: String?, headers: HTTPFields, secure: Bool, sourceIP: String?) throws(S3Error) -> S3Request {
        let (rawPath, rawQuery) = Self.splitTarget(target)
        guard rawPath.hasPrefix("/"), let path = PercentEncoding.decode(rawPath) else {
            throw S3Error(.invalidURI)
        }
        var query: [(String, String)] = []
        if !rawQuery.isEmpty {
            for part in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
                let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = PercentEncoding.decode(pieces[0], plusAsSpace: true),
                    let value = PercentEncoding.decode(pieces.count > 1 ? pieces[1] : "", plusAsSpace: true)
                else { throw S3Error(.invalidURI) }
                query.append((name, value))
            }
        }
        let host = authority ?? headers[.init("Host")!] ?? ""
        let hostName = Self.stripPort(host.lowercased())
        var bucket: String?
        var key: String?
        var addressing = S3Request.Addressing.path
        if let domain = domains.first(where: { hostName.hasSuffix("." + $0) }) {
            addressing = .virtualHost
            bucket = String(hostName.dropLast(domain.count + 1))
            let keyPart = path.dropFirst()
            key = keyPart.isEmpty ? nil : String(keyPart)
        } else {
            let rest = path.dropFirst()
            if let slash = rest.firstIndex(of: "/") {
                bucket = String(rest[..<slash])
                let keyPart = rest[rest.index(after: slash)...]
                key = keyPart.isEmpty ? nil : String(keyPart)
            } else if !rest.isEmpty {
                bucket = String(rest)
            }
        }
        return S3Request(
            method: method, rawPath: rawPath, rawQuery: rawQuery, host: host, bucket: bucket, key: key,
            addressing: addressing, query: query, headers: headers, secure: secure, sourceIP: sourceIP)
    }

    static func splitTarget(_ target: String) -> (path: String, query: String) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    static func stripPort(_ host: String) -> String {
        if host.hasPrefix("[") {  // [::1]:9000
            if let end = host.firstIndex(of: "]") { return String(host[...end]) }
            return host
        }
        if let colon = host.lastIndex(of: ":") { return String(host[..<colon]) }
        return host
    }
}
