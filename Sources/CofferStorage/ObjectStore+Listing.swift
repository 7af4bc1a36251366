/// One page of a ListObjects result.
public struct ObjectListing: Sendable, Equatable {
    /// Objects in key order.
    public var objects: [ObjectRecord]
    /// Common prefixes (each ending with the delimiter) in order.
    public var commonPrefixes: [String]
    /// Whether more keys or prefixes follow this page.
    public var isTruncated: Bool
    /// When truncated: the last key or common prefix returned, to pass as `startAfter`.
    public var nextMarker: String?

    /// Creates a listing.
    public init(objects: [ObjectRecord] = [], commonPrefixes: [String] = [], isTruncated: Bool = false, nextMarker: String? = nil) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
        self.isTruncated = isTruncated
        self.nextMarker = nextMarker
    }
}

/// Byte-level helpers shared by object and upload listing (S3 compares UTF-8 bytes).
enum ListingBytes {
    /// If `key` (which starts with `prefix`) contains `delimiter` after the prefix, the key's
    /// bytes up to and including that first occurrence.
    static func commonPrefix(of key: ArraySlice<UInt8>, prefixCount: Int, delimiter: [UInt8]) -> ArraySlice<UInt8>? {
        guard !delimiter.isEmpty, key.count >= prefixCount + delimiter.count else { return nil }
        var i = key.startIndex + prefixCount
        let last = key.endIndex - delimiter.count
        while i <= last {
            if key[i] == delimiter[0] && key[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                return key[key.startIndex..<(i + delimiter.count)]
            }
            i += 1
        }
        return nil
    }

    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static func lexicographicallyPrecedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.lexicographicallyPrecedes(b)
    }
}

extension ObjectStore {
    /// Lists a bucket's objects with S3 semantics, on one snapshot of the metadata store.
    ///
    /// - Keys starting with `prefix` are listed in UTF-8 byte order.
    /// - With a `delimiter`, keys containing it after the prefix are rolled up into one common
    ///   prefix (up to and including its first occurrence after `prefix`); the scan continues
    ///   past the whole group.
    /// - Keys and common prefixes together count toward `maxKeys`; `maxKeys` 0 returns nothing.
    /// - `startAfter` is exclusive; one that falls inside a common prefix skips that prefix.
    public func listObjects(
        bucket: String, prefix: String = "", delimiter: String? = nil, startAfter: String? = nil, maxKeys: Int = 1000
    ) async throws(StorageError) -> ObjectListing {
        try KeyLayout.validateBucketName(bucket)
        return try await withSnapshot { snapshot throws(StorageError) -> ObjectListing in
            guard try await snapshot.get(KeyLayout.bucket(bucket)) != nil else {
                throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist")
            }
            guard maxKeys > 0 else { return ObjectListing() }
            let base = KeyLayout.objects(in: bucket)
            let prefixBytes = Array(prefix.utf8)
            let delimiterBytes = Array((delimiter ?? "").utf8)
            let start = Self.listingStart(base: base, prefix: prefixBytes, delimiter: delimiterBytes, marker: startAfter.map { Array($0.utf8) })
            var cursor = ScanCursor(reader: snapshot, prefix: base + prefixBytes, start: .at(start), pageSize: min(maxKeys, 999) + 1)
            var listing = ObjectListing()
            var returned = 0
            while let entry = try await cursor.next() {
                let objectKey = entry.key[base.count...]
                if let group = ListingBytes.commonPrefix(of: objectKey, prefixCount: prefixBytes.count, delimiter: delimiterBytes) {
                    if returned == maxKeys { listing.isTruncated = true; break }
                    let name = ListingBytes.string(group)
                    listing.commonPrefixes.append(name)
                    listing.nextMarker = name
                    returned += 1
                    guard let next = KeyLayout.successor(ofPrefix: base + group) else { break }
                    cursor.seek(next)
                    continue
                }
                if returned == maxKeys { listing.isTruncated = true; break }
                let record = try ObjectRecord(encoded: entry.value)
                listing.objects.append(record)
                listing.nextMarker = record.key
                returned += 1
            }
            if !listing.isTruncated { listing.nextMarker = nil }
            return listing
        }
    }

    /// The first key to visit: the prefix itself, or just past the marker (and past the whole
    /// common prefix the marker falls in, if any).
    static func listingStart(base: [UInt8], prefix: [UInt8], delimiter: [UInt8], marker: [UInt8]?) -> [UInt8] {
        let scopeStart = base + prefix
        guard let marker, !marker.isEmpty else { return scopeStart }
        if marker.starts(with: prefix),
           let group = ListingBytes.commonPrefix(of: marker[...], prefixCount: prefix.count, delimiter: delimiter) {
            // Past every key sharing the marker's common prefix.
            return KeyLayout.successor(ofPrefix: base + group) ?? scopeStart
        }
        // The smallest key after the marker is marker + 0x00.
        let afterMarker = base + marker + [0]
        return ListingBytes.lexicographicallyPrecedes(afterMarker, scopeStart) ? scopeStart : afterMarker
    }
}
