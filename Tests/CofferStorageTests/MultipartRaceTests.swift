import CofferStorage
import CofferStorageConformance
import Testing

@Suite struct MultipartRaceTests {
    func upload(_ id: String) -> UploadRecord {
        UploadRecord(bucket: "bucket", key: "big", uploadId: id, initiated: fixedDate, owner: "alice")
    }

    func part(_ id: String, _ number: Int, _ blob: BlobRef) -> PartRecord {
        PartRecord(uploadId: id, number: number, size: blob.size, etag: "e\(number)", lastModified: fixedDate, blob: blob)
    }

    /// A part committed while its upload is aborted is either seen by the abort (and
    /// reclaimed with the others) or refused: no part record or blob outlives the upload.
    @Test(arguments: Backend.allCases) func abortVersusLatePart(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            for round in 0..<20 {
                let id = "u\(round)"
                try await store.createUpload(upload(id))
                try await store.commitPart(part(id, 1, try await writeBlob(store, chunks(2, of: 1))))
                let late = try await writeBlob(store, chunks(3, of: 2))
                async let aborted = errorCode { try await store.abortUpload(id: id) }
                async let committed = errorCode { try await store.commitPart(part(id, 2, late)) }
                let (abort, commit) = await (aborted, committed)
                #expect(abort == nil)
                if commit != nil {
                    #expect(commit == .noSuchUpload)
                    try await store.discard([late.id])
                }
                let leftovers = try await store.metadata.scan(ScanRequest(prefix: [UInt8(ascii: "p")] + bytes(id) + [0]))
                #expect(leftovers.entries.isEmpty)
                #expect(try await store.chunkCount() == 0)
                #expect(try await store.pendingBlobCount() == 0)
            }
        }
    }

    /// A part replaced while the upload completes: either the completion used the old part
    /// (and the replacement is refused), or it sees the replacement and refuses the stale
    /// object (`.invalidPart`). The object never references a reclaimed blob.
    @Test(arguments: Backend.allCases) func completeVersusPartReplacement(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            for round in 0..<20 {
                let id = "u\(round)"
                try await store.createUpload(upload(id))
                let p1 = try await writeBlob(store, chunks(2, of: 1)), p2 = try await writeBlob(store, chunks(1, of: 2))
                try await store.commitPart(part(id, 1, p1))
                try await store.commitPart(part(id, 2, p2))
                let replacement = try await writeBlob(store, chunks(1, of: 3))
                let object = objectRecord(key: "big", segments: [p1, p2])
                async let completed = errorCode { try await store.completeUpload(uploadId: id, object: object, usedParts: [1, 2]) }
                async let replaced = errorCode { try await store.commitPart(part(id, 2, replacement)) }
                let (complete, replace) = await (completed, replaced)
                #expect((complete == nil) != (replace == nil), "round \(round): \(String(describing: complete)) \(String(describing: replace))")
                if complete == nil {
                    #expect(replace == .noSuchUpload)
                    try await store.discard([replacement.id])
                    let reader = try #require(try await store.openObject(bucket: "bucket", key: "big"))
                    #expect(try await readBody(reader) == chunks(2, of: 1) + chunks(1, of: 2))
                    #expect(try await store.chunkCount() == 3)
                    try await store.deleteObject(bucket: "bucket", key: "big")
                } else {
                    #expect(complete == .invalidPart)
                    try await store.abortUpload(id: id)
                }
                #expect(try await store.chunkCount() == 0)
                #expect(try await store.pendingBlobCount() == 0)
                #expect(try await store.garbageBlobCount() == 0)
            }
        }
    }
}
