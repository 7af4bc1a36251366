import CofferCrypto

/// AWS Signature Version 4 canonicalisation, shared by the verifier and the signer.
///
/// Reference: "Create a canonical request for Signature Version 4" (IAM user guide) and the S3
/// API reference's "Signature Calculations for the Authorization Header". S3 differs from the
/// other services in one point: its canonical URI is the path encoded once and never
/// normalised (`//`, `.` and `..` are part of object keys). Other services normalise the path
/// (RFC 3986 dot-segment removal, repeated slashes collapsed), as the published test suite's
/// `normalize-path` cases require.
enum SigV4Canonicalizer {
    static let algorithm = "AWS4-HMAC-SHA256"
    static let terminator = "aws4_request"
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    // MARK: URI

    /// The canonical URI of a raw (wire) path: decoded once, then every byte except the
    /// unreserved characters and `/` percent-encoded with upper-case hex.
    static func canonicalURI(rawPath: String, service: String) -> String {
        var bytes = percentDecode(Substring(rawPath), plusAsSpace: false)
        if service != "s3" { bytes = normalizePath(bytes) }
        if bytes.isEmpty { return "/" }
        return uriEncode(bytes, encodeSlash: false)
    }

    /// The canonical query string: each name and value decoded, re-encoded (`/` as `%2F`),
    /// sorted by name then value; a parameter without `=` has an empty value.
    static func canonicalQuery(rawQuery: String, excluding excluded: Set<String> = []) -> String {
        var pairs: [(String, String)] = []
        for pair in queryPairs(rawQuery) {
            if !excluded.isEmpty, excluded.contains(String(decoding: pair.name, as: UTF8.self)) { continue }
            pairs.append((uriEncode(pair.name, encodeSlash: true), uriEncode(pair.value, encodeSlash: true)))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Splits a raw query into decoded name/value byte strings, in wire order. `+` decodes to a
    /// space, as S3 reads query strings; empty segments (`a=1&&b=2`) are skipped.
    static func queryPairs(_ rawQuery: String) -> [(name: [UInt8], value: [UInt8])] {
        guard !rawQuery.isEmpty else { return [] }
        return rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { segment in
            if let eq = segment.firstIndex(of: "=") {
                return (percentDecode(segment[..<eq], plusAsSpace: true),
                        percentDecode(segment[segment.index(after: eq)...], plusAsSpace: true))
            }
            return (percentDecode(segment, plusAsSpace: true), [])
        }
    }

    // MARK: Headers

    /// `name:value\n` for each signed header in the order given, values trimmed with inner
    /// runs of spaces collapsed, repeated headers joined with `,`. A signed header the request
    /// lacks canonicalises with an empty value (the signature will then not match).
    static func canonicalHeaders(_ headers: [(name: String, value: String)], signedHeaders: [String]) -> String {
        var byName: [String: [String]] = [:]
        for header in headers {
            byName[header.name.lowercased(), default: []].append(trimAll(header.value))
        }
        var out = ""
        for name in signedHeaders {
            out += name + ":" + (byName[name] ?? []).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Removes leading and trailing whitespace and collapses inner runs of spaces and tabs.
    static func trimAll(_ value: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Request, string to sign, key, signature

    static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String,
        canonicalHeaders: String, signedHeaders: String, payloadHash: String
    ) -> String {
        [method, canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
    }

    static func scope(date: String, region: String, service: String) -> String {
        "\(date)/\(region)/\(service)/\(terminator)"
    }

    static func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        "\(algorithm)\n\(amzDate)\n\(scope)\n\(Hex.encode(SHA256.hash(canonicalRequest)))"
    }

    static func deriveSigningKey(secret: String, date: String, region: String, service: String) -> SigningKey {
        let kDate = HMACSHA256.authenticate(date, key: Array(("AWS4" + secret).utf8))
        let kRegion = HMACSHA256.authenticate(region, key: kDate)
        let kService = HMACSHA256.authenticate(service, key: kRegion)
        return SigningKey(bytes: HMACSHA256.authenticate(terminator, key: kService))
    }

    static func signature(key: SigningKey, stringToSign: String) -> String {
        Hex.encode(HMACSHA256.authenticate(stringToSign, key: key.bytes))
    }

    // MARK: Percent-encoding

    /// AWS's `UriEncode`: unreserved bytes as is, `/` as is unless `encodeSlash`, the rest `%XX`.
    static func uriEncode(_ bytes: [UInt8], encodeSlash: Bool) -> String {
        PercentEncoding.encode(bytes: bytes, keepSlash: !encodeSlash)
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays a literal `%`.
    static func percentDecode(_ text: Substring, plusAsSpace: Bool) -> [UInt8] {
        let input = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            let c = input[i]
            if c == UInt8(ascii: "%"), i + 2 < input.count, let hi = hexValue(input[i + 1]), let lo = hexValue(input[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
                continue
            }
            out.append(plusAsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
            i += 1
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 dot-segment removal with empty segments dropped; keeps a trailing slash.
    private static func normalizePath(_ path: [UInt8]) -> [UInt8] {
        let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        var kept: [ArraySlice<UInt8>] = []
        for segment in segments {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { _ = kept.popLast(); continue }
            kept.append(segment)
        }
        var out: [UInt8] = [UInt8(ascii: "/")]
        for (i, segment) in kept.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "/")) }
            out += segment
        }
        let last = segments.last
        let trailing = path.last == UInt8(ascii: "/") || last.map { $0.elementsEqual([46]) || $0.elementsEqual([46, 46]) } == true
        if trailing, !kept.isEmpty { out.append(UInt8(ascii: "/")) }
        return out
    }
}
