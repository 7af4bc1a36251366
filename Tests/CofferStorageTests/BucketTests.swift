import CofferStorage
import Foundation
import Synchronization
import Testing

@Suite struct BucketTests {
    @Test func createListUpdateDelete() throws {
        try withStore { store, _ in
            try makeBucket(store, "b2")
            try makeBucket(store, "b1")
            #expect(throwsCode(.bucketExists) { try makeBucket(store, "b1") })
            #expect(try store.listBuckets().map(\.name) == ["b1", "b2"])
            var record = try #require(try store.bucket(named: "b1"))
            record.policy = "{}"
            try store.updateBucket(record)
            #expect(try store.bucket(named: "b1") == record)
            try store.deleteBucket(named: "b1")
            #expect(try store.bucket(named: "b1") == nil)
            // A record read (and so cached decoded) before is never answered for a new one.
            try store.createBucket(BucketRecord(name: "b1", owner: "someone-else", region: "r", createdAt: fixedDate))
            #expect(try store.bucket(named: "b1")?.owner == "someone-else")
            try store.deleteBucket(named: "b1")
            #expect(throwsCode(.noSuchBucket) { try store.deleteBucket(named: "b1") })
            #expect(throwsCode(.noSuchBucket) {
                try store.updateBucket(BucketRecord(name: "zz", owner: "o", region: "r", createdAt: fixedDate))
            })
            #expect(throwsCode(.invalidArgument) { try makeBucket(store, "") })
        }
    }

    @Test func deleteBucketRefusesObjectsAndUploads() throws {
        try withStore { store, _ in
            try makeBucket(store)
            try putObject(store, key: "k")
            #expect(throwsCode(.bucketNotEmpty) { try store.deleteBucket(named: "bucket") })
            try store.deleteObject(bucket: "bucket", key: "k")
            try store.createUpload(UploadRecord(bucket: "bucket", key: "m", uploadId: "u1", initiated: fixedDate, owner: "o"))
            #expect(throwsCode(.bucketNotEmpty) { try store.deleteBucket(named: "bucket") })
            try store.abortUpload(id: "u1")
            try store.deleteBucket(named: "bucket")
        }
    }

    @Test func concurrentCreatesOfOneNameHaveOneWinner() throws {
        try withStore { store, _ in
            let wins = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                if (try? makeBucket(store, "same")) != nil { wins.withLock { $0 += 1 } }
            }
            #expect(wins.withLock { $0 } == 1)
        }
    }
}

