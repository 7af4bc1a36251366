/// A consistent view of one object: its record and, through a LevelDB snapshot, its chunks.
///
/// The snapshot keeps the chunks readable even if the object is overwritten or deleted (and
/// its blobs reclaimed) while the reader is alive. Release the reader promptly: a live
/// snapshot keeps LevelDB from dropping the data it shadows.
public final class ObjectReader: Sendable {
    /// The object as of the snapshot.
    public let record: ObjectRecord
    private let snapshot: LevelDB.Snapshot

    init(record: ObjectRecord, snapshot: LevelDB.Snapshot) {
        self.record = record
        self.snapshot = snapshot
    }

    /// A cursor over the chunks of segment `segment`, starting at chunk index `from`.
    public func chunks(segment: Int, from index: Int = 0) throws(StorageError) -> ChunkCursor {
        guard record.segments.indices.contains(segment) else {
            throw StorageError(.invalidArgument, "segment \(segment) out of range 0..<\(record.segments.count)")
        }
        let blob = record.segments[segment]
        guard index >= 0, index <= blob.chunkCount else {
            throw StorageError(.invalidArgument, "chunk \(index) out of range 0...\(blob.chunkCount)")
        }
        return ChunkCursor(snapshot: snapshot, blob: blob, from: index)
    }

    /// Reads chunk `index` of segment `segment` as of the snapshot.
    public func readChunk(segment: Int, index: Int) throws(StorageError) -> [UInt8] {
        guard record.segments.indices.contains(segment),
              index >= 0, index < record.segments[segment].chunkCount
        else {
            throw StorageError(.invalidArgument, "chunk \(segment)/\(index) out of range")
        }
        let blob = record.segments[segment].id
        guard let bytes = try snapshot.db.get(KeyLayout.chunk(blob: blob, index: index), snapshot: snapshot) else {
            throw StorageError(.corruption, "chunk \(index) of blob \(blob) is missing")
        }
        return bytes
    }
}

/// Reads a blob's chunks in order with one LevelDB iterator. Use from one thread at a time.
public final class ChunkCursor {
    private let iterator: LevelDB.Iterator
    private let db: LevelDB
    private let blob: BlobRef
    /// The index of the chunk the next call to ``next()`` returns.
    public private(set) var index: Int

    init(snapshot: LevelDB.Snapshot, blob: BlobRef, from index: Int) {
        self.iterator = snapshot.db.makeIterator(snapshot: snapshot, fillCache: false)
        self.db = snapshot.db
        self.blob = blob
        self.index = index
        if index < blob.chunkCount {
            iterator.seek(KeyLayout.chunk(blob: blob.id, index: index))
        }
    }

    /// The next chunk's bytes, or nil after the blob's last chunk. Throws `.corruption` if a
    /// chunk is missing.
    public func next() throws(StorageError) -> [UInt8]? {
        try nextChunk { [UInt8]($0) }
    }

    /// Calls `body` with the next chunk's bytes without copying them (valid only inside
    /// `body`); returns nil after the last chunk.
    public func nextChunk<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(StorageError) -> R? {
        guard index < blob.chunkCount else { return nil }
        guard iterator.isValid(withKey: KeyLayout.chunk(blob: blob.id, index: index)) else {
            try iterator.checkError()
            throw StorageError(.corruption, "chunk \(index) of blob \(blob.id) is missing")
        }
        let result = iterator.withValue(body)
        index += 1
        iterator.next()
        db.noteTableBytesRead(blob.chunkCount > 0 ? Int(blob.size) / blob.chunkCount : 0)
        return result
    }
}
