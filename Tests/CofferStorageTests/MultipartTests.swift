import CofferStorage
import Foundation
import Testing

@Suite struct MultipartTests {
    func upload(_ id: String, key: String = "big", bucket: String = "bucket") -> UploadRecord {
        UploadRecord(bucket: bucket, key: key, uploadId: id, initiated: fixedDate, owner: "alice")
    }

    @discardableResult
    func commitPart(_ store: ObjectStore, _ uploadId: String, _ number: Int, chunkCount: Int, byte: UInt8) throws -> PartRecord {
        let blob = try writeBlob(store, chunks(chunkCount, of: byte))
        let part = PartRecord(uploadId: uploadId, number: number, size: blob.size, etag: "p\(number)-\(byte)",
                              lastModified: fixedDate, blob: blob)
        try store.commitPart(part)
        return part
    }

    @Test func replaceCompleteAndReclaim() throws {
        try withStore { store, _ in
            try makeBucket(store)
            try putObject(store, key: "big", chunks: chunks(4, of: 0)) // replaced by the completion
            try store.createUpload(upload("u1"))
            #expect(try store.upload(id: "u1") == upload("u1"))
            let p1 = try commitPart(store, "u1", 1, chunkCount: 2, byte: 1)
            let first2 = try commitPart(store, "u1", 2, chunkCount: 3, byte: 2)
            try commitPart(store, "u1", 3, chunkCount: 5, byte: 3)
            #expect(try store.chunkCount() == 4 + 2 + 3 + 5)
            let p2 = try commitPart(store, "u1", 2, chunkCount: 1, byte: 4)
            #expect(try store.chunkCount() == 4 + 2 + 1 + 5)
            #expect(try store.parts(uploadId: "u1").map(\.number) == [1, 2, 3])

            // A completion naming the replaced part's blob is refused.
            let stale = objectRecord(key: "big", segments: [p1.blob, first2.blob])
            #expect(throwsCode(.invalidPart) { try store.completeUpload(uploadId: "u1", object: stale, usedParts: [1, 2]) })
            #expect(throwsCode(.invalidPart) { try store.completeUpload(uploadId: "u1", object: stale, usedParts: [1, 9]) })

            let object = objectRecord(key: "big", segments: [p1.blob, p2.blob])
            let replaced = try store.completeUpload(uploadId: "u1", object: object, usedParts: [1, 2])
            #expect(replaced?.segments.first?.chunkCount == 4)
            #expect(try store.chunkCount() == 2 + 1)
            #expect(try store.upload(id: "u1") == nil)
            #expect(throwsCode(.noSuchUpload) { _ = try store.parts(uploadId: "u1") })
            #expect(try store.listUploads(bucket: "bucket").uploads.isEmpty)
            let reader = try #require(try store.openObject(bucket: "bucket", key: "big"))
            #expect(try readBody(reader) == chunks(2, of: 1) + chunks(1, of: 4))
            #expect(try store.pendingBlobCount() == 0)
            #expect(try store.garbageBlobCount() == 0)
        }
    }

    @Test func abortReclaimsAndLatePartsDoNotLeak() throws {
        try withStore { store, _ in
            try makeBucket(store)
            try store.createUpload(upload("u1"))
            try commitPart(store, "u1", 1, chunkCount: 3, byte: 1)
            try commitPart(store, "u1", 2, chunkCount: 3, byte: 2)
            let late = try writeBlob(store, chunks(2, of: 3))
            try store.abortUpload(id: "u1")
            #expect(try store.chunkCount() == 2)
            let part = PartRecord(uploadId: "u1", number: 3, size: late.size, etag: "e", lastModified: fixedDate, blob: late)
            #expect(throwsCode(.noSuchUpload) { try store.commitPart(part) })
            try store.discard([late.id])
            #expect(try store.chunkCount() == 0)
            #expect(try store.pendingBlobCount() == 0)
            #expect(throwsCode(.noSuchUpload) { try store.abortUpload(id: "u1") })
            try store.deleteBucket(named: "bucket")
        }
    }

    @Test func createUploadNeedsBucketAndUniqueId() throws {
        try withStore { store, _ in
            #expect(throwsCode(.noSuchBucket) { try store.createUpload(upload("u1")) })
            try makeBucket(store)
            try store.createUpload(upload("u1"))
            #expect(throwsCode(.invalidArgument) { try store.createUpload(upload("u1", key: "other")) })
            #expect(throwsCode(.invalidArgument) { try store.createUpload(upload("bad id")) })
            #expect(try store.upload(id: "missing") == nil)
        }
    }

    @Test func listPartsPages() throws {
        try withStore { store, _ in
            try makeBucket(store)
            try store.createUpload(upload("u1"))
            for n in [5, 1, 300, 2] { try commitPart(store, "u1", n, chunkCount: 1, byte: UInt8(n % 256)) }
            let first = try store.listParts(uploadId: "u1", partNumberMarker: nil, maxParts: 2)
            #expect(first.parts.map(\.number) == [1, 2])
            #expect(first.isTruncated)
            #expect(first.nextPartNumberMarker == 2)
            let second = try store.listParts(uploadId: "u1", partNumberMarker: 2, maxParts: 2)
            #expect(second.parts.map(\.number) == [5, 300])
            #expect(!second.isTruncated)
            #expect(try store.listParts(uploadId: "u1", partNumberMarker: 10_000, maxParts: 2).parts.isEmpty)
        }
    }

    @Test func listUploadsSemantics() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let entries = [("a", "2"), ("a", "1"), ("b/x", "3"), ("b/y", "4"), ("c", "5")]
            for (key, id) in entries { try store.createUpload(upload(id, key: key)) }

            let all = try store.listUploads(bucket: "bucket")
            #expect(all.uploads.map { "\($0.key):\($0.uploadId)" } == ["a:1", "a:2", "b/x:3", "b/y:4", "c:5"])

            let grouped = try store.listUploads(bucket: "bucket", delimiter: "/")
            #expect(grouped.uploads.map(\.uploadId) == ["1", "2", "5"])
            #expect(grouped.commonPrefixes == ["b/"])

            let page = try store.listUploads(bucket: "bucket", delimiter: "/", maxUploads: 2)
            #expect(page.uploads.map(\.uploadId) == ["1", "2"])
            #expect(page.isTruncated)
            #expect(page.nextKeyMarker == "a")
            #expect(page.nextUploadIdMarker == "2")

            let afterId = try store.listUploads(bucket: "bucket", keyMarker: "a", uploadIdMarker: "1")
            #expect(afterId.uploads.map(\.uploadId) == ["2", "3", "4", "5"])
            let afterKey = try store.listUploads(bucket: "bucket", keyMarker: "a")
            #expect(afterKey.uploads.map(\.uploadId) == ["3", "4", "5"])
            let afterPrefix = try store.listUploads(bucket: "bucket", delimiter: "/", keyMarker: "b/")
            #expect(afterPrefix.uploads.map(\.uploadId) == ["5"])
            #expect(afterPrefix.commonPrefixes.isEmpty)
            let prefixed = try store.listUploads(bucket: "bucket", prefix: "b/")
            #expect(prefixed.uploads.map(\.uploadId) == ["3", "4"])
            #expect(try store.listUploads(bucket: "bucket", maxUploads: 0) == UploadListing())
        }
    }
}
