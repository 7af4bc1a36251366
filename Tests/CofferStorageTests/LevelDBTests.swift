import CofferStorage
import CofferStorageConformance
import Testing

@Suite struct LevelDBTests {
    @Test func getPutDeleteBatchIterateSnapshot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let db = try LevelDB(path: directory.path + "/db")
        try db.put([1], [10], sync: false)
        try db.put([2], [20], sync: true)
        #expect(try db.get([1]) == [10])
        #expect(try db.get([9]) == nil)
        let snapshot = db.snapshot()
        let batch = WriteBatch()
        batch.delete([1])
        batch.put([3], [30])
        batch.put([4], [UInt8]())
        try db.write(batch, sync: true)
        #expect(try db.get([1]) == nil)
        #expect(try db.get([1], snapshot: snapshot) == [10])
        #expect(try db.get([4]) == [])

        let iterator = db.makeIterator()
        iterator.seek([2])
        var seen: [[UInt8]] = []
        while iterator.isValid {
            seen.append(iterator.key + iterator.value)
            iterator.next()
        }
        try iterator.checkError()
        #expect(seen == [[2, 20], [3, 30], [4]])

        let old = db.makeIterator(snapshot: snapshot)
        old.seekToFirst()
        #expect(old.isValid(withKey: [1]))
        try db.delete([2], sync: false)
        #expect(try db.get([2]) == nil)
        #expect(db.property("leveldb.stats") != nil)
    }

    @Test func openFailureIsTyped() throws {
        var options = LevelDB.Options()
        options.createIfMissing = false
        let error = #expect(throws: StorageError.self) { _ = try LevelDB(path: "/nonexistent/coffer/db", options: options) }
        // LevelDB reports the missing directory (ENOENT) as NotFound.
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("/nonexistent/coffer/db") == true)
    }

    @Test func foreignFormatIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let store = try await ObjectStore(directory: directory.path)
            try #require(store.db).put(Array("mformat".utf8), [0, 0, 0, 9], sync: true)
        }
        #expect(await errorCode { _ = try await ObjectStore(directory: directory.path) } == .unsupportedFormat)
    }

    @Test func releasingMappedPagesKeepsReadsCorrect() async throws {
        try await withStore(.levelDB) { store, _ in
            try await makeBucket(store)
            try await putObject(store, key: "big", chunks: (0..<300).map { i in [UInt8](repeating: UInt8(i % 251), count: 1024) })
            let db = try #require(store.db)
            db.compactAll()
            let reader = try #require(try await store.openObject(bucket: "bucket", key: "big"))
            let cursor = try reader.chunks(segment: 0)
            var index = 0
            while let chunk = try await cursor.next() {
                #expect(chunk == [UInt8](repeating: UInt8(index % 251), count: 1024))
                db.releaseMappedTablePages()
                index += 1
            }
            #expect(index == 300)
        }
    }

    /// What the new code writes is the frozen layout, byte for byte: after an overwrite, a
    /// multipart upload in progress and a blob left pending, the database holds exactly these
    /// keys and values (docs/storage-layout.md).
    @Test func writesTheFrozenLayout() async throws {
        try await withStore(.levelDB) { store, _ in
            try await makeBucket(store, "b")
            let old = try await putObject(store, bucket: "b", key: "k", chunks: [[1], [2]])
            let record = try await putObject(store, bucket: "b", key: "k", chunks: [[3], [4], [5]])
            let upload = UploadRecord(bucket: "b", key: "m", uploadId: "u", initiated: fixedDate, owner: "o")
            try await store.createUpload(upload)
            let blob = try await writeBlob(store, [[6]])
            let part = PartRecord(uploadId: "u", number: 2, size: 1, etag: "p", lastModified: fixedDate, blob: blob)
            try await store.commitPart(part)
            let pending = try await writeBlob(store, [[7]])

            let db = try #require(store.db)
            let iterator = db.makeIterator()
            iterator.seekToFirst()
            var stored: [[UInt8]: [UInt8]] = [:]
            while iterator.isValid {
                stored[iterator.key] = iterator.value
                iterator.next()
            }
            let id = record.segments[0].id.bytes
            let expected: [[UInt8]: [UInt8]] = [
                bytes("mformat"): [0, 0, 0, 1],
                bytes("bb"): try BucketRecord(name: "b", owner: "alice", region: "us-east-1", createdAt: fixedDate).encoded(),
                bytes("ob") + [0] + bytes("k"): try record.encoded(),
                bytes("ub") + [0] + bytes("m") + [0] + bytes("u"): try upload.encoded(),
                bytes("Uu"): [1] + bytes(#"{"bucket":"b","key":"m"}"#),
                bytes("pu") + [0, 0, 0, 0, 2]: try part.encoded(),
                bytes("c") + id + [0, 0, 0, 0]: [3],
                bytes("c") + id + [0, 0, 0, 1]: [4],
                bytes("c") + id + [0, 0, 0, 2]: [5],
                bytes("c") + blob.id.bytes + [0, 0, 0, 0]: [6],
                bytes("c") + pending.id.bytes + [0, 0, 0, 0]: [7],
                bytes("g") + pending.id.bytes: [1],
            ]
            #expect(stored == expected)
            #expect(stored[bytes("c") + old.segments[0].id.bytes + [0, 0, 0, 0]] == nil)
        }
    }
}
