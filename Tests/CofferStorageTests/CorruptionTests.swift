import Foundation
import Testing

@testable import CofferStorage

/// A damaged table file is an error on the reads that touch it, never an abort: Debian's
/// libleveldb keeps its assertions, and a corrupt block that reaches the key decoder aborts
/// the process unless checksums are verified first.
@Suite struct CorruptionTests {
    /// Writes 200 values of 16 KiB, compacts them into tables, closes the database and zeroes
    /// 4 KiB in the middle of every table file.
    static func damagedDatabase() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        do {
            let db = try LevelDB(path: directory.path)
            for i in 0..<200 {
                try db.put(Array(String(format: "key-%05d", i).utf8), [UInt8](repeating: UInt8(i & 0xff), count: 16 << 10), sync: false)
            }
            db.compactAll()
        }
        let tables = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".ldb") }
        #expect(!tables.isEmpty)
        for table in tables {
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: directory.path + "/" + table))
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: size / 2)
            try handle.write(contentsOf: Data(count: 4096))
            try handle.close()
        }
        return directory
    }

    @Test func damagedBlocksAreCorruptionErrors() throws {
        let directory = try Self.damagedDatabase()
        defer { directory.remove() }
        var options = LevelDB.Options()
        options.paranoidChecks = false  // open it anyway: the reads are what is tested
        let db = try LevelDB(path: directory.path, options: options)
        var good = 0, corrupt = 0
        for i in 0..<200 {
            do {
                let value = try db.get(Array(String(format: "key-%05d", i).utf8))
                #expect(value == nil || value == [UInt8](repeating: UInt8(i & 0xff), count: 16 << 10), "wrong bytes for \(i)")
                good += 1
            } catch {
                #expect(error.code == .corruption)
                corrupt += 1
            }
        }
        #expect(corrupt > 0)
        #expect(good > 0)
        // A scan stops with an error at the damage, without aborting.
        let iterator = db.makeIterator()
        iterator.seek([])
        while iterator.isValid { iterator.next() }
        #expect(throws: StorageError.self) { try iterator.checkError() }
    }
}
