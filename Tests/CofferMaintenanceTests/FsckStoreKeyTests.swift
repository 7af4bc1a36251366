import CofferMaintenance
import CofferStorage
import Foundation
import Testing

/// What the checker walks with: store keys parsed back from their bytes, and the blob
/// inventory of a LevelDB snapshot paged in id order.
@Suite struct FsckStoreKeyTests {
    static let blob = BlobID(bytes: Array(0..<16))!

    @Test(arguments: [
        StoreKey.bucket("b"), .object(bucket: "b", key: "a/\u{0}/é"), .upload(bucket: "b", key: "k\u{0}x", uploadId: "u-1"),
        .uploadIndex(uploadId: "u-1"), .part(uploadId: "u-1", number: 10_000), .chunk(blob, index: 7), .blobMarker(blob),
        .meta("format"), .kmsKey("0f4e5c1a-3b2d-4c6e-8f90-1a2b3c4d5e6f"), .kmsAlias("alias/app"), .note("event-1"),
    ])
    func everyKeyParsesBackToItself(_ key: StoreKey) throws {
        #expect(try StoreKey(parsing: key.bytes) == key)
        #expect(key.bytes.first == key.kind.prefix)
    }

    @Test(arguments: [
        [UInt8](), [0x7A, 0x41], [UInt8(ascii: "b")], [UInt8(ascii: "b"), 0xFF, 0xFE], [UInt8(ascii: "o")] + Array("nobucketseparator".utf8),
        [UInt8(ascii: "o"), 0, 0x41], [UInt8(ascii: "c"), 1, 2, 3], [UInt8(ascii: "g")] + [UInt8](repeating: 1, count: 15),
        [UInt8(ascii: "p")] + Array("u-1".utf8) + [1, 0, 0, 0, 1], [UInt8(ascii: "u"), 0x62, 0, 0x6B],
    ])
    func malformedKeysAreErrorsNotCrashes(_ bytes: [UInt8]) {
        #expect(throws: StorageError.self) { try StoreKey(parsing: bytes) }
    }

    @Test func theInventoryPagesThroughEveryBlobOnceAndListsStrayKeys() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-inventory-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = try LevelDB(path: directory)
        let ids = (0..<25).map { BlobID(bytes: [UInt8](repeating: UInt8($0 * 7), count: 16))! }
        for (index, id) in ids.enumerated() {
            for chunk in 0...(index % 3) { try db.put(StoreKey.chunk(id, index: chunk).bytes, [1], sync: false) }
        }
        try db.put([UInt8(ascii: "c"), 9], [1], sync: false)
        try db.put(StoreKey.chunk(ids[3], index: Int(UInt32.max)).bytes + [0], [1], sync: false)
        let inventory = db.snapshot().blobInventory
        var listed: [BlobID] = [], stray = 0
        var cursor: BlobInventoryCursor?
        repeat {
            let page = try await inventory.blobs(from: cursor, limit: 4)
            listed += page.blobs
            stray += page.strayNames.count
            cursor = page.next
        } while cursor != nil
        #expect(listed == ids.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        #expect(stray == 2)
        #expect(try await inventory.packageIndexes(of: ids[2], from: 1, limit: 10) == [1, 2])
        #expect(try await inventory.packageIndexes(of: ids[0], from: 1, limit: 10) == [])
    }
}
