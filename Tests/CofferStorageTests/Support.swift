import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

/// A fresh directory under the temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("coffer-storage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The storage implementations the conformance suite runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case levelDB
    case memory

    var testDescription: String { rawValue }
}

/// One instance of a backend. ``open()`` opens an ``ObjectStore`` over it, again and again:
/// for LevelDB it opens the directory (the previous store must be gone, as after a crash or a
/// restart); for memory it builds a new store over the same two memory stores (behind
/// ``YieldingMetadataStore`` and ``YieldingBlobStore``).
final class Harness {
    let backend: Backend
    let directory: TemporaryDirectory
    var options = ObjectStore.Options()
    private let memory = (MemoryMetadataStore(), MemoryBlobStore())

    init(_ backend: Backend) throws {
        self.backend = backend
        self.directory = try TemporaryDirectory()
    }

    func open() async throws -> ObjectStore {
        switch backend {
        case .levelDB: try await ObjectStore(directory: directory.path, options: options)
        case .memory:
            try await ObjectStore(metadata: YieldingMetadataStore(base: memory.0), blobs: YieldingBlobStore(base: memory.1), options: options)
        }
    }

    /// The bare stores (for LevelDB, over a database of their own in the directory).
    func stores() throws -> (metadata: any MetadataStore, blobs: any BlobStore) {
        switch backend {
        case .levelDB:
            let db = try LevelDB(path: directory.path + "/raw")
            return (LevelDBMetadataStore(database: db), LevelDBBlobStore(database: db))
        case .memory:
            return memory
        }
    }
}

/// Runs `body` with a store of `backend` whose directory is removed afterwards.
func withStore<R>(_ backend: Backend, _ body: (ObjectStore, Harness) async throws -> R) async throws -> R {
    let harness = try Harness(backend)
    defer { harness.directory.remove() }
    return try await body(try await harness.open(), harness)
}

/// Runs `body` with the bare stores of `backend`.
func withStores<R>(_ backend: Backend, _ body: (any MetadataStore, any BlobStore) async throws -> R) async throws -> R {
    let harness = try Harness(backend)
    defer { harness.directory.remove() }
    let (metadata, blobs) = try harness.stores()
    return try await body(metadata, blobs)
}

let fixedDate = Date(milliseconds: 1_700_000_000_123)

func makeBucket(_ store: ObjectStore, _ name: String = "bucket") async throws {
    try await store.createBucket(BucketRecord(name: name, owner: "alice", region: "us-east-1", createdAt: fixedDate))
}

/// Writes a blob made of `chunks` (each chunk's bytes as given).
func writeBlob(_ store: ObjectStore, _ chunks: [[UInt8]]) async throws -> BlobRef {
    let writer = try await store.makeBlobWriter()
    for chunk in chunks { try await writer.writeChunk(chunk) }
    return try await writer.finish(logicalSize: Int64(chunks.reduce(0) { $0 + $1.count }))
}

/// Chunks of `count` bytes each, filled with `byte`.
func chunks(_ count: Int, of byte: UInt8, size: Int = 100) -> [[UInt8]] {
    Array(repeating: Array(repeating: byte, count: size), count: count)
}

func objectRecord(bucket: String = "bucket", key: String, segments: [BlobRef], etag: String = "etag") -> ObjectRecord {
    ObjectRecord(
        bucket: bucket, key: key, size: segments.reduce(0) { $0 + $1.size }, etag: etag,
        lastModified: fixedDate, owner: "alice", segments: segments)
}

/// Writes and commits an object whose body is `chunks`.
@discardableResult
func putObject(_ store: ObjectStore, bucket: String = "bucket", key: String, chunks: [[UInt8]] = [[1]], etag: String = "etag",
               precondition: WritePrecondition = .none) async throws -> ObjectRecord {
    let blob = try await writeBlob(store, chunks)
    let record = objectRecord(bucket: bucket, key: key, segments: [blob], etag: etag)
    do {
        try await store.commitObject(record, precondition: precondition)
    } catch {
        try await store.discard([blob.id])
        throw error
    }
    return record
}

/// Reads every chunk of every segment through the reader's cursor.
func readBody(_ reader: ObjectReader) async throws -> [[UInt8]] {
    var result: [[UInt8]] = []
    for segment in reader.record.segments.indices {
        let cursor = try reader.chunks(segment: segment)
        while let chunk = try await cursor.next() { result.append(chunk) }
    }
    return result
}

/// Whether `body` throws a `StorageError` with `code` (synchronous code paths: record decoding).
func throwsCode(_ code: StorageError.Code, _ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch let error as StorageError {
        return error.code == code
    } catch {
        return false
    }
}
