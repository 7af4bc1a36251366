import CofferStorage
import CofferStorageConformance
import Foundation
import Synchronization
import Testing

@Suite struct BucketTests {
    @Test(arguments: Backend.allCases) func createListUpdateDelete(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, "b2")
            try await makeBucket(store, "b1")
            #expect(await errorCode { try await makeBucket(store, "b1") } == .bucketExists)
            #expect(try await store.listBuckets().map(\.name) == ["b1", "b2"])
            var record = try #require(try await store.bucket(named: "b1"))
            record.policy = "{}"
            try await store.updateBucket(record)
            #expect(try await store.bucket(named: "b1") == record)
            try await store.deleteBucket(named: "b1")
            #expect(try await store.bucket(named: "b1") == nil)
            // A record read (and so cached decoded) before is never answered for a new one.
            try await store.createBucket(BucketRecord(name: "b1", owner: "someone-else", region: "r", createdAt: fixedDate))
            #expect(try await store.bucket(named: "b1")?.owner == "someone-else")
            try await store.deleteBucket(named: "b1")
            #expect(await errorCode { try await store.deleteBucket(named: "b1") } == .noSuchBucket)
            #expect(await errorCode {
                try await store.updateBucket(BucketRecord(name: "zz", owner: "o", region: "r", createdAt: fixedDate))
            } == .noSuchBucket)
            #expect(await errorCode { try await makeBucket(store, "") } == .invalidArgument)
        }
    }

    /// An object keeps the bucket (and its uploads stay); uploads alone go with it, each
    /// announced before it is aborted, their parts' blobs reclaimed.
    @Test(arguments: Backend.allCases) func deleteBucketRefusesObjectsAndTakesUploads(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            for id in ["u1", "u2", "u3"] {
                try await store.createUpload(UploadRecord(bucket: "bucket", key: "m-\(id)", uploadId: id, initiated: fixedDate, owner: "o"))
                let blob = try await writeBlob(store, chunks(2, of: 1))
                try await store.commitPart(PartRecord(uploadId: id, number: 1, size: blob.size, etag: "e", lastModified: fixedDate, blob: blob))
            }
            try await putObject(store, key: "k")
            let announced = Mutex<[String]>([])
            #expect(await errorCode {
                try await store.deleteBucket(named: "bucket") { upload in announced.withLock { $0.append(upload.uploadId) } }
            } == .bucketNotEmpty)
            #expect(announced.withLock { $0 }.isEmpty)
            #expect(try await store.listUploads(bucket: "bucket").uploads.count == 3)
            try await store.deleteObject(bucket: "bucket", key: "k")
            try await store.deleteBucket(named: "bucket") { upload in announced.withLock { $0.append(upload.uploadId) } }
            #expect(announced.withLock { $0 } == ["u1", "u2", "u3"])
            #expect(try await store.listBuckets().isEmpty)
            #expect(await errorCode { try await store.abortUpload(id: "u1") } == .noSuchUpload)
            #expect(try await store.chunkCount() == 0)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)
        }
    }

    /// When the caller cannot record an upload's abort, the deletion stops before aborting it.
    @Test(arguments: Backend.allCases) func deleteBucketStopsWhenAnAbortCannotBeRecorded(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await store.createUpload(UploadRecord(bucket: "bucket", key: "m", uploadId: "u1", initiated: fixedDate, owner: "o"))
            #expect(await errorCode {
                try await store.deleteBucket(named: "bucket") { _ throws(StorageError) in throw StorageError(.io, "trail full") }
            } == .io)
            #expect(try await store.listUploads(bucket: "bucket").uploads.map(\.uploadId) == ["u1"])
            #expect(try await store.listBuckets().map(\.name) == ["bucket"])
        }
    }

    @Test(arguments: Backend.allCases) func concurrentCreatesOfOneNameHaveOneWinner(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let outcomes = try await withThrowingTaskGroup(of: StorageError.Code?.self) { group in
                for _ in 0..<16 {
                    group.addTask { await errorCode { try await makeBucket(store, "same") } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.filter { $0 == .bucketExists }.count == 15)
        }
    }

    /// Commits into a bucket race with its deletion: the deletion is conditional on the
    /// listing being empty at commit time and every commit on the bucket existing, so no
    /// object or upload ever outlives its bucket, and no blob stays pending.
    @Test(arguments: Backend.allCases) func deleteBucketDoesNotRaceCommits(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for i in 0..<40 {
                        try? await makeBucket(store, "race\(i % 3)")
                        try? await store.deleteBucket(named: "race\(i % 3)")
                    }
                }
                for writer in 1...4 {
                    group.addTask {
                        for i in 0..<30 {
                            let bucket = "race\(i % 3)"
                            if writer == 4 {
                                let id = "up\(writer)-\(i)"
                                if (try? await store.createUpload(UploadRecord(bucket: bucket, key: "m", uploadId: id, initiated: fixedDate, owner: "o"))) != nil {
                                    // The bucket's deletion may have aborted it already.
                                    let code = await errorCode { try await store.abortUpload(id: id) }
                                    #expect(code == nil || code == .noSuchUpload)
                                }
                            } else if let record = try? await putObject(store, bucket: bucket, key: "k\(writer)") {
                                _ = try? await store.deleteObject(bucket: bucket, key: record.key)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let buckets = Set(try await store.listBuckets().map(\.name))
            for i in 0..<3 where !buckets.contains("race\(i)") {
                for writer in 1...3 {
                    #expect(try await store.object(bucket: "race\(i)", key: "k\(writer)") == nil)
                }
            }
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)
            #expect(try await store.chunkCount() == 0)
        }
    }

    /// A deletion that lands while an object is committed into the bucket either sees the
    /// object (bucketNotEmpty) or makes the commit fail (noSuchBucket): never both succeed.
    @Test(arguments: Backend.allCases) func deleteAndCommitNeverBothSucceed(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            for round in 0..<25 {
                let bucket = "b\(round)"
                try await makeBucket(store, bucket)
                let blob = try await writeBlob(store, [[UInt8(round)]])
                async let committed = errorCode { try await store.commitObject(objectRecord(bucket: bucket, key: "k", segments: [blob])) }
                async let deleted = errorCode { try await store.deleteBucket(named: bucket) }
                let (commit, delete) = await (committed, deleted)
                #expect((commit == nil) != (delete == nil), "round \(round): commit \(String(describing: commit)), delete \(String(describing: delete))")
                if commit == nil {
                    #expect(delete == .bucketNotEmpty)
                    #expect(try await store.bucket(named: bucket) != nil)
                } else {
                    #expect(commit == .noSuchBucket)
                    try await store.discard([blob.id])
                }
            }
            #expect(try await store.pendingBlobCount() == 0)
        }
    }
}
