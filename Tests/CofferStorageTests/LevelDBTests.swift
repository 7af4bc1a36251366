import CofferStorage
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

    @Test func foreignFormatIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let store = try ObjectStore(directory: directory.path)
            try store.db.put(Array("mformat".utf8), [0, 0, 0, 9], sync: true)
        }
        #expect(throwsCode(.unsupportedFormat) { _ = try ObjectStore(directory: directory.path) })
    }
}
