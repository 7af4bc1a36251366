import CofferStorage
import Foundation
import Synchronization
import Testing

@Suite struct ObjectStoreTests {
    @Test func commitOverwriteDeleteReclaimChunks() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let first = try putObject(store, key: "k", chunks: chunks(5, of: 1))
            #expect(try store.chunkCount() == 5)
            #expect(try store.pendingBlobCount() == 0)
            #expect(try store.object(bucket: "bucket", key: "k") == first)

            let blob = try writeBlob(store, chunks(3, of: 2))
            #expect(try store.pendingBlobCount() == 1)
            let replaced = try store.commitObject(objectRecord(key: "k", segments: [blob]))
            #expect(replaced == first)
            #expect(try store.chunkCount() == 3)
            #expect(try store.pendingBlobCount() == 0)
            #expect(try store.garbageBlobCount() == 0)

            let deleted = try store.deleteObject(bucket: "bucket", key: "k")
            #expect(deleted?.segments == [blob])
            #expect(try store.chunkCount() == 0)
            #expect(try store.object(bucket: "bucket", key: "k") == nil)
            #expect(try store.deleteObject(bucket: "bucket", key: "k") == nil)
        }
    }

    @Test func recommittingTheSameBlobsKeepsThem() throws {
        try withStore { store, _ in
            try makeBucket(store)
            var record = try putObject(store, key: "k", chunks: chunks(2, of: 1))
            record.userMetadata = ["new": "meta"]
            try store.commitObject(record)
            #expect(try store.chunkCount() == 2)
            #expect(try store.object(bucket: "bucket", key: "k")?.userMetadata == ["new": "meta"])
        }
    }

    @Test func commitRequiresBucketAndPendingBlobs() throws {
        try withStore { store, _ in
            let blob = try writeBlob(store, chunks(2, of: 1))
            #expect(throwsCode(.noSuchBucket) { try store.commitObject(objectRecord(key: "k", segments: [blob])) })
            try makeBucket(store)
            try store.commitObject(objectRecord(key: "k", segments: [blob]))
            // The blob is now owned by "k": another object may not claim it.
            #expect(throwsCode(.invalidRecord) { try store.commitObject(objectRecord(key: "other", segments: [blob])) })
            // Discarding a committed blob is a no-op.
            try store.discard([blob.id])
            #expect(try store.chunkCount() == 2)
        }
    }

    @Test func discardReclaimsAtOnce() throws {
        try withStore { store, _ in
            let writer = try store.makeBlobWriter()
            for chunk in chunks(4, of: 9) { try writer.writeChunk(chunk) }
            try writer.discard()
            #expect(try store.chunkCount() == 0)
            #expect(try store.pendingBlobCount() == 0)
            #expect(throwsCode(.invalidArgument) { try writer.writeChunk([1]) })
        }
    }

    @Test func crashLeftoversAreCollectedAtStartUpAndCommitsSurvive() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var options = ObjectStore.Options()
        options.chunkBatchBytes = 250 // flush every few chunks
        do {
            let store = try ObjectStore(directory: directory.path, options: options)
            try makeBucket(store)
            try putObject(store, key: "kept", chunks: chunks(3, of: 7))
            let writer = try store.makeBlobWriter()
            for chunk in chunks(10, of: 1) { try writer.writeChunk(chunk) }
            _ = try writer.finish(logicalSize: 1000)
            #expect(try store.chunkCount() == 13)
            // Dropping the store closes LevelDB without committing the second blob.
        }
        let store = try ObjectStore(directory: directory.path, options: options)
        #expect(store.recoveredBlobCount == 1)
        #expect(try store.chunkCount() == 3)
        #expect(try store.pendingBlobCount() == 0)
        #expect(try store.garbageBlobCount() == 0)
        let reader = try #require(try store.openObject(bucket: "bucket", key: "kept"))
        #expect(try readBody(reader) == chunks(3, of: 7))
        #expect(try store.listBuckets().map(\.name) == ["bucket"])
    }

    @Test func readerKeepsOldChunksAfterOverwriteAndDelete() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let old: [[UInt8]] = [[1, 1], [2, 2], [3, 3]]
            try putObject(store, key: "k", chunks: old)
            let reader = try #require(try store.openObject(bucket: "bucket", key: "k"))
            let cursor = try reader.chunks(segment: 0, from: 1)
            try putObject(store, key: "k", chunks: [[9]])
            #expect(try store.chunkCount() == 1)
            #expect(try cursor.next() == [2, 2])
            #expect(try cursor.next() == [3, 3])
            #expect(try cursor.next() == nil)
            try store.deleteObject(bucket: "bucket", key: "k")
            #expect(try readBody(reader) == old)
            #expect(try reader.readChunk(segment: 0, index: 0) == [1, 1])
            #expect(try store.openObject(bucket: "bucket", key: "k") == nil)
        }
    }

    @Test func missingChunkIsCorruption() throws {
        try withStore { store, _ in
            try makeBucket(store)
            var blob = try writeBlob(store, chunks(2, of: 1))
            blob.chunkCount = 3 // claims a chunk that was never written
            try store.commitObject(objectRecord(key: "k", segments: [blob]))
            let reader = try #require(try store.openObject(bucket: "bucket", key: "k"))
            let cursor = try reader.chunks(segment: 0)
            _ = try cursor.next()
            _ = try cursor.next()
            #expect(throwsCode(.corruption) { _ = try cursor.next() })
            #expect(throwsCode(.invalidArgument) { _ = try reader.chunks(segment: 1) })
        }
    }

    @Test func multiSegmentObjectsReadInOrder() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let a = try writeBlob(store, [[1], [2]])
            let b = try writeBlob(store, [[3]])
            try store.commitObject(objectRecord(key: "k", segments: [a, b]))
            let reader = try #require(try store.openObject(bucket: "bucket", key: "k"))
            #expect(try readBody(reader) == [[1], [2], [3]])
            #expect(try store.readChunk(blob: b.id, index: 0) == [3])
        }
    }

    @Test func concurrentCommitsAllLand() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 8) { thread in
                for i in 0..<25 {
                    do {
                        // Threads overwrite a shared key too, racing on replacement.
                        try putObject(store, key: "t\(thread)-\(i)", chunks: chunks(2, of: UInt8(thread)))
                        try putObject(store, key: "shared", chunks: chunks(1, of: UInt8(thread)))
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            let listing = try store.listObjects(bucket: "bucket", maxKeys: 10_000)
            #expect(listing.objects.count == 201)
            #expect(try store.chunkCount() == 8 * 25 * 2 + 1)
            #expect(try store.pendingBlobCount() == 0)
            #expect(try store.garbageBlobCount() == 0)
        }
    }

    @Test func deleteBucketDoesNotRaceCommits() throws {
        try withStore { store, _ in
            let orphans = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 4) { thread in
                for i in 0..<30 {
                    let bucket = "race\(i % 3)"
                    if thread == 0 {
                        try? makeBucket(store, bucket)
                        try? store.deleteBucket(named: bucket)
                    } else if let blob = try? writeBlob(store, [[1]]) {
                        let record = objectRecord(bucket: bucket, key: "k\(thread)", segments: [blob])
                        do {
                            try store.commitObject(record)
                            _ = try? store.deleteObject(bucket: bucket, key: record.key)
                        } catch {
                            try? store.discard([blob.id])
                        }
                    }
                }
            }
            // No object may exist in a bucket that does not.
            let buckets = Set(try store.listBuckets().map(\.name))
            for i in 0..<3 where !buckets.contains("race\(i)") {
                for thread in 1..<4 where try store.object(bucket: "race\(i)", key: "k\(thread)") != nil {
                    orphans.withLock { $0 += 1 }
                }
            }
            #expect(orphans.withLock { $0 } == 0)
            #expect(try store.pendingBlobCount() == 0)
        }
    }
}

@Suite struct WritePreconditionTests {
    func record(_ store: ObjectStore, etag: String) throws -> ObjectRecord {
        let blob = try writeBlob(store, [Array(etag.utf8)])
        return ObjectRecord(
            bucket: "bucket", key: "k", size: blob.size, etag: etag, lastModified: fixedDate, owner: "alice",
            contentHeaders: [:], userMetadata: [:], checksum: nil, parts: nil, segments: [blob], storageClass: "STANDARD")
    }

    @Test func conditionalCommitsAreCheckedAgainstTheCurrentObject() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let first = try record(store, etag: "a")
            #expect { try store.commitObject(first, precondition: .etagMatches("a")) } throws: { ($0 as? StorageError)?.code == .notFound }
            try store.commitObject(first, precondition: .absent)
            let second = try record(store, etag: "b")
            #expect { try store.commitObject(second, precondition: .absent) } throws: { ($0 as? StorageError)?.code == .preconditionFailed }
            #expect { try store.commitObject(second, precondition: .etagMatches("zzz")) } throws: { ($0 as? StorageError)?.code == .preconditionFailed }
            #expect(try store.object(bucket: "bucket", key: "k")?.etag == "a")
            try store.commitObject(second, precondition: .etagMatches("a"))
            #expect(try store.object(bucket: "bucket", key: "k")?.etag == "b")
            #expect(try store.chunkCount() == 1)
        }
    }

    @Test func releasingMappedPagesKeepsReadsCorrect() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let blob = try writeBlob(store, (0..<300).map { i in [UInt8](repeating: UInt8(i % 251), count: 1024) })
            try store.commitObject(ObjectRecord(
                bucket: "bucket", key: "big", size: blob.size, etag: "e", lastModified: fixedDate, owner: "alice",
                contentHeaders: [:], userMetadata: [:], checksum: nil, parts: nil, segments: [blob], storageClass: "STANDARD"))
            store.db.compactAll()
            let reader = try #require(try store.openObject(bucket: "bucket", key: "big"))
            let cursor = try reader.chunks(segment: 0)
            var index = 0
            while let chunk = try cursor.next() {
                #expect(chunk == [UInt8](repeating: UInt8(index % 251), count: 1024))
                store.db.releaseMappedTablePages()
                index += 1
            }
            #expect(index == 300)
        }
    }
}
