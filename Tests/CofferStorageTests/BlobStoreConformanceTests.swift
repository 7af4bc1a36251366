import CofferStorage
import CofferStorageConformance
import Testing

/// The contract of ``BlobStore`` (see its documentation), checked on every implementation.
@Suite struct BlobStoreConformanceTests {
    func id(_ n: UInt8) -> BlobID { BlobID(bytes: [UInt8](repeating: n, count: 15) + [n &+ 1])! }

    func packages(_ range: Range<Int>, tag: UInt8) -> [[UInt8]] {
        range.map { [tag, UInt8($0 & 0xFF), UInt8($0 >> 8)] + [UInt8](repeating: tag, count: $0 % 5) }
    }

    /// Packages written in batches read back in any range; a range past the end reads short.
    @Test(arguments: Backend.allCases) func writeInBatchesReadRanges(_ backend: Backend) async throws {
        try await withStores(backend) { _, blobs in
            let a = id(1), b = id(2)
            try await blobs.write(a, packages: packages(0..<3, tag: 1), startingAt: 0, durability: .buffered)
            try await blobs.write(b, packages: packages(0..<2, tag: 2), startingAt: 0, durability: .synced)
            try await blobs.write(a, packages: packages(3..<300, tag: 1), startingAt: 3, durability: .buffered)
            try await blobs.write(a, packages: [], startingAt: 300, durability: .synced)
            #expect(try await blobs.read(a, packages: 0..<300) == packages(0..<300, tag: 1))
            #expect(try await blobs.read(a, packages: 255..<258) == packages(255..<258, tag: 1))
            #expect(try await blobs.read(a, packages: 298..<310) == packages(298..<300, tag: 1))
            #expect(try await blobs.read(a, packages: 7..<7) == [])
            #expect(try await blobs.read(b, packages: 0..<5) == packages(0..<2, tag: 2))
            #expect(try await blobs.read(id(9), packages: 0..<1) == [])
            #expect(try await blobs.packageCount() == 302)
            #expect(await errorCode { _ = try await blobs.read(a, packages: -1..<2) } == .invalidArgument)
            #expect(await errorCode { try await blobs.write(a, packages: [[1]], startingAt: -1, durability: .buffered) } == .invalidArgument)
        }
    }

    /// A read stops at the first missing package: the packages before the gap, never after.
    @Test(arguments: Backend.allCases) func readsStopAtAGap(_ backend: Backend) async throws {
        try await withStores(backend) { _, blobs in
            let a = id(3)
            try await blobs.write(a, packages: packages(0..<2, tag: 3), startingAt: 0, durability: .buffered)
            try await blobs.write(a, packages: packages(3..<5, tag: 3), startingAt: 3, durability: .buffered)
            #expect(try await blobs.read(a, packages: 0..<5) == packages(0..<2, tag: 3))
            #expect(try await blobs.read(a, packages: 2..<5) == [])
            #expect(try await blobs.read(a, packages: 3..<5) == packages(3..<5, tag: 3))
        }
    }

    /// Deleting a blob removes all its packages and nothing of its neighbours (ids that share
    /// a prefix included).
    @Test(arguments: Backend.allCases) func deleteRemovesOneBlob(_ backend: Backend) async throws {
        try await withStores(backend) { _, blobs in
            let a = id(4), b = BlobID(bytes: Array(id(4).bytes.dropLast()) + [0xFF])!
            try await blobs.write(a, packages: packages(0..<600, tag: 4), startingAt: 0, durability: .buffered)
            try await blobs.write(b, packages: packages(0..<3, tag: 5), startingAt: 0, durability: .buffered)
            try await blobs.delete(a)
            try await blobs.delete(id(77))
            #expect(try await blobs.read(a, packages: 0..<600) == [])
            #expect(try await blobs.read(b, packages: 0..<3) == packages(0..<3, tag: 5))
            #expect(try await blobs.packageCount() == 3)
        }
    }

    /// A read view keeps reading what existed when it was taken, after a delete; later blobs
    /// are not in it.
    @Test(arguments: Backend.allCases) func readViewsOutliveDeletes(_ backend: Backend) async throws {
        try await withStores(backend) { _, blobs in
            let a = id(6), later = id(7)
            try await blobs.write(a, packages: packages(0..<4, tag: 6), startingAt: 0, durability: .synced)
            let view = try await blobs.readView()
            try await blobs.delete(a)
            try await blobs.write(later, packages: packages(0..<1, tag: 7), startingAt: 0, durability: .synced)
            #expect(try await view.read(a, packages: 1..<4) == packages(1..<4, tag: 6))
            #expect(try await view.read(later, packages: 0..<1) == [])
            #expect(try await blobs.read(a, packages: 0..<4) == [])
            #expect(try await blobs.read(later, packages: 0..<1) == packages(0..<1, tag: 7))
        }
    }

    /// Concurrent writers of different blobs and concurrent deletes do not disturb each other.
    @Test(arguments: Backend.allCases) func concurrentWritersAndDeletes(_ backend: Backend) async throws {
        try await withStores(backend) { _, blobs in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in UInt8(10)..<UInt8(26) {
                    group.addTask {
                        for batch in 0..<5 {
                            try await blobs.write(id(n), packages: packages(batch * 10..<(batch + 1) * 10, tag: n), startingAt: batch * 10,
                                                  durability: batch == 4 ? .synced : .buffered)
                        }
                        if n % 2 == 0 { try await blobs.delete(id(n)) }
                    }
                }
                try await group.waitForAll()
            }
            for n in UInt8(10)..<UInt8(26) {
                #expect(try await blobs.read(id(n), packages: 0..<50) == (n % 2 == 0 ? [] : packages(0..<50, tag: n)))
            }
            #expect(try await blobs.packageCount() == 8 * 50)
        }
    }
}
