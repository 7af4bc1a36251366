/// One page of a ListMultipartUploads result.
public struct UploadListing: Sendable, Equatable {
    /// Uploads ordered by key, then upload id.
    public var uploads: [UploadRecord] = []
    /// Common prefixes (each ending with the delimiter) in order.
    public var commonPrefixes: [String] = []
    /// Whether more uploads or prefixes follow.
    public var isTruncated = false
    /// When truncated: the key (or common prefix) of the last entry returned.
    public var nextKeyMarker: String?
    /// When truncated and the last entry was an upload: its upload id.
    public var nextUploadIdMarker: String?

    /// Creates an empty listing.
    public init() {}
}

extension ObjectStore {
    /// Lists in-progress uploads of a bucket with S3 ListMultipartUploads semantics.
    ///
    /// Uploads are ordered by key, then upload id. Without `uploadIdMarker`, listing resumes at
    /// keys after `keyMarker`; with it, at uploads of `keyMarker` whose id sorts after the
    /// marker. Uploads and common prefixes together count toward `maxUploads`.
    public func listUploads(
        bucket: String, prefix: String = "", delimiter: String? = nil,
        keyMarker: String? = nil, uploadIdMarker: String? = nil, maxUploads: Int = 1000
    ) async throws(StorageError) -> UploadListing {
        try KeyLayout.validateBucketName(bucket)
        return try await withSnapshot { snapshot throws(StorageError) -> UploadListing in
            guard try await snapshot.get(KeyLayout.bucket(bucket)) != nil else {
                throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist")
            }
            var listing = UploadListing()
            guard maxUploads > 0 else { return listing }
            let base = KeyLayout.uploads(in: bucket)
            let prefixBytes = Array(prefix.utf8)
            let delimiterBytes = Array((delimiter ?? "").utf8)
            let start = Self.uploadListingStart(
                base: base, prefix: prefixBytes, delimiter: delimiterBytes,
                keyMarker: keyMarker.map { Array($0.utf8) }, uploadIdMarker: uploadIdMarker)
            var cursor = ScanCursor(reader: snapshot, prefix: base + prefixBytes, start: .at(start), pageSize: min(maxUploads, 999) + 1)
            var returned = 0
            while let entry = try await cursor.next() {
                guard let (key, _) = KeyLayout.splitUploadSuffix(entry.key[base.count...]),
                      key.count >= prefixBytes.count
                else { continue }
                if let group = ListingBytes.commonPrefix(of: key, prefixCount: prefixBytes.count, delimiter: delimiterBytes) {
                    if returned == maxUploads { listing.isTruncated = true; break }
                    let name = ListingBytes.string(group)
                    listing.commonPrefixes.append(name)
                    listing.nextKeyMarker = name
                    listing.nextUploadIdMarker = nil
                    returned += 1
                    guard let next = KeyLayout.successor(ofPrefix: base + group) else { break }
                    cursor.seek(next)
                    continue
                }
                if returned == maxUploads { listing.isTruncated = true; break }
                let upload = try UploadRecord(encoded: entry.value)
                listing.uploads.append(upload)
                listing.nextKeyMarker = upload.key
                listing.nextUploadIdMarker = upload.uploadId
                returned += 1
            }
            if !listing.isTruncated {
                listing.nextKeyMarker = nil
                listing.nextUploadIdMarker = nil
            }
            return listing
        }
    }

    static func uploadListingStart(
        base: [UInt8], prefix: [UInt8], delimiter: [UInt8], keyMarker: [UInt8]?, uploadIdMarker: String?
    ) -> [UInt8] {
        let scopeStart = base + prefix
        guard let keyMarker, !keyMarker.isEmpty else { return scopeStart }
        let start: [UInt8]
        if keyMarker.starts(with: prefix),
           let group = ListingBytes.commonPrefix(of: keyMarker[...], prefixCount: prefix.count, delimiter: delimiter) {
            start = KeyLayout.successor(ofPrefix: base + group) ?? scopeStart
        } else if let uploadIdMarker, !uploadIdMarker.isEmpty {
            // Uploads of keyMarker after uploadIdMarker, then later keys.
            start = base + keyMarker + [KeyLayout.separator] + Array(uploadIdMarker.utf8) + [0]
        } else {
            // Past every upload of keyMarker (entries are keyMarker 0x00 uploadId).
            start = base + keyMarker + [KeyLayout.separator + 1]
        }
        return start.lexicographicallyPrecedes(scopeStart) ? scopeStart : start
    }
}
