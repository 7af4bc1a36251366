import CofferRados
import CofferStorage
import CofferStorageConformance
@testable import CofferStorageRados
import Foundation
import Testing

extension Live {
    /// A blob store under a fresh object-name prefix per test; afterwards every blob queued
    /// is reclaimed and every object left under the prefix removed.
    static func withBlobStore<R>(
        packagesPerStripe: Int = 64,
        reclaimDelay: Duration = .seconds(300),
        viewLifetime: Duration = .seconds(240),
        _ body: (RadosBlobStore) async throws -> R
    ) async throws -> R {
        let io = try await Cluster.connect(conf: try #require(conf), user: user).ioContext(pool: pool)
        let store = try RadosBlobStore(io: io, prefix: "test-blobs-\(UUID().uuidString)/", packagesPerStripe: packagesPerStripe,
                                       reclaimDelay: reclaimDelay, viewLifetime: viewLifetime)
        func cleanUp() async throws {
            try await store.reclaimDue(now: .distantFuture)
            for name in try await store.stripeObjects() { try? await io.remove(name) }
            try? await io.remove(store.reclaimQueueObject)
        }
        do {
            let result = try await body(store)
            try await cleanUp()
            return result
        } catch {
            try? await cleanUp()
            throw error
        }
    }
}

/// Package `index` of a large test blob: `size` bytes naming the blob's tag and the index.
func largePackage(_ index: Int, tag: UInt8, size: Int = 65536) -> [UInt8] {
    var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index &* 31 &+ Int(tag)), count: size)
    let header = [tag, UInt8(truncatingIfNeeded: index), UInt8(truncatingIfNeeded: index >> 8)]
    for (offset, byte) in header.enumerated() where offset < size { bytes[offset] = byte }
    return bytes
}

/// The `StorageError` `body` throws (nil if it throws nothing or another error).
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? StorageError
    }
}

@Suite(
    "RadosBlobStore against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosBlobStoreTests {
    @Test(arguments: BlobStoreConformance.checks)
    func conformance(_ check: BlobStoreConformance.Check) async throws {
        try await Live.withBlobStore { store in try await check.run(store) }
    }

    /// A 64 MiB blob (1024 packages of 64 KiB, the last one shorter) written in batches of 16
    /// lands in 16 stripe objects of 4 MiB and reads back whole, in a GET's batches of 4
    /// through a view, and in ranges across stripes.
    @Test func largeBlobInBatchesReadInRanges() async throws {
        try await Live.withBlobStore { store in
            let blob = BlobStoreConformance.id(40)
            let count = 1024
            func package(_ index: Int) -> [UInt8] { largePackage(index, tag: 40, size: index == count - 1 ? 1000 : 65536) }
            for first in stride(from: 0, to: count, by: 16) {
                try await store.write(blob, packages: (first..<first + 16).map(package), startingAt: first, durability: .synced)
            }
            let names = try await store.stripeObjects()
            #expect(Set(names) == Set((0..<16).map { store.objectName(of: blob, stripe: $0) }))
            #expect(try await store.io.stat(store.objectName(of: blob, stripe: 3)).size == 64 * 65536)
            #expect(try await store.io.stat(store.objectName(of: blob, stripe: 15)).size == 63 * 65536 + 1000)

            let view = try await store.readView()
            var index = 0
            while index < count {
                let got = try await view.read(blob, packages: index..<index + 4)
                #expect(got.count == 4 && got.enumerated().allSatisfy { $0.element == package(index + $0.offset) }, "packages \(index)..<\(index + 4)")
                index += 4
            }
            for range in [0..<count, 60..<200, 63..<65, 1000..<1100, 511..<513, 1023..<1024] {
                let got = try await store.read(blob, packages: range)
                let expected = range.clamped(to: 0..<count)
                #expect(got.count == expected.count && zip(got, expected).allSatisfy { $0 == package($1) }, "\(range)")
            }
            #expect(try await store.packageCount() == count)
        }
    }

    /// Eight writers of different blobs, batch after batch at the same time, each blob
    /// crossing stripes: every blob reads back exactly as written.
    @Test func concurrentWritersOfDifferentBlobs() async throws {
        try await Live.withBlobStore(packagesPerStripe: 16) { store in
            let writers = UInt8(50)..<UInt8(58)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for tag in writers {
                    group.addTask {
                        for first in stride(from: 0, to: 100, by: 10) {
                            let packages = (first..<first + 10).map { largePackage($0, tag: tag, size: 1000 + Int(tag) * 10 + $0) }
                            try await store.write(BlobStoreConformance.id(tag), packages: packages, startingAt: first, durability: .buffered)
                        }
                    }
                }
                try await group.waitForAll()
            }
            for tag in writers {
                let got = try await store.read(BlobStoreConformance.id(tag), packages: 0..<100)
                #expect(got == (0..<100).map { largePackage($0, tag: tag, size: 1000 + Int(tag) * 10 + $0) }, "blob \(tag)")
            }
            #expect(try await store.packageCount() == 800)
            #expect(try await store.stripeObjects().count == 8 * 7)
        }
    }

    /// A deletion removes nothing until its reclaim delay has passed; then reclaiming removes
    /// every stripe object of the blob (across a gap of a whole stripe too) and its queue
    /// entry, and nothing of another blob.
    @Test func reclaimRemovesEveryStripeObject() async throws {
        try await Live.withBlobStore(packagesPerStripe: 8) { store in
            let blob = BlobStoreConformance.id(60), gapped = BlobStoreConformance.id(61), kept = BlobStoreConformance.id(62)
            try await store.write(blob, packages: BlobStoreConformance.packages(0..<30, tag: 60), startingAt: 0, durability: .synced)
            try await store.write(gapped, packages: BlobStoreConformance.packages(0..<3, tag: 61), startingAt: 0, durability: .synced)
            try await store.write(gapped, packages: BlobStoreConformance.packages(20..<22, tag: 61), startingAt: 20, durability: .synced)
            try await store.write(kept, packages: BlobStoreConformance.packages(0..<9, tag: 62), startingAt: 0, durability: .synced)
            let objects = (0..<4).map { store.objectName(of: blob, stripe: $0) } + [0, 2].map { store.objectName(of: gapped, stripe: $0) }
            #expect(Set(try await store.stripeObjects()) == Set(objects + [0, 1].map { store.objectName(of: kept, stripe: $0) }))

            let view = try await store.readView()
            let beforeDeletes = Date()
            try await store.delete(blob)
            try await store.delete(gapped)
            let afterDeletes = Date()
            #expect(try await store.reclaimDue(now: beforeDeletes.addingTimeInterval(299)) == 0)
            for object in objects { _ = try await store.io.stat(object) }
            #expect(try await view.read(blob, packages: 5..<30) == BlobStoreConformance.packages(5..<30, tag: 60))
            #expect(try await store.read(blob, packages: 0..<1) == [])
            #expect(try await store.packageCount() == 9)

            #expect(try await store.reclaimDue(now: afterDeletes.addingTimeInterval(300)) == 2)
            for object in objects {
                let error = await #expect(throws: RadosError.self) { _ = try await store.io.stat(object) }
                #expect(error?.kind == .notFound, "\(object)")
            }
            #expect(Set(try await store.stripeObjects()) == Set([0, 1].map { store.objectName(of: kept, stripe: $0) }))
            #expect(try await store.io.omapPage(store.reclaimQueueObject, prefix: [], max: 10).entries.isEmpty)
            #expect(try await store.reclaimDue(now: .distantFuture) == 0)
            #expect(try await store.read(kept, packages: 0..<9) == BlobStoreConformance.packages(0..<9, tag: 62))
            // Reclaimed under a view that has not expired (only a reclaim delay shorter than
            // the clock skew would do that): an I/O error, not a missing package.
            let early = await storageError { _ = try await view.read(blob, packages: 16..<24) }
            #expect(early?.code == .io && early?.message.contains("reclaimed under a read view") == true)
        }
    }

    /// Within its lifetime a view reads a blob deleted since it was taken; past it (a view
    /// made already expired, so that no timing is involved), it still reads a blob nobody
    /// deleted (a slow reader) and refuses a deleted one (its objects may be reclaimed any
    /// moment).
    @Test func viewsExpireForDeletedBlobsOnly() async throws {
        try await Live.withBlobStore(packagesPerStripe: 4) { store in
            let kept = BlobStoreConformance.id(63), deleted = BlobStoreConformance.id(67)
            for blob in [kept, deleted] {
                try await store.write(blob, packages: BlobStoreConformance.packages(0..<10, tag: 63), startingAt: 0, durability: .synced)
            }
            let view = try await store.readView()
            #expect(try await view.read(deleted, packages: 0..<10) == BlobStoreConformance.packages(0..<10, tag: 63))
            try await store.delete(deleted)
            #expect(try await view.read(deleted, packages: 0..<10) == BlobStoreConformance.packages(0..<10, tag: 63))
            let expired = RadosBlobReadView(reader: store.reader, expires: .now, lifetime: .zero)
            #expect(try await expired.read(kept, packages: 0..<10) == BlobStoreConformance.packages(0..<10, tag: 63))
            let error = await storageError { _ = try await expired.read(deleted, packages: 5..<10) }
            #expect(error?.code == .io && error?.message.contains("expired") == true)
            #expect(throws: StorageError.self) { _ = try RadosBlobStore(io: store.io, reclaimDelay: .seconds(1), viewLifetime: .seconds(1)) }
            #expect(throws: StorageError.self) { _ = try RadosBlobStore(io: store.io, packagesPerStripe: 0) }
        }
    }

    /// Packages are written once, in ascending order, never into a deleted blob, and never
    /// larger than a stripe allows: anything else is refused and changes nothing.
    @Test func writesThatWouldBreakTheIndexAreRefused() async throws {
        try await Live.withBlobStore(packagesPerStripe: 8) { store in
            let blob = BlobStoreConformance.id(64)
            try await store.write(blob, packages: BlobStoreConformance.packages(0..<4, tag: 64), startingAt: 0, durability: .synced)
            #expect(await errorCode { try await store.write(blob, packages: [[9]], startingAt: 3, durability: .synced) } == .invalidArgument)
            #expect(await errorCode { try await store.write(blob, packages: [[9]], startingAt: 1, durability: .synced) } == .invalidArgument)
            try await store.write(blob, packages: BlobStoreConformance.packages(6..<7, tag: 64), startingAt: 6, durability: .synced)
            #expect(await errorCode { try await store.write(blob, packages: [[9]], startingAt: 5, durability: .synced) } == .invalidArgument)
            #expect(try await store.read(blob, packages: 0..<8) == BlobStoreConformance.packages(0..<4, tag: 64))
            #expect(try await store.read(blob, packages: 6..<8) == BlobStoreConformance.packages(6..<7, tag: 64))
            let tooLarge = [UInt8](repeating: 1, count: store.maxPackageBytes + 1)
            #expect(await errorCode { try await store.write(blob, packages: [tooLarge], startingAt: 7, durability: .synced) } == .invalidArgument)
            try await store.delete(blob)
            #expect(await errorCode { try await store.write(blob, packages: [[9]], startingAt: 7, durability: .synced) } == .invalidArgument)
        }
    }

    /// A stripe whose index names bytes its data does not hold, or holds a key that is no
    /// package of the stripe, is reported as corruption, not read as something else.
    @Test func inconsistentStripesAreCorruption() async throws {
        try await Live.withBlobStore(packagesPerStripe: 8) { store in
            let short = BlobStoreConformance.id(65), stray = BlobStoreConformance.id(66)
            try await store.write(short, packages: BlobStoreConformance.packages(0..<4, tag: 65), startingAt: 0, durability: .synced)
            try await store.write(stray, packages: BlobStoreConformance.packages(0..<4, tag: 66), startingAt: 0, durability: .synced)
            // Data replaced by fewer bytes (the omap stays).
            var truncate = WriteOperation()
            truncate.writeFull([1, 2, 3])
            try await store.io.operate(truncate, on: store.objectName(of: short, stripe: 0))
            #expect(await errorCode { _ = try await store.read(short, packages: 0..<4) } == .corruption)
            var foreign = WriteOperation()
            foreign.set([(key: [0, 0, 0, 9], value: [0, 0, 0, 1])])
            try await store.io.operate(foreign, on: store.objectName(of: stray, stripe: 0))
            #expect(await errorCode { _ = try await store.read(stray, packages: 0..<1) } == .corruption)
        }
    }

    /// Sequential rates of writing and reading back a 64 MiB blob of 64 KiB packages (printed;
    /// only when COFFER_TEST_RADOS_RATES is set).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["COFFER_TEST_RADOS_RATES"] != nil))
    func rates() async throws {
        try await Live.withBlobStore { store in
            let blob = BlobStoreConformance.id(70)
            let count = 1024, megabytes = Double(count * 65536) / 1_000_000
            let packages = (0..<count).map { largePackage($0, tag: 70) }
            var start = ContinuousClock.now
            for first in stride(from: 0, to: count, by: 16) {
                try await store.write(blob, packages: Array(packages[first..<first + 16]), startingAt: first, durability: .synced)
            }
            let writeSeconds = (ContinuousClock.now - start) / .seconds(1)
            var rates: [String] = []
            for batch in [4, 16, 64] {
                let view = try await store.readView()
                start = ContinuousClock.now
                var read = 0
                while read < count {
                    read += try await view.read(blob, packages: read..<read + batch).count
                }
                rates.append("batches of \(batch) through a view \(Int(megabytes / ((ContinuousClock.now - start) / .seconds(1)))) MB/s")
            }
            start = ContinuousClock.now
            let whole = try await store.read(blob, packages: 0..<count)
            let wholeSeconds = (ContinuousClock.now - start) / .seconds(1)
            #expect(whole.count == count && whole[777] == packages[777])
            start = ContinuousClock.now
            try await store.delete(blob)
            let deleteTime = ContinuousClock.now - start
            start = ContinuousClock.now
            #expect(try await store.reclaimDue(now: .distantFuture) == 1)
            let reclaimTime = ContinuousClock.now - start
            print("RATES 64 MiB blob: write (batches of 16 x 64 KiB) \(Int(megabytes / writeSeconds)) MB/s; read \(rates.joined(separator: "; ")); read in one call \(Int(megabytes / wholeSeconds)) MB/s; delete \(deleteTime), reclaim of its 16 stripes \(reclaimTime)")
        }
    }
}
