import Foundation
import CofferStorage
import HTTPTypes

/// GetObjectAttributes (`GET /bucket/key?attributes`): an object's ETag, checksum, parts,
/// storage class and size, from its record alone (no body is opened, no data key unsealed).
extension S3Service {
    /// The attributes `x-amz-object-attributes` may name, in the order S3 answers them.
    static let objectAttributeNames = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    func getObjectAttributes(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        let wanted = try Self.requestedAttributes(call.request)
        let maxParts = min(try Self.integerHeader(call.request, "x-amz-max-parts", default: 1000), 1000)
        let marker = try Self.integerHeader(call.request, "x-amz-part-number-marker", default: 0)
        let record = try await namedVersion(call, bucket: bucket, key: key)
        // As on GET: an SSE-C object answers only to its key (400 without, 403 with another),
        // and a key for an object that is not SSE-C is refused.
        let customerKey = try customerKey(call)
        if customerKey != nil || ObjectKeys.isSSEC(record.encryption) {
            _ = try keys.dataKey(encryption: record.encryption, bucket: record.bucket, key: record.key, customerKey: customerKey)
        }
        var xml = XMLWriter()
        xml.element("GetObjectAttributesResponse", attributes: [("xmlns", S3XML.namespace)]) { x in
            // S3 writes this ETag without the quotes every other answer has.
            if wanted.contains("ETag") { x.element("ETag", record.etag) }
            if wanted.contains("Checksum"), let checksum = record.checksum {
                x.element("Checksum") { c in
                    c.element("Checksum" + checksum.algorithm, checksum.value)
                    c.element("ChecksumType", checksum.type)
                }
            }
            if wanted.contains("ObjectParts"), let parts = record.parts {
                Self.writeParts(&x, parts, algorithm: record.checksum?.algorithm, marker: marker, maxParts: maxParts)
            }
            if wanted.contains("StorageClass") { x.element("StorageClass", record.storageClass) }
            if wanted.contains("ObjectSize") { x.element("ObjectSize", String(record.size)) }
        }
        var headers = HTTPFields()
        headers[.lastModified] = S3Date.http(record.lastModified)
        VersionHeaders.add(record, bucket: bucket, to: &headers)
        return xmlResponse(xml, headers: headers)
    }

    /// `ObjectParts` of a multipart object. S3 lists the parts themselves only when the
    /// object has an additional checksum (each part's checksum and size); without one it
    /// answers the count alone.
    static func writeParts(_ x: inout XMLWriter, _ parts: [PartSummary], algorithm: String?, marker: Int, maxParts: Int) {
        x.element("ObjectParts") { o in
            o.element("PartsCount", String(parts.count))
            guard let algorithm else { return }
            let after = parts.filter { $0.number > marker }
            let page = after.prefix(maxParts)
            let truncated = page.count < after.count
            o.element("PartNumberMarker", String(marker))
            if truncated, let last = page.last { o.element("NextPartNumberMarker", String(last.number)) }
            o.element("MaxParts", String(maxParts))
            o.element("IsTruncated", truncated ? "true" : "false")
            for part in page {
                o.element("Part") { p in
                    if let checksum = part.checksum { p.element("Checksum" + algorithm, checksum) }
                    p.element("PartNumber", String(part.number))
                    p.element("Size", String(part.size))
                }
            }
        }
    }

    /// The names in `x-amz-object-attributes` (one header, comma-separated, or several):
    /// required, each one of ``objectAttributeNames``.
    static func requestedAttributes(_ request: S3Request) throws(S3Error) -> Set<String> {
        let values = request.headers[values: HTTPField.Name("x-amz-object-attributes")!]
        let names = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw S3Error(.invalidRequest, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
        }
        for name in names where !objectAttributeNames.contains(name) {
            throw S3Error(.invalidArgument, "Invalid attribute name specified.", extra: [("ArgumentName", "x-amz-object-attributes"), ("ArgumentValue", name)])
        }
        return Set(names)
    }

    /// A non-negative integer header (`x-amz-max-parts`, `x-amz-part-number-marker`: this
    /// operation pages with headers, not query parameters).
    static func integerHeader(_ request: S3Request, _ name: String, default value: Int) throws(S3Error) -> Int {
        guard let text = request.header(name)?.trimmingCharacters(in: .whitespaces) else { return value }
        guard let parsed = Int(text), parsed >= 0 else {
            throw S3Error(.invalidArgument, "Provided \(name) not an integer or within integer range", extra: [("ArgumentName", name), ("ArgumentValue", text)])
        }
        return parsed
    }
}
