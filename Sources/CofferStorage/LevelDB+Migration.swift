extension LevelDB {
    /// Copies the Coffer store that `snapshot` sees into another implementation of the storage
    /// boundary (`coffer migrate` into RADOS, docs/scale-out.md): every record into `metadata`
    /// and every package into `blobs`, byte for byte, leaving out what
    /// ``copyStore(from:into:batchBytes:)`` leaves out (blobs with a pending or garbage marker,
    /// and the markers). Notes (`r id`) are re-keyed under `node` (the node that will hand
    /// them over: `r scope/id`) when it is not empty.
    ///
    /// Records are committed in synced batches of `batchEntries`, packages written a blob at a
    /// time in batches of `packagesPerWrite`, so memory stays bounded whatever the store's
    /// size. Reads block on LevelDB: run it where blocking is allowed (a command line tool).
    /// The destination must be empty: nothing here merges into existing data.
    public static func migrateStore(
        from snapshot: Snapshot, into metadata: any MetadataStore, blobs: any BlobStore, node: String = "",
        batchEntries: Int = 256, packagesPerWrite: Int = 16
    ) async throws(StorageError) -> StoreCopyCounts {
        let source = snapshot.db
        try checkStoreFormat(snapshot)
        var counts = StoreCopyCounts()
        var batch = MetadataBatch()
        var batched = 0
        let iterator = source.makeIterator(snapshot: snapshot, fillCache: false)
        iterator.seekToFirst()
        while iterator.isValid {
            let key = iterator.key
            if let blob = chunkBlob(key) {
                if try source.get(KeyLayout.blobMarker(blob), snapshot: snapshot) != nil {
                    counts.blobsLeftOut += 1
                    guard let next = KeyLayout.successor(ofPrefix: KeyLayout.chunks(of: blob)) else { break }
                    iterator.seek(next)
                    continue
                }
                counts.blobs += 1
                let prefix = KeyLayout.chunks(of: blob)
                var packages: [[UInt8]] = []
                var first = 0
                while iterator.isValid(withPrefix: prefix), let index = KeyLayout.readBigEndian(iterator.key.suffix(4)), iterator.key.count == KeyLayout.chunkKeyCount {
                    if packages.isEmpty { first = Int(index) }
                    // Packages go in runs of consecutive indexes (a gap is damage: kept as it is).
                    if Int(index) != first + packages.count || packages.count == packagesPerWrite {
                        try await blobs.write(blob, packages: packages, startingAt: first, durability: .synced)
                        packages = []
                        first = Int(index)
                    }
                    let value = iterator.value
                    packages.append(value)
                    counts.chunks += 1
                    counts.bytes += KeyLayout.chunkKeyCount + value.count
                    iterator.next()
                }
                if !packages.isEmpty { try await blobs.write(blob, packages: packages, startingAt: first, durability: .synced) }
                continue
            }
            if key.first != KeyLayout.blobMarkerPrefix {
                counts.records[recordKind(ofPrefix: key.first ?? 0), default: 0] += 1
                let value = iterator.value
                counts.bytes += key.count + value.count
                if key.first == KeyLayout.notePrefix, !node.isEmpty {
                    batch.put(KeyLayout.note(node + "/" + String(decoding: key.dropFirst(), as: UTF8.self)), value)
                } else {
                    batch.put(key, value)
                }
                batched += 1
                if batched == batchEntries {
                    try await metadata.commit(batch, durability: .synced)
                    batch = MetadataBatch()
                    batched = 0
                }
            }
            iterator.next()
        }
        try iterator.checkError()
        if batched > 0 { try await metadata.commit(batch, durability: .synced) }
        return counts
    }
}
