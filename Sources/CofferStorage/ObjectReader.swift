/// A consistent view of one object: its record and, through a read view of the blob store,
/// its packages.
///
/// The read view keeps the packages readable even if the object is overwritten or deleted
/// (and its blobs reclaimed) while the reader is alive: a reader returns the bytes of the
/// version it opened, never a mix (blobs are never rewritten). Release the reader promptly:
/// a live view keeps the store from dropping the data it shadows.
public final class ObjectReader: Sendable {
    /// The object as opened.
    public let record: ObjectRecord
    private let view: any BlobReader
    private let maxBatch: Int

    init(record: ObjectRecord, view: any BlobReader, maxBatch: Int) {
        self.record = record
        self.view = view
        self.maxBatch = max(maxBatch, 1)
    }

    /// A cursor over the packages of segment `segment`, from package `from` up to (not
    /// including) `end`, the segment's end by default. A range read that names its end never
    /// fetches a package past it.
    public func chunks(segment: Int, from index: Int = 0, upTo end: Int? = nil) throws(StorageError) -> ChunkCursor {
        guard record.segments.indices.contains(segment) else {
            throw StorageError(.invalidArgument, "segment \(segment) out of range 0..<\(record.segments.count)")
        }
        let blob = record.segments[segment]
        let end = end ?? blob.chunkCount
        guard index >= 0, index <= end, end <= blob.chunkCount else {
            throw StorageError(.invalidArgument, "chunks \(index)..<\(end) out of range 0...\(blob.chunkCount)")
        }
        return ChunkCursor(view: view, blob: blob.id, from: index, end: end, maxBatch: maxBatch)
    }

    /// Reads package `index` of segment `segment`.
    public func readChunk(segment: Int, index: Int) async throws(StorageError) -> [UInt8] {
        guard record.segments.indices.contains(segment),
              index >= 0, index < record.segments[segment].chunkCount
        else {
            throw StorageError(.invalidArgument, "chunk \(segment)/\(index) out of range")
        }
        let blob = record.segments[segment].id
        guard let bytes = try await view.read(blob, packages: index..<(index + 1)).first else {
            throw StorageError(.corruption, "chunk \(index) of blob \(blob) is missing")
        }
        return bytes
    }
}

/// Reads a range of a blob's packages in order, fetching them in batches: one package first,
/// then twice as many each time up to the reader's batch size, never past the range's end, so
/// a short read fetches only what it needs and a long one few times. Use from one task at a
/// time.
public final class ChunkCursor {
    private let view: any BlobReader
    private let blob: BlobID
    private let end: Int
    private let maxBatch: Int
    private var batch = 1
    private var fetched: [[UInt8]] = []
    private var position = 0
    /// The index of the package the next call to ``next()`` returns.
    public private(set) var index: Int

    init(view: any BlobReader, blob: BlobID, from index: Int, end: Int, maxBatch: Int) {
        self.view = view
        self.blob = blob
        self.end = end
        self.index = index
        self.maxBatch = maxBatch
    }

    /// The next package's bytes, or nil after the range's last package. Throws `.corruption`
    /// if a package is missing (after returning the packages before it).
    public func next() async throws(StorageError) -> [UInt8]? {
        guard index < end else { return nil }
        if position == fetched.count {
            fetched = try await view.read(blob, packages: index..<(index + min(batch, end - index)))
            position = 0
            batch = min(batch * 2, maxBatch)
            guard !fetched.isEmpty else {
                throw StorageError(.corruption, "chunk \(index) of blob \(blob) is missing")
            }
        }
        let package = fetched[position]
        position += 1
        index += 1
        if position == fetched.count {
            fetched = []
            position = 0
        }
        return package
    }
}
