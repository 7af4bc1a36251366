extension ObjectStore {
    /// Lists every version of a bucket's objects with S3's ListObjectVersions semantics, on one
    /// snapshot of the metadata store, in memory bounded by `maxKeys` whatever the number of
    /// versions (docs/storage-layout.md, "Versions"): three ordered scans merged, the current
    /// objects (`o`), the current delete markers (`d`) and the noncurrent versions (`v`, each
    /// key's newest first), each starting where the markers say.
    ///
    /// - Keys starting with `prefix` are listed in UTF-8 byte order, each key's versions newest
    ///   first; the first of a key is the latest when it is stored as current.
    /// - With a `delimiter`, keys containing it after the prefix are rolled up into one common
    ///   prefix, which counts once toward `maxKeys` like one version.
    /// - Without `versionIdMarker` (``VersionSelector/current``), listing starts after every
    ///   version of `keyMarker`; with one (an id or `null`), after that version of `keyMarker`.
    ///   A `keyMarker` inside a common prefix skips the whole prefix. A null marker naming no
    ///   null version starts after the key.
    /// - In a bucket never versioned every object is listed as its `null` version, latest.
    public func listObjectVersions(
        bucket: String, prefix: String = "", delimiter: String? = nil, keyMarker: String? = nil,
        versionIdMarker: VersionSelector = .current, maxKeys: Int = 1000
    ) async throws(StorageError) -> VersionListing {
        try KeyLayout.validateBucketName(bucket)
        return try await withSnapshot { snapshot throws(StorageError) -> VersionListing in
            guard try await snapshot.get(KeyLayout.bucket(bucket)) != nil else {
                throw StorageError(.noSuchBucket, "bucket \(bucket) does not exist")
            }
            guard maxKeys > 0 else { return VersionListing() }
            let prefixBytes = Array(prefix.utf8), delimiterBytes = Array((delimiter ?? "").utf8)
            let pageSize = min(maxKeys, 999) + 1
            var streams = [
                VersionStream(.object, base: KeyLayout.objects(in: bucket), prefix: prefixBytes, reader: snapshot, pageSize: pageSize),
                VersionStream(.marker, base: KeyLayout.currentMarkers(in: bucket), prefix: prefixBytes, reader: snapshot, pageSize: pageSize),
                VersionStream(.version, base: KeyLayout.versions(in: bucket), prefix: prefixBytes, reader: snapshot, pageSize: pageSize),
            ]
            if let keyMarker, !keyMarker.isEmpty {
                let marker = Array(keyMarker.utf8)
                if marker.starts(with: prefixBytes),
                   let group = ListingBytes.commonPrefix(of: marker[...], prefixCount: prefixBytes.count, delimiter: delimiterBytes) {
                    for i in streams.indices { streams[i].skip(keysStartingWith: Array(group)) }
                } else {
                    let after = try await versionPosition(bucket: bucket, key: keyMarker, versionIdMarker, in: snapshot)
                    for i in streams.indices { streams[i].start(after: marker, versionsAfter: after) }
                }
            }
            var listing = VersionListing()
            var returned = 0
            var lastWasVersion = false
            while let next = try await Self.nextEntry(&streams) {
                let (index, key) = next
                if let group = ListingBytes.commonPrefix(of: key[...], prefixCount: prefixBytes.count, delimiter: delimiterBytes) {
                    if returned == maxKeys { listing.isTruncated = true; break }
                    let name = ListingBytes.string(group)
                    listing.commonPrefixes.append(name)
                    (listing.nextKeyMarker, listing.nextVersionIdMarker, lastWasVersion) = (name, nil, false)
                    returned += 1
                    for i in streams.indices { streams[i].skip(keysStartingWith: Array(group)) }
                    continue
                }
                if returned == maxKeys { listing.isTruncated = true; break }
                let entry = streams[index].take()
                let record = try ObjectRecord(encoded: entry.value)
                listing.versions.append(VersionListing.Entry(record: record, isLatest: streams[index].source != .version))
                lastWasVersion = true
                returned += 1
            }
            if listing.isTruncated, lastWasVersion, let last = listing.versions.last?.record {
                (listing.nextKeyMarker, listing.nextVersionIdMarker) = (last.key, last.versionIdText)
            } else if !listing.isTruncated {
                (listing.nextKeyMarker, listing.nextVersionIdMarker) = (nil, nil)
            }
            return listing
        }
    }

    /// Where a listing resumes among `key`'s noncurrent versions: after the one at the returned
    /// stamp; `.some(nil)` for all of them (the marker names the current version); nil for none
    /// (no version marker, or a null marker naming no null version).
    private func versionPosition(
        bucket: String, key: String, _ marker: VersionSelector, in snapshot: any MetadataReader
    ) async throws(StorageError) -> VersionStamp?? {
        let keys = [KeyLayout.object(bucket: bucket, key: key), KeyLayout.currentMarker(bucket: bucket, key: key), KeyLayout.nullVersion(bucket: bucket, key: key)]
        switch marker {
        case .current:
            return nil
        case .id(let id):
            let values = try await snapshot.get(keys: Array(keys.prefix(2)))
            for bytes in values.compactMap({ $0 }) {
                if try ObjectRecord(encoded: bytes).versionId == id { return .some(nil) }
            }
            return .some(id.stamp)
        case .null:
            let values = try await snapshot.get(keys: keys)
            for bytes in values.prefix(2).compactMap({ $0 }) {
                if try ObjectRecord(encoded: bytes).isNullVersion { return .some(nil) }
            }
            guard let index = values[2] else { return nil }
            guard let raw = KeyLayout.readBigEndian64(index), let stamp = VersionStamp(rawValue: raw) else {
                throw StorageError(.invalidRecord, "the null-version index of an object is malformed")
            }
            return .some(stamp)
        }
    }

    /// The stream holding the next entry in listing order (by key, then current before
    /// noncurrent; a key is current in at most one of `o` and `d`), with that entry's object
    /// key; nil when all are done.
    private static func nextEntry(_ streams: inout [VersionStream]) async throws(StorageError) -> (Int, [UInt8])? {
        var best: (index: Int, key: [UInt8])?
        for i in streams.indices {
            guard let key = try await streams[i].peekKey() else { continue }
            if let current = best, !key.lexicographicallyPrecedes(current.key) { continue }
            best = (i, key)
        }
        return best
    }
}

/// One of the three ordered scans a version listing merges, with one entry of lookahead.
private struct VersionStream {
    enum Source { case object, marker, version }

    let source: Source
    /// `o bucket 0x00`, `d bucket 0x00` or `v bucket 0x00`.
    let base: [UInt8]
    private var cursor: ScanCursor
    private var peeked: (key: [UInt8], entry: MetadataEntry)?
    private var done = false

    init(_ source: Source, base: [UInt8], prefix: [UInt8], reader: any MetadataReader, pageSize: Int) {
        self.source = source
        self.base = base
        let scope = source == .version ? base + KeyLayout.escaped(prefix) : base + prefix
        cursor = ScanCursor(reader: reader, prefix: scope, pageSize: pageSize)
    }

    /// The object key of the next entry, or nil after the last.
    mutating func peekKey() async throws(StorageError) -> [UInt8]? {
        if peeked == nil, !done {
            if let entry = try await cursor.next() {
                peeked = (try objectKey(of: entry.key), entry)
            } else {
                done = true
            }
        }
        return peeked?.key
    }

    /// Consumes the entry ``peekKey()`` looked at.
    mutating func take() -> MetadataEntry {
        defer { peeked = nil }
        return peeked!.entry
    }

    /// Continues past every key starting with `group` (a common prefix).
    mutating func skip(keysStartingWith group: [UInt8]) {
        seek(KeyLayout.successor(ofPrefix: base + (source == .version ? KeyLayout.escaped(group) : group)))
    }

    /// Starts after `key`: for `o` and `d` past the key; for `v` past every version of the
    /// key, or, when `versionsAfter` is set, after the version at its stamp (or before the
    /// key's first version when it holds nil).
    mutating func start(after key: [UInt8], versionsAfter: VersionStamp??) {
        guard source == .version else {
            seek(base + key + [0])
            return
        }
        let versions = base + KeyLayout.escaped(key) + KeyLayout.keyTerminator
        switch versionsAfter {
        case .none: seek(KeyLayout.successor(ofPrefix: versions))
        case .some(.none): seek(versions)
        case .some(.some(let stamp)): seek(versions + stamp.descendingBytes + [0])
        }
    }

    private mutating func seek(_ key: [UInt8]?) {
        peeked = nil
        guard let key else { done = true; return }
        done = false
        cursor.seek(key)
    }

    private func objectKey(of storeKey: [UInt8]) throws(StorageError) -> [UInt8] {
        guard source == .version else { return Array(storeKey[base.count...]) }
        guard let split = KeyLayout.splitVersionSuffix(storeKey[base.count...]) else {
            throw StorageError(.invalidRecord, "a noncurrent version's key is malformed")
        }
        return split.key
    }
}
