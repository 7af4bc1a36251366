@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

@Suite struct ObjectStoreTests {
    @Test(arguments: Backend.allCases) func commitOverwriteDeleteReclaimChunks(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let first = try await putObject(store, key: "k", chunks: chunks(5, of: 1))
            #expect(try await store.chunkCount() == 5)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.object(bucket: "bucket", key: "k") == first)

            let blob = try await writeBlob(store, chunks(3, of: 2))
            #expect(try await store.pendingBlobCount() == 1)
            let replaced = try await store.commitObject(objectRecord(key: "k", segments: [blob])).replaced
            #expect(replaced == first)
            #expect(try await store.chunkCount() == 3)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)

            let deleted = try await store.deleteObject(bucket: "bucket", key: "k")
            #expect(deleted?.segments == [blob])
            #expect(try await store.chunkCount() == 0)
            #expect(try await store.object(bucket: "bucket", key: "k") == nil)
            #expect(try await store.deleteObject(bucket: "bucket", key: "k") == nil)
            #expect(await errorCode { _ = try await store.deleteObject(bucket: "gone", key: "k") } == .noSuchBucket)
        }
    }

    @Test(arguments: Backend.allCases) func recommittingTheSameBlobsKeepsThem(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            var record = try await putObject(store, key: "k", chunks: chunks(2, of: 1))
            record.userMetadata = ["new": "meta"]
            try await store.commitObject(record)
            #expect(try await store.chunkCount() == 2)
            #expect(try await store.object(bucket: "bucket", key: "k")?.userMetadata == ["new": "meta"])
        }
    }

    @Test(arguments: Backend.allCases) func commitRequiresBucketAndPendingBlobs(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let blob = try await writeBlob(store, chunks(2, of: 1))
            #expect(await errorCode { try await store.commitObject(objectRecord(key: "k", segments: [blob])) } == .noSuchBucket)
            try await makeBucket(store)
            try await store.commitObject(objectRecord(key: "k", segments: [blob]))
            // The blob is now owned by "k": another object may not claim it.
            #expect(await errorCode { try await store.commitObject(objectRecord(key: "other", segments: [blob])) } == .invalidRecord)
            // Discarding a committed blob is a no-op.
            try await store.discard([blob.id])
            #expect(try await store.chunkCount() == 2)
        }
    }

    @Test(arguments: Backend.allCases) func discardReclaimsAtOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let writer = try await store.makeBlobWriter()
            for chunk in chunks(4, of: 9) { try await writer.writeChunk(chunk) }
            try await writer.discard()
            #expect(try await store.chunkCount() == 0)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(await errorCode { try await writer.writeChunk([1]) } == .invalidArgument)
        }
    }

    /// A blob written but never committed is a crash leftover: opening the store again (for
    /// LevelDB, the directory after the first store closed; for memory, a new store over the
    /// same memory stores) reclaims it, and committed objects survive.
    @Test(arguments: Backend.allCases) func crashLeftoversAreCollectedAtStartUpAndCommitsSurvive(_ backend: Backend) async throws {
        let harness = try Harness(backend)
        defer { harness.directory.remove() }
        harness.options.chunkBatchBytes = 250 // flush every few chunks
        do {
            let store = try await harness.open()
            #expect(store.recoveredBlobCount == 0)
            try await makeBucket(store)
            try await putObject(store, key: "kept", chunks: chunks(3, of: 7))
            let writer = try await store.makeBlobWriter()
            for chunk in chunks(10, of: 1) { try await writer.writeChunk(chunk) }
            _ = try await writer.finish(logicalSize: 1000)
            let unfinished = try await store.makeBlobWriter()
            try await unfinished.writeChunk([1, 2, 3])
            #expect(try await store.chunkCount() == 13)
            #expect(try await store.pendingBlobCount() == 2)
            // The store goes away without committing either blob.
        }
        let store = try await harness.open()
        #expect(store.recoveredBlobCount == 2)
        #expect(try await store.chunkCount() == 3)
        #expect(try await store.pendingBlobCount() == 0)
        #expect(try await store.garbageBlobCount() == 0)
        let reader = try #require(try await store.openObject(bucket: "bucket", key: "kept"))
        #expect(try await readBody(reader) == chunks(3, of: 7))
        #expect(try await store.listBuckets().map(\.name) == ["bucket"])
    }

    @Test(arguments: Backend.allCases) func readerKeepsOldChunksAfterOverwriteAndDelete(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let old: [[UInt8]] = [[1, 1], [2, 2], [3, 3]]
            try await putObject(store, key: "k", chunks: old)
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
            let cursor = try reader.chunks(segment: 0, from: 1)
            try await putObject(store, key: "k", chunks: [[9]])
            #expect(try await store.chunkCount() == 1)
            #expect(try await cursor.next() == [2, 2])
            #expect(try await cursor.next() == [3, 3])
            #expect(try await cursor.next() == nil)
            try await store.deleteObject(bucket: "bucket", key: "k")
            #expect(try await readBody(reader) == old)
            #expect(try await reader.readChunk(segment: 0, index: 0) == [1, 1])
            #expect(try await store.openObject(bucket: "bucket", key: "k") == nil)
        }
    }

    @Test(arguments: Backend.allCases) func missingChunkIsCorruption(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            var blob = try await writeBlob(store, chunks(2, of: 1))
            blob.chunkCount = 3 // claims a chunk that was never written
            try await store.commitObject(objectRecord(key: "k", segments: [blob]))
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
            let cursor = try reader.chunks(segment: 0)
            #expect(try await cursor.next() == chunks(1, of: 1)[0])
            #expect(try await cursor.next() == chunks(1, of: 1)[0])
            #expect(await errorCode { _ = try await cursor.next() } == .corruption)
            #expect(await errorCode { _ = try await reader.readChunk(segment: 0, index: 2) } == .corruption)
            #expect(await errorCode { _ = try reader.chunks(segment: 1) } == .invalidArgument)
            #expect(await errorCode { _ = try reader.chunks(segment: 0, from: 4) } == .invalidArgument)
        }
    }

    @Test(arguments: Backend.allCases) func multiSegmentObjectsReadInOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let a = try await writeBlob(store, [[1], [2]])
            let b = try await writeBlob(store, [[3]])
            try await store.commitObject(objectRecord(key: "k", segments: [a, b]))
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
            #expect(try await readBody(reader) == [[1], [2], [3]])
            #expect(try await store.readChunk(blob: b.id, index: 0) == [3])
            #expect(try await store.readChunk(blob: b.id, index: 1) == nil)
        }
    }

    /// A long cursor fetches growing ranges and reads every package once, in order, from any
    /// start.
    @Test(arguments: Backend.allCases) func cursorsReadRangesFromAnyStart(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let body = (0..<37).map { [UInt8($0), UInt8($0 &* 7)] }
            try await putObject(store, key: "k", chunks: body)
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
            for start in [0, 1, 5, 36, 37] {
                let cursor = try reader.chunks(segment: 0, from: start)
                var read: [[UInt8]] = []
                while let package = try await cursor.next() { read.append(package) }
                #expect(read == Array(body[start...]))
                #expect(cursor.index == 37)
            }
        }
    }

    /// A cursor over a range fetches the packages of that range and no other, in few calls.
    @Test func rangeCursorsFetchOnlyTheirRange() async throws {
        let counting = CountingBlobStore(base: MemoryBlobStore())
        let store = try await ObjectStore(metadata: MemoryMetadataStore(), blobs: counting)
        try await makeBucket(store)
        let body = (0..<40).map { [UInt8($0)] }
        try await putObject(store, key: "k", chunks: body)
        let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
        for (range, calls) in [(5..<7, 2), (0..<1, 1), (10..<40, 9), (39..<40, 1), (3..<3, 0)] {
            counting.reset()
            let cursor = try reader.chunks(segment: 0, from: range.lowerBound, upTo: range.upperBound)
            var read: [[UInt8]] = []
            while let package = try await cursor.next() { read.append(package) }
            #expect(read == Array(body[range]))
            #expect(counting.packagesRead == range.count, "\(range)")
            #expect(counting.reads == calls, "\(range)")
        }
        #expect(await errorCode { _ = try reader.chunks(segment: 0, from: 5, upTo: 41) } == .invalidArgument)
        #expect(await errorCode { _ = try reader.chunks(segment: 0, from: 6, upTo: 5) } == .invalidArgument)
    }

    @Test(arguments: Backend.allCases) func concurrentCommitsAllLand(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for i in 0..<25 {
                            // Tasks overwrite a shared key too, racing on replacement.
                            try await putObject(store, key: "t\(task)-\(i)", chunks: chunks(2, of: UInt8(task)))
                            try await putObject(store, key: "shared", chunks: chunks(1, of: UInt8(task)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let listing = try await store.listObjects(bucket: "bucket", maxKeys: 10_000)
            #expect(listing.objects.count == 201)
            #expect(try await store.chunkCount() == 8 * 25 * 2 + 1)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)
        }
    }

    /// Writers of one object in one process take turns instead of racing: with no retry
    /// allowed at all, every overwrite, delete and part upload of one key still lands, and the
    /// replaced blobs are reclaimed.
    @Test(arguments: Backend.allCases) func writersOfOneKeyNeverRetry(_ backend: Backend) async throws {
        let harness = try Harness(backend)
        defer { harness.directory.remove() }
        harness.options.commitAttempts = 1
        let store = try await harness.open()
        try await makeBucket(store)
        try await store.createUpload(UploadRecord(bucket: "bucket", key: "big", uploadId: "u1", initiated: fixedDate, owner: "alice"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<20 {
                        try await putObject(store, key: "shared", chunks: chunks(1, of: UInt8(task)))
                        if i % 5 == 4 { try await store.deleteObject(bucket: "bucket", key: "shared") }
                        let blob = try await writeBlob(store, chunks(1, of: UInt8(task)))
                        try await store.commitPart(PartRecord(uploadId: "u1", number: 1, size: blob.size, etag: "e", lastModified: fixedDate, blob: blob))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(store.turns.takenCount == 0)
        #expect(try await store.pendingBlobCount() == 0)
        #expect(try await store.garbageBlobCount() == 0)
        // What is left: at most the last "shared" and the one part.
        #expect(try await store.chunkCount() <= 2)
    }
}
