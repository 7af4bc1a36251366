import CofferCrypto
import CofferStorage
import Foundation
import Testing

@testable import CofferS3

/// The sealing pipeline end to end over a real store: bytes fed to the sink in any split
/// (one at a time, whole, random) seal to packages that read back identically through the
/// range reader, and tampered packages never yield plaintext.
@Suite struct SealedPipelineTests {
    /// A fresh store with one bucket, in a directory removed by `remove`.
    static func makeStore() async throws -> (store: ObjectStore, remove: () -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-pipeline-\(UUID().uuidString)").path
        let store = try await ObjectStore(directory: dir)
        try await store.createBucket(BucketRecord(name: "bucket", owner: "root", region: "us-east-1", createdAt: Date()))
        return (store, { try? FileManager.default.removeItem(atPath: dir) })
    }

    static func write(_ store: ObjectStore, _ keys: ObjectKeys, _ data: [UInt8], splits: [Int]) async throws -> ObjectRecord {
        let (dataKey, encryption) = try keys.newObject(bucket: "bucket", key: "k")
        let versionNonce = VersionNonce.random()
        let sink = try await BlobSink(store: store, sealer: keys.sealer(dataKey: dataKey, bucket: "bucket", key: "k", versionNonce: versionNonce, partNumber: 0), checksum: .crc32c)
        var offset = 0
        for size in splits where offset < data.count {
            let end = min(offset + size, data.count)
            try await sink.append(Array(data[offset..<end]))
            offset = end
        }
        if offset < data.count { try await sink.append(Array(data[offset...])) }
        let (blob, md5, _) = try await sink.finish()
        let record = ObjectRecord(
            bucket: "bucket", key: "k", size: blob.size, etag: Hex.encode(md5), lastModified: Date(), owner: "root",
            contentHeaders: [:], userMetadata: [:], checksum: nil, parts: nil, segments: [blob], storageClass: "STANDARD", encryption: encryption,
            versionNonce: versionNonce)
        try await store.commitObject(record)
        return record
    }

    static func read(_ store: ObjectStore, _ keys: ObjectKeys, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
        let dataKey = try keys.dataKey(encryption: reader.record.encryption, bucket: "bucket", key: "k")
        let openers = try keys.openers(dataKey: dataKey, record: reader.record)
        var out: [UInt8] = []
        try await ObjectBodyStream(reader: reader, openers: openers, range: range).forEachPiece { out += $0 }
        return out
    }

    @Test(arguments: [0, 1, 65535, 65536, 65537, 200_001])
    func dripFedWritesReadBackWhole(size: Int) async throws {
        let keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        var generator = SystemRandomNumberGenerator()
        let randomSplits = (0..<400).map { _ in Int.random(in: 1...9000, using: &generator) }
        let small = size <= 65537 ? [Int](repeating: 1, count: size) : [Int](repeating: 4093, count: size / 4093 + 1)
        for splits in [[size], randomSplits, small] {
            let (store, remove) = try await Self.makeStore()
            defer { remove() }
            let record = try await Self.write(store, keys, data, splits: splits)
            #expect(record.segments[0].chunkCount == max(1, (size + 65535) / 65536))
            #expect(try await Self.read(store, keys) == data)
        }
    }

    @Test func rangesAcrossPackageBoundariesAndTamperedPackages() async throws {
        let keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
        let data = (0..<(3 * 65536 + 500)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (store, remove) = try await Self.makeStore()
        defer { remove() }
        let record = try await Self.write(store, keys, data, splits: [1000, 70000, 3])
        #expect(try await Self.read(store, keys) == data)
        for range: ClosedRange<Int64> in [0...0, 65535...65536, 65530...131080, 196608...196608 + 499, 1000...1000] {
            #expect(try await Self.read(store, keys, range: range) == Array(data[Int(range.lowerBound)...Int(range.upperBound)]))
        }
        // Flip one bit of the stored second package: reading it fails, and no byte of it is returned.
        let blob = record.segments[0]
        var package = try #require(try await store.readChunk(blob: blob.id, index: 1))
        package[10] ^= 0x01
        let key = [UInt8(ascii: "c")] + blob.id.bytes + [0, 0, 0, 1]
        try #require(store.db).put(key, package, sync: true)
        var delivered: [UInt8] = []
        let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
        let dataKey = try keys.dataKey(encryption: reader.record.encryption, bucket: "bucket", key: "k")
        let openers = try keys.openers(dataKey: dataKey, record: reader.record)
        let error = await #expect(throws: DamagedObjectError.self) {
            try await ObjectBodyStream(reader: reader, openers: openers, range: nil).forEachPiece { delivered += $0 }
        }
        // The error names the object and the package, and keeps the cause.
        #expect(error?.key == "k" && error?.package == 1 && error?.segment == 0 && error?.blob == blob.id)
        #expect(error?.cause is CryptoError)
        #expect(delivered == Array(data[0..<65536]))  // only the verified first package got out
        // A range inside the first package still reads: only the packages a range needs are opened.
        #expect(try await Self.read(store, keys, range: 10...20) == Array(data[10...20]))
    }
}

/// Tampering with what is stored in LevelDB (the list), each read through the same
/// reader the server uses: every one fails loudly and no byte of a bad package gets out.
@Suite struct StoredDataTamperTests {
    let keys: ObjectKeys
    let data = (0..<(3 * 65536 + 777)).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }

    init() throws {
        keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
    }

    func chunkKey(_ blob: BlobRef, _ index: Int) -> [UInt8] {
        [UInt8(ascii: "c")] + blob.id.bytes + withUnsafeBytes(of: UInt32(index).bigEndian) { Array($0) }
    }

    /// Reads key `key`, returning what was delivered before the failure (nil if it did not fail).
    func readFails(_ store: ObjectStore, key: String = "k") async throws -> [UInt8]? {
        guard let reader = try await store.openObject(bucket: "bucket", key: key) else { return nil }
        var delivered: [UInt8] = []
        do {
            let dataKey = try keys.dataKey(encryption: reader.record.encryption, bucket: "bucket", key: key)
            let openers = try keys.openers(dataKey: dataKey, record: reader.record)
            try await ObjectBodyStream(reader: reader, openers: openers, range: nil).forEachPiece { delivered += $0 }
        } catch {
            return delivered
        }
        return nil
    }

    @Test func swappedDroppedSplicedAndMovedDataFailsLoudly() async throws {
        // Two packages swapped.
        do {
            let (store, remove) = try await SealedPipelineTests.makeStore()
            defer { remove() }
            let blob = try await SealedPipelineTests.write(store, keys, data, splits: [data.count]).segments[0]
            let p0 = try #require(try await store.readChunk(blob: blob.id, index: 0)), p1 = try #require(try await store.readChunk(blob: blob.id, index: 1))
            try #require(store.db).put(chunkKey(blob, 0), p1, sync: true)
            try #require(store.db).put(chunkKey(blob, 1), p0, sync: true)
            #expect(try await readFails(store) == [])
        }
        // The final package dropped (and the record shortened to the remaining packages).
        do {
            let (store, remove) = try await SealedPipelineTests.makeStore()
            defer { remove() }
            var record = try await SealedPipelineTests.write(store, keys, data, splits: [data.count])
            try #require(store.db).delete(chunkKey(record.segments[0], 3), sync: true)
            #expect(try await readFails(store) == Array(data[0..<(3 * 65536)]))  // the full packages before the gap, then a failure
            record.segments[0].chunkCount = 3
            record.segments[0].size = 3 * 65536
            record.size = 3 * 65536
            try #require(store.db).put([UInt8(ascii: "o")] + Array("bucket".utf8) + [0] + Array("k".utf8), try record.encoded(), sync: true)
            #expect(try await readFails(store) == Array(data[0..<(2 * 65536)]))  // package 2 was not sealed as final
        }
        // A package spliced in from another object.
        do {
            let (store, remove) = try await SealedPipelineTests.makeStore()
            defer { remove() }
            let blob = try await SealedPipelineTests.write(store, keys, data, splits: [data.count]).segments[0]
            let (otherKey, _) = try keys.newObject(bucket: "bucket", key: "other")
            let sink = try await BlobSink(store: store, sealer: keys.sealer(dataKey: otherKey, bucket: "bucket", key: "other", versionNonce: .random(), partNumber: 0), checksum: nil)
            try await sink.append(data)
            let (otherBlob, _, _) = try await sink.finish()
            try #require(store.db).put(chunkKey(blob, 1), try #require(try await store.readChunk(blob: otherBlob.id, index: 1)), sync: true)
            #expect(try await readFails(store) == Array(data[0..<65536]))
        }
        // The object's identity changed: its record moved to another key.
        do {
            let (store, remove) = try await SealedPipelineTests.makeStore()
            defer { remove() }
            var record = try await SealedPipelineTests.write(store, keys, data, splits: [data.count])
            record.key = "moved"
            try #require(store.db).put([UInt8(ascii: "o")] + Array("bucket".utf8) + [0] + Array("moved".utf8), try record.encoded(), sync: true)
            #expect(try await readFails(store, key: "moved") == [])
        }
    }
}
