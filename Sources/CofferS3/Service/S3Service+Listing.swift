import CofferSigV4
import CofferCrypto
import CofferStorage
import Foundation

/// The parameters every list operation shares, validated as S3 does.
struct ListParameters {
    var prefix: String
    var delimiter: String?
    var maxKeys: Int
    var urlEncoding: Bool

    init(_ request: S3Request, maxName: String = "max-keys") throws(S3Error) {
        prefix = request.queryValue("prefix") ?? ""
        delimiter = request.queryValue("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        if let text = request.queryValue(maxName) {
            guard let value = Int(text), value >= 0 else {
                throw S3Error(.invalidArgument, "Provided \(maxName) not an integer or within integer range", extra: [("ArgumentName", maxName), ("ArgumentValue", text)])
            }
            maxKeys = min(value, 1000)
        } else {
            maxKeys = 1000
        }
        if let encoding = request.queryValue("encoding-type") {
            guard encoding == "url" else {
                throw S3Error(.invalidArgument, "Invalid Encoding Method specified in Request", extra: [("ArgumentName", "encoding-type"), ("ArgumentValue", encoding)])
            }
            urlEncoding = true
        } else {
            urlEncoding = false
        }
    }

    func encode(_ text: String) -> String { urlEncoding ? PercentEncoding.encode(text, keepSlash: true) : text }
}

extension S3Service {
    func listObjects(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let params = try ListParameters(call.request)
        let v2 = call.operation == .listObjectsV2
        let startAfter: String?
        let token: String?
        if v2 {
            // An empty continuation-token lists from the start, as S3 does.
            if let t = call.request.queryValue("continuation-token"), !t.isEmpty {
                guard let bytes = Base64.decode(t), let decoded = String(validating: bytes, as: UTF8.self), decoded.hasPrefix("1:") else {
                    throw S3Error(.invalidArgument, "The continuation token provided is incorrect", extra: [("ArgumentName", "continuation-token")])
                }
                token = t
                startAfter = String(decoded.dropFirst(2))
            } else {
                token = nil
                startAfter = call.request.queryValue("start-after").flatMap { $0.isEmpty ? nil : $0 }
            }
        } else {
            token = nil
            startAfter = call.request.queryValue("marker").flatMap { $0.isEmpty ? nil : $0 }
        }
        let listing = try await store.listObjects(bucket: bucket.name, prefix: params.prefix, delimiter: params.delimiter, startAfter: startAfter, maxKeys: params.maxKeys)
        let fetchOwner = !v2 || call.request.queryValue("fetch-owner") == "true"
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("ListBucketResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Name", bucket.name)
            // S3 URL-encodes Prefix in ListObjectsV2 answers, not in ListObjects (v1) ones:
            // clients decode exactly the fields S3 encodes (botocore: Delimiter, Marker,
            // NextMarker, Key and CommonPrefixes for v1; also Prefix and StartAfter for v2).
            x.element("Prefix", v2 ? params.encode(params.prefix) : params.prefix)
            if v2 {
                if let s = call.request.queryValue("start-after"), !s.isEmpty { x.element("StartAfter", params.encode(s)) }
                if let token { x.element("ContinuationToken", token) }
                if listing.isTruncated, let next = listing.nextMarker {
                    x.element("NextContinuationToken", Base64.encode(Array(("1:" + next).utf8)))
                }
                x.element("KeyCount", String(listing.objects.count + listing.commonPrefixes.count))
            } else {
                x.element("Marker", params.encode(call.request.queryValue("marker") ?? ""))
                if listing.isTruncated, params.delimiter != nil, let next = listing.nextMarker {
                    x.element("NextMarker", params.encode(next))
                }
            }
            x.element("MaxKeys", String(params.maxKeys))
            if let d = params.delimiter { x.element("Delimiter", params.encode(d)) }
            x.element("IsTruncated", listing.isTruncated ? "true" : "false")
            if params.urlEncoding { x.element("EncodingType", "url") }
            for object in listing.objects {
                x.element("Contents") { c in
                    c.element("Key", params.encode(object.key))
                    c.element("LastModified", S3Date.iso8601(object.lastModified))
                    c.element("ETag", "\"\(object.etag)\"")
                    if let checksum = object.checksum {
                        c.element("ChecksumAlgorithm", checksum.algorithm)
                        c.element("ChecksumType", checksum.type)
                    }
                    c.element("Size", String(object.size))
                    if fetchOwner { writeOwner(&c, name: object.owner) }
                    c.element("StorageClass", object.storageClass)
                }
            }
            for prefix in listing.commonPrefixes {
                x.element("CommonPrefixes") { $0.element("Prefix", params.encode(prefix)) }
            }
        }
        return xmlResponse(xml)
    }

    /// ListObjectVersions: every version and delete marker, by key and newest first within a
    /// key, paged by `key-marker` and `version-id-marker`, with prefix and delimiter. A bucket
    /// never versioned lists each object once as its `null` version.
    func listObjectVersions(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let params = try ListParameters(call.request)
        let keyMarker = call.request.queryValue("key-marker").flatMap { $0.isEmpty ? nil : $0 }
        let versionIdMarker = call.request.queryValue("version-id-marker").flatMap { $0.isEmpty ? nil : $0 }
        if versionIdMarker != nil && keyMarker == nil {
            throw S3Error(.invalidArgument, "A version-id marker cannot be specified without a key marker.",
                          extra: [("ArgumentName", "version-id-marker"), ("ArgumentValue", versionIdMarker ?? "")])
        }
        let marker = try VersionSelector.parse(versionIdMarker, argument: "version-id-marker")
        let listing = try await store.listObjectVersions(
            bucket: bucket.name, prefix: params.prefix, delimiter: params.delimiter, keyMarker: keyMarker, versionIdMarker: marker,
            maxKeys: params.maxKeys)
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("ListVersionsResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Name", bucket.name)
            x.element("Prefix", params.encode(params.prefix))
            x.element("KeyMarker", params.encode(keyMarker ?? ""))
            x.element("VersionIdMarker", versionIdMarker ?? "")
            if listing.isTruncated {
                if let next = listing.nextKeyMarker { x.element("NextKeyMarker", params.encode(next)) }
                if let next = listing.nextVersionIdMarker { x.element("NextVersionIdMarker", next) }
            }
            x.element("MaxKeys", String(params.maxKeys))
            if let d = params.delimiter { x.element("Delimiter", params.encode(d)) }
            x.element("IsTruncated", listing.isTruncated ? "true" : "false")
            if params.urlEncoding { x.element("EncodingType", "url") }
            for entry in listing.versions {
                let record = entry.record
                x.element(record.isDeleteMarker ? "DeleteMarker" : "Version") { v in
                    v.element("Key", params.encode(record.key))
                    v.element("VersionId", record.versionIdText)
                    v.element("IsLatest", entry.isLatest ? "true" : "false")
                    v.element("LastModified", S3Date.iso8601(record.lastModified))
                    if !record.isDeleteMarker {
                        v.element("ETag", "\"\(record.etag)\"")
                        if let checksum = record.checksum {
                            v.element("ChecksumAlgorithm", checksum.algorithm)
                            v.element("ChecksumType", checksum.type)
                        }
                        v.element("Size", String(record.size))
                    }
                    writeOwner(&v, name: record.owner)
                    if !record.isDeleteMarker { v.element("StorageClass", record.storageClass) }
                }
            }
            for prefix in listing.commonPrefixes {
                x.element("CommonPrefixes") { $0.element("Prefix", params.encode(prefix)) }
            }
        }
        return xmlResponse(xml)
    }
}
