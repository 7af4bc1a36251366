import CofferCrypto
import Foundation

/// AWS Signature Version 2 as S3 defines it ("Signing and authenticating REST requests",
/// S3 API reference): the string to sign and its HMAC-SHA1.
///
///     StringToSign = HTTP-Verb \n Content-MD5 \n Content-Type \n Date \n
///                    CanonicalizedAmzHeaders CanonicalizedResource
///
/// `Date` is the `Date` header, empty when `x-amz-date` is sent (which is then one of the
/// `x-amz-*` headers), and the `Expires` parameter for a presigned URL.
/// `CanonicalizedAmzHeaders` is every `x-amz-*` header as `name:value\n`, names lower-cased
/// and sorted, values trimmed and repeated headers joined with `,`. `CanonicalizedResource`
/// is `/bucket` for a virtual-hosted request, then the path exactly as sent (still
/// percent-encoded; `/bucket/` for the bucket itself), then the sub-resources of the query,
/// sorted, values decoded.
enum SigV2Canonicalizer {
    /// The query parameters that are part of the resource: S3's documented list (acl ...
    /// website, delete, the `response-*` overrides) and the later ones S3 and the SDKs' SigV2
    /// signers agree on (cors, tagging, restore, accelerate, ...). Any other parameter is not
    /// signed.
    static let subresources: Set<String> = [
        "acl", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment", "torrent",
        "uploadId", "uploads", "versionId", "versioning", "versions", "website", "delete", "cors", "tagging", "restore",
        "accelerate", "analytics", "inventory", "metrics", "replication", "select", "select-type", "object-lock",
        "response-content-type", "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
    ]

    /// The string to sign of `request`. `dateLine`: the `Date` position (the `Date` header, ""
    /// when `x-amz-date` is sent, or a presigned URL's `Expires`); `amzQuery`: whether
    /// `x-amz-*` query parameters count as headers (a presigned URL carries them there).
    static func stringToSign(_ request: SigV4Request, dateLine: String, virtualHostBucket: String?, amzQuery: Bool) -> String {
        var amz = request.headers
        if amzQuery {
            amz += request.queryParameters.filter { $0.name.lowercased().hasPrefix("x-amz-") }
        }
        return stringToSign(
            method: request.method,
            contentMD5: request.header("content-md5").map(trimmed) ?? "",
            contentType: request.header("content-type").map(trimmed) ?? "",
            dateLine: dateLine,
            canonicalizedAmzHeaders: canonicalizedAmzHeaders(amz),
            canonicalizedResource: canonicalizedResource(rawPath: request.rawPath, rawQuery: request.rawQuery, virtualHostBucket: virtualHostBucket))
    }

    static func stringToSign(
        method: String, contentMD5: String, contentType: String, dateLine: String, canonicalizedAmzHeaders: String, canonicalizedResource: String
    ) -> String {
        "\(method)\n\(contentMD5)\n\(contentType)\n\(dateLine)\n\(canonicalizedAmzHeaders)\(canonicalizedResource)"
    }

    /// `name:value\n` for every `x-amz-*` header: lower-cased names in byte order, each value
    /// trimmed, the values of a repeated header joined with `,`. (The HTTP parser has already
    /// refused folded header lines, so there is nothing to unfold.)
    static func canonicalizedAmzHeaders(_ headers: [(name: String, value: String)]) -> String {
        var byName: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard name.hasPrefix("x-amz-") else { continue }
            byName[name, default: []].append(trimmed(header.value))
        }
        return byName.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
    }

    /// `/bucket` (virtual-hosted requests only), the raw path (`/bucket/` for a path-style
    /// request to the bucket itself), and `?` with the sub-resources of the query in name order
    /// (`name` or `name=value`, the value percent-decoded, as sent otherwise).
    static func canonicalizedResource(rawPath: String, rawQuery: String, virtualHostBucket: String?) -> String {
        var resource = virtualHostBucket.map { "/" + $0 } ?? ""
        resource += rawPath.isEmpty ? "/" : rawPath
        // A path-style request to a bucket itself signs `/bucket/`, as S3 (and every SigV2
        // signer, since S3 would not accept the other) has it.
        if virtualHostBucket == nil, rawPath.count > 1, !rawPath.dropFirst().contains("/") { resource += "/" }
        var kept: [(name: String, value: String?)] = []
        for segment in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            var value: String?
            if let eq = segment.firstIndex(of: "=") {
                name = segment[..<eq]
                let decoded = SigV4Canonicalizer.percentDecode(segment[segment.index(after: eq)...], plusAsSpace: false)
                value = String(decoding: decoded, as: UTF8.self)
            } else {
                name = segment
            }
            if subresources.contains(String(name)) { kept.append((String(name), value)) }
        }
        guard !kept.isEmpty else { return resource }
        // Stable by name: a repeated sub-resource keeps the order it was sent in.
        let sorted = kept.enumerated().sorted {
            $0.element.name == $1.element.name ? $0.offset < $1.offset : $0.element.name.utf8.lexicographicallyPrecedes($1.element.name.utf8)
        }
        return resource + "?" + sorted.map { item in item.element.value.map { "\(item.element.name)=\($0)" } ?? item.element.name }
            .joined(separator: "&")
    }

    /// `Base64(HMAC-SHA1(secret, UTF-8(stringToSign)))`.
    static func signature(secret: String, stringToSign: String) -> String {
        Base64.encode(HMACSHA1.authenticate(stringToSign, key: Array(secret.utf8)))
    }

    /// The bytes of the string to sign as S3 shows them in `StringToSignBytes`: two lower-case
    /// hex digits per byte, separated by spaces.
    static func bytesDescription(_ stringToSign: String) -> String {
        stringToSign.utf8.map { Hex.encode([$0]) }.joined(separator: " ")
    }

    static func trimmed(_ value: String) -> String { value.trimmingCharacters(in: .whitespaces) }
}
