import CofferStorage
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

/// Runs `body` with a store in a temporary directory that is removed afterwards.
func withStore<R>(_ body: (ObjectStore, TemporaryDirectory) throws -> R) throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let store = try ObjectStore(directory: directory.path)
    return try body(store, directory)
}

let fixedDate = Date(milliseconds: 1_700_000_000_123)

func makeBucket(_ store: ObjectStore, _ name: String = "bucket") throws {
    try store.createBucket(BucketRecord(name: name, owner: "alice", region: "us-east-1", createdAt: fixedDate))
}

/// Writes a blob made of `chunks` (each chunk's bytes as given).
func writeBlob(_ store: ObjectStore, _ chunks: [[UInt8]]) throws -> BlobRef {
    let writer = try store.makeBlobWriter()
    for chunk in chunks { try writer.writeChunk(chunk) }
    return try writer.finish(logicalSize: Int64(chunks.reduce(0) { $0 + $1.count }))
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
func putObject(_ store: ObjectStore, bucket: String = "bucket", key: String, chunks: [[UInt8]] = [[1]]) throws -> ObjectRecord {
    let blob = try writeBlob(store, chunks)
    let record = objectRecord(bucket: bucket, key: key, segments: [blob])
    try store.commitObject(record)
    return record
}

/// Reads every chunk of every segment through the reader's cursor.
func readBody(_ reader: ObjectReader) throws -> [[UInt8]] {
    var result: [[UInt8]] = []
    for segment in reader.record.segments.indices {
        let cursor = try reader.chunks(segment: segment)
        while let chunk = try cursor.next() { result.append(chunk) }
    }
    return result
}

/// Whether `body` throws a `StorageError` with `code`.
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
