import CofferStorage
import Testing

/// The contract of ``BlobStore`` (see its documentation) as checks any implementation's test
/// target runs against its stores: `@Test(arguments: BlobStoreConformance.checks)`, each check
/// on a fresh, empty store. The one copy of the suite (CofferStorageTests runs it on LevelDB
/// and memory, CofferStorageRadosTests on RADOS).
public enum BlobStoreConformance {
    /// One check of the contract, run on an empty store.
    public struct Check: Sendable, CustomTestStringConvertible {
        public let name: String
        public let run: @Sendable (any BlobStore) async throws -> Void

        public var testDescription: String { name }
    }

    /// Every check of the contract.
    public static let checks: [Check] = [
        Check(name: "writeInBatchesReadRanges", run: writeInBatchesReadRanges),
        Check(name: "readsStopAtAGap", run: readsStopAtAGap),
        Check(name: "rangesAcrossBoundariesOf64", run: rangesAcrossBoundariesOf64),
        Check(name: "deleteRemovesOneBlob", run: deleteRemovesOneBlob),
        Check(name: "readViewsOutliveDeletes", run: readViewsOutliveDeletes),
        Check(name: "concurrentWritersAndDeletes", run: concurrentWritersAndDeletes),
    ]

    /// Checks of a property beyond the contract, which stores whose read views are snapshots
    /// have (LevelDB, memory): a view does not show blobs written after it was taken.
    /// ``BlobStore/readView()`` leaves that unspecified (a RADOS view shows them).
    public static let snapshotChecks: [Check] = [
        Check(name: "readViewsHideLaterBlobs", run: readViewsHideLaterBlobs),
    ]

    public static func id(_ n: UInt8) -> BlobID { BlobID(bytes: [UInt8](repeating: n, count: 15) + [n &+ 1])! }

    /// Packages of different lengths (3 to 7 bytes), each naming its tag and number.
    public static func packages(_ range: Range<Int>, tag: UInt8) -> [[UInt8]] {
        range.map { [tag, UInt8($0 & 0xFF), UInt8(($0 >> 8) & 0xFF)] + [UInt8](repeating: tag, count: $0 % 5) }
    }

    /// Packages written in batches read back in any range; a range past the end reads short.
    static func writeInBatchesReadRanges(_ blobs: any BlobStore) async throws {
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

    /// A read stops at the first missing package: the packages before the gap, never after.
    static func readsStopAtAGap(_ blobs: any BlobStore) async throws {
        let a = id(3)
        try await blobs.write(a, packages: packages(0..<2, tag: 3), startingAt: 0, durability: .buffered)
        try await blobs.write(a, packages: packages(3..<5, tag: 3), startingAt: 3, durability: .buffered)
        #expect(try await blobs.read(a, packages: 0..<5) == packages(0..<2, tag: 3))
        #expect(try await blobs.read(a, packages: 2..<5) == [])
        #expect(try await blobs.read(a, packages: 3..<5) == packages(3..<5, tag: 3))
        // A gap of a whole 64 packages, then more: still a gap, and still deleted whole.
        try await blobs.write(a, packages: packages(140..<150, tag: 3), startingAt: 140, durability: .buffered)
        #expect(try await blobs.read(a, packages: 3..<150) == packages(3..<5, tag: 3))
        #expect(try await blobs.read(a, packages: 140..<200) == packages(140..<150, tag: 3))
        #expect(try await blobs.packageCount() == 14)
        try await blobs.delete(a)
        #expect(try await blobs.read(a, packages: 140..<150) == [])
        #expect(try await blobs.packageCount() == 0)
    }

    /// Blobs of exactly one and two times 64 packages, written in batches of 16 and 24 (so
    /// that batches straddle multiples of 64), read in ranges that start, end or cross at
    /// multiples of 64 (where a store that groups packages by 64 changes objects).
    static func rangesAcrossBoundariesOf64(_ blobs: any BlobStore) async throws {
        let one = id(30), two = id(31)
        for first in stride(from: 0, to: 64, by: 16) {
            try await blobs.write(one, packages: packages(first..<first + 16, tag: 30), startingAt: first, durability: .buffered)
        }
        for first in stride(from: 0, to: 128, by: 24) {
            let end = min(first + 24, 128)
            try await blobs.write(two, packages: packages(first..<end, tag: 31), startingAt: first, durability: .buffered)
        }
        #expect(try await blobs.read(one, packages: 0..<64) == packages(0..<64, tag: 30))
        #expect(try await blobs.read(one, packages: 60..<70) == packages(60..<64, tag: 30))
        #expect(try await blobs.read(one, packages: 64..<65) == [])
        #expect(try await blobs.read(two, packages: 0..<128) == packages(0..<128, tag: 31))
        for range in [63..<65, 64..<128, 0..<65, 127..<128, 127..<200, 1..<127, 64..<64] {
            #expect(try await blobs.read(two, packages: range) == packages(range.clamped(to: 0..<128), tag: 31), "\(range)")
        }
        #expect(try await blobs.read(two, packages: 128..<129) == [])
        #expect(try await blobs.packageCount() == 192)
        try await blobs.delete(two)
        #expect(try await blobs.read(two, packages: 64..<65) == [])
        #expect(try await blobs.packageCount() == 64)
    }

    /// Deleting a blob removes all its packages and nothing of its neighbours (ids that share
    /// a prefix included).
    static func deleteRemovesOneBlob(_ blobs: any BlobStore) async throws {
        let a = id(4), b = BlobID(bytes: Array(id(4).bytes.dropLast()) + [0xFF])!
        try await blobs.write(a, packages: packages(0..<600, tag: 4), startingAt: 0, durability: .buffered)
        try await blobs.write(b, packages: packages(0..<3, tag: 5), startingAt: 0, durability: .buffered)
        try await blobs.delete(a)
        try await blobs.delete(id(77))
        #expect(try await blobs.read(a, packages: 0..<600) == [])
        #expect(try await blobs.read(a, packages: 599..<600) == [])
        #expect(try await blobs.read(b, packages: 0..<3) == packages(0..<3, tag: 5))
        #expect(try await blobs.packageCount() == 3)
    }

    /// A read view keeps reading what existed when it was taken, after a delete, in every
    /// range (across multiples of 64 included), while the live store no longer reads it.
    static func readViewsOutliveDeletes(_ blobs: any BlobStore) async throws {
        let a = id(6), b = id(8)
        try await blobs.write(a, packages: packages(0..<4, tag: 6), startingAt: 0, durability: .synced)
        try await blobs.write(b, packages: packages(0..<150, tag: 8), startingAt: 0, durability: .synced)
        let view = try await blobs.readView()
        #expect(try await view.read(b, packages: 0..<10) == packages(0..<10, tag: 8))
        try await blobs.delete(a)
        try await blobs.delete(b)
        #expect(try await view.read(a, packages: 1..<4) == packages(1..<4, tag: 6))
        #expect(try await view.read(b, packages: 0..<150) == packages(0..<150, tag: 8))
        #expect(try await view.read(b, packages: 60..<130) == packages(60..<130, tag: 8))
        #expect(try await view.read(b, packages: 140..<160) == packages(140..<150, tag: 8))
        #expect(try await blobs.read(a, packages: 0..<4) == [])
        #expect(try await blobs.read(b, packages: 64..<70) == [])
        #expect(try await blobs.packageCount() == 0)
    }

    /// A snapshot view does not show a blob written after it was taken; the live store does.
    static func readViewsHideLaterBlobs(_ blobs: any BlobStore) async throws {
        let later = id(7)
        let view = try await blobs.readView()
        try await blobs.write(later, packages: packages(0..<1, tag: 7), startingAt: 0, durability: .synced)
        #expect(try await view.read(later, packages: 0..<1) == [])
        #expect(try await blobs.read(later, packages: 0..<1) == packages(0..<1, tag: 7))
    }

    /// Concurrent writers of different blobs and concurrent deletes do not disturb each other.
    static func concurrentWritersAndDeletes(_ blobs: any BlobStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in UInt8(10)..<UInt8(26) {
                group.addTask {
                    for batch in 0..<5 {
                        try await blobs.write(id(n), packages: packages(batch * 20..<(batch + 1) * 20, tag: n), startingAt: batch * 20,
                                              durability: batch == 4 ? .synced : .buffered)
                    }
                    if n % 2 == 0 { try await blobs.delete(id(n)) }
                }
            }
            try await group.waitForAll()
        }
        for n in UInt8(10)..<UInt8(26) {
            #expect(try await blobs.read(id(n), packages: 0..<100) == (n % 2 == 0 ? [] : packages(0..<100, tag: n)))
        }
        #expect(try await blobs.packageCount() == 8 * 100)
    }
}
