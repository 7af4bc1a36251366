import Synchronization

/// The reference ``BlobStore``: each blob's packages in a dictionary under one mutex. A read
/// view is a copy of the dictionary (copy-on-write), so it keeps deleted blobs readable.
public final class MemoryBlobStore: BlobStore {
    private let blobs = Mutex<[BlobID: [Int: [UInt8]]]>([:])

    /// Creates an empty store.
    public init() {}

    public func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError) {
        guard first >= 0, first <= KeyLayout.maxChunkIndex - packages.count + 1 else {
            throw StorageError(.invalidArgument, "blob \(blob) has too many chunks")
        }
        guard !packages.isEmpty else { return }
        blobs.withLock { blobs in
            for (offset, package) in packages.enumerated() {
                blobs[blob, default: [:]][first + offset] = package
            }
        }
    }

    public func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        try Self.read(blob, packages: packages, from: blobs.withLock { $0[blob] } ?? [:])
    }

    public func delete(_ blob: BlobID) async throws(StorageError) {
        _ = blobs.withLock { $0.removeValue(forKey: blob) }
    }

    public func readView() async throws(StorageError) -> any BlobReader {
        MemoryBlobReadView(blobs: blobs.withLock { $0 })
    }

    public func packageCount() async throws(StorageError) -> Int {
        blobs.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    static func read(_ blob: BlobID, packages: Range<Int>, from stored: [Int: [UInt8]]) throws(StorageError) -> [[UInt8]] {
        guard packages.lowerBound >= 0, packages.upperBound <= KeyLayout.maxChunkIndex + 1 else {
            throw StorageError(.invalidArgument, "chunks \(packages) out of range")
        }
        var result: [[UInt8]] = []
        for index in packages {
            guard let package = stored[index] else { break }
            result.append(package)
        }
        return result
    }
}

/// A read view of a ``MemoryBlobStore``: a copy of its blobs.
struct MemoryBlobReadView: BlobReader {
    let blobs: [BlobID: [Int: [UInt8]]]

    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        try MemoryBlobStore.read(blob, packages: packages, from: blobs[blob] ?? [:])
    }
}
