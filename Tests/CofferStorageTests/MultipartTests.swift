import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

@Suite struct MultipartTests {
    func upload(_ id: String, key: String = "big", bucket: String = "bucket") -> UploadRecord {
        UploadRecord(bucket: bucket, key: key, uploadId: id, initiated: fixedDate, owner: "alice")
    }

    @discardableResult
    func commitPart(_ store: ObjectStore, _ uploadId: String, _ number: Int, chunkCount: Int, byte: UInt8) async throws -> PartRecord {
        let blob = try await writeBlob(store, chunks(chunkCount, of: byte))
        let part = PartRecord(uploadId: uploadId, number: number, size: blob.size, etag: "p\(number)-\(byte)",
                              lastModified: fixedDate, blob: blob)
        try await store.commitPart(part)
        return part
    }

    @Test(arguments: Backend.allCases) func replaceCompleteAndReclaim(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await putObject(store, key: "big", chunks: chunks(4, of: 0)) // replaced by the completion
            try await store.createUpload(upload("u1"))
            #expect(try await store.upload(id: "u1") == upload("u1"))
            let p1 = try await commitPart(store, "u1", 1, chunkCount: 2, byte: 1)
            let first2 = try await commitPart(store, "u1", 2, chunkCount: 3, byte: 2)
            try await commitPart(store, "u1", 3, chunkCount: 5, byte: 3)
            #expect(try await store.chunkCount() == 4 + 2 + 3 + 5)
            let p2 = try await commitPart(store, "u1", 2, chunkCount: 1, byte: 4)
            #expect(try await store.chunkCount() == 4 + 2 + 1 + 5)
            #expect(try await store.parts(uploadId: "u1").map(\.number) == [1, 2, 3])

            // A completion naming the replaced part's blob is refused.
            let stale = objectRecord(key: "big", segments: [p1.blob, first2.blob])
            #expect(await errorCode { try await store.completeUpload(uploadId: "u1", object: stale, usedParts: [1, 2]) } == .invalidPart)
            #expect(await errorCode { try await store.completeUpload(uploadId: "u1", object: stale, usedParts: [1, 9]) } == .invalidPart)

            let object = objectRecord(key: "big", segments: [p1.blob, p2.blob])
            let replaced = try await store.completeUpload(uploadId: "u1", object: object, usedParts: [1, 2]).replaced
            #expect(replaced?.segments.first?.chunkCount == 4)
            #expect(try await store.chunkCount() == 2 + 1)
            #expect(try await store.upload(id: "u1") == nil)
            #expect(await errorCode { _ = try await store.parts(uploadId: "u1") } == .noSuchUpload)
            #expect(try await store.listUploads(bucket: "bucket").uploads.isEmpty)
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "big"))
            #expect(try await readBody(reader) == chunks(2, of: 1) + chunks(1, of: 4))
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func abortReclaimsAndLatePartsDoNotLeak(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await store.createUpload(upload("u1"))
            try await commitPart(store, "u1", 1, chunkCount: 3, byte: 1)
            try await commitPart(store, "u1", 2, chunkCount: 3, byte: 2)
            let late = try await writeBlob(store, chunks(2, of: 3))
            try await store.abortUpload(id: "u1")
            #expect(try await store.chunkCount() == 2)
            let part = PartRecord(uploadId: "u1", number: 3, size: late.size, etag: "e", lastModified: fixedDate, blob: late)
            #expect(await errorCode { try await store.commitPart(part) } == .noSuchUpload)
            try await store.discard([late.id])
            #expect(try await store.chunkCount() == 0)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(await errorCode { try await store.abortUpload(id: "u1") } == .noSuchUpload)
            try await store.deleteBucket(named: "bucket")
        }
    }

    @Test(arguments: Backend.allCases) func createUploadNeedsBucketAndUniqueId(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            #expect(await errorCode { try await store.createUpload(upload("u1")) } == .noSuchBucket)
            try await makeBucket(store)
            try await store.createUpload(upload("u1"))
            #expect(await errorCode { try await store.createUpload(upload("u1", key: "other")) } == .invalidArgument)
            #expect(await errorCode { try await store.createUpload(upload("bad id")) } == .invalidArgument)
            #expect(try await store.upload(id: "missing") == nil)
        }
    }

    @Test(arguments: Backend.allCases) func listPartsPages(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await store.createUpload(upload("u1"))
            for n in [5, 1, 300, 2] { try await commitPart(store, "u1", n, chunkCount: 1, byte: UInt8(n % 256)) }
            let first = try await store.listParts(uploadId: "u1", partNumberMarker: nil, maxParts: 2)
            #expect(first.parts.map(\.number) == [1, 2])
            #expect(first.isTruncated)
            #expect(first.nextPartNumberMarker == 2)
            let second = try await store.listParts(uploadId: "u1", partNumberMarker: 2, maxParts: 2)
            #expect(second.parts.map(\.number) == [5, 300])
            #expect(!second.isTruncated)
            #expect(try await store.listParts(uploadId: "u1", partNumberMarker: 10_000, maxParts: 2).parts.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func listUploadsSemantics(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let entries = [("a", "2"), ("a", "1"), ("b/x", "3"), ("b/y", "4"), ("c", "5")]
            for (key, id) in entries { try await store.createUpload(upload(id, key: key)) }

            let all = try await store.listUploads(bucket: "bucket")
            #expect(all.uploads.map { "\($0.key):\($0.uploadId)" } == ["a:1", "a:2", "b/x:3", "b/y:4", "c:5"])

            let grouped = try await store.listUploads(bucket: "bucket", delimiter: "/")
            #expect(grouped.uploads.map(\.uploadId) == ["1", "2", "5"])
            #expect(grouped.commonPrefixes == ["b/"])

            let page = try await store.listUploads(bucket: "bucket", delimiter: "/", maxUploads: 2)
            #expect(page.uploads.map(\.uploadId) == ["1", "2"])
            #expect(page.isTruncated)
            #expect(page.nextKeyMarker == "a")
            #expect(page.nextUploadIdMarker == "2")

            let afterId = try await store.listUploads(bucket: "bucket", keyMarker: "a", uploadIdMarker: "1")
            #expect(afterId.uploads.map(\.uploadId) == ["2", "3", "4", "5"])
            let afterKey = try await store.listUploads(bucket: "bucket", keyMarker: "a")
            #expect(afterKey.uploads.map(\.uploadId) == ["3", "4", "5"])
            let afterPrefix = try await store.listUploads(bucket: "bucket", delimiter: "/", keyMarker: "b/")
            #expect(afterPrefix.uploads.map(\.uploadId) == ["5"])
            #expect(afterPrefix.commonPrefixes.isEmpty)
            let prefixed = try await store.listUploads(bucket: "bucket", prefix: "b/")
            #expect(prefixed.uploads.map(\.uploadId) == ["3", "4"])
            #expect(try await store.listUploads(bucket: "bucket", maxUploads: 0) == UploadListing())
        }
    }
}
