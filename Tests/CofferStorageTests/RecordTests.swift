@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

@Suite struct RecordTests {
    let blob = BlobRef(id: BlobID(hex: "00112233445566778899aabbccddeeff")!, chunkCount: 3, size: 150_000)

    @Test func objectRecordRoundTrips() throws {
        let record = ObjectRecord(
            bucket: "b", key: "dir/é ☃", size: 150_000, etag: "abc-2", lastModified: Date(timeIntervalSince1970: 1_700_000_000.1234567),
            owner: "alice", contentHeaders: ["content-type": "text/plain"], userMetadata: ["colour": "blue"],
            checksum: StoredChecksum(algorithm: "CRC32", value: "AAAAAA==", type: "COMPOSITE"),
            parts: [PartSummary(number: 1, size: 150_000, etag: "x", checksum: "AAAAAA==")],
            segments: [blob], storageClass: "STANDARD",
            encryption: .sseC(.init(salt: [1, 2], keyCheck: [3], sealedKey: Array(0..<60))))
        let bytes = try record.encoded()
        #expect(bytes.first == 2)
        #expect(try ObjectRecord(encoded: bytes) == record)
        let json = String(decoding: bytes.dropFirst(), as: UTF8.self)
        #expect(json.contains("\"lastModified\":1700000000123"))
        #expect(json.contains("\"id\":\"00112233445566778899aabbccddeeff\""))
    }

    /// Tags are an optional field (record version unchanged): a record without them is the
    /// bytes it was before tags existed, and such a record decodes with no tags.
    @Test func tagsAreAnOptionalField() throws {
        let untagged = ObjectRecord(bucket: "b", key: "k", size: 1, etag: "e", lastModified: fixedDate, owner: "o", segments: [blob])
        let bytes = try untagged.encoded()
        #expect(bytes.first == 2)
        #expect(!String(decoding: bytes.dropFirst(), as: UTF8.self).contains("tags"))
        #expect(try ObjectRecord(encoded: bytes).tags == nil)
        // A version-2 record written before tags existed (no "tags" key) decodes with none.
        let before = #"{"bucket":"b","contentHeaders":{},"etag":"e","key":"k","lastModified":1700000000123,"owner":"o","segments":[],"size":0,"storageClass":"STANDARD","userMetadata":{}}"#
        #expect(try ObjectRecord(encoded: [2] + Array(before.utf8)).tags == nil)
        let uploadBefore = #"{"bucket":"b","contentHeaders":{},"initiated":1700000000123,"key":"k","owner":"o","storageClass":"STANDARD","uploadId":"u","userMetadata":{}}"#
        #expect(try UploadRecord(encoded: [2] + Array(uploadBefore.utf8)).tags == nil)
        let bucketBefore = #"{"createdAt":1700000000123,"name":"b","owner":"o","region":"us-east-1"}"#
        #expect(try BucketRecord(encoded: [2] + Array(bucketBefore.utf8)).tags == nil)

        let tags = [StoredTag(key: "b", value: "2"), StoredTag(key: "a", value: "")]
        var tagged = untagged
        tagged.tags = tags
        let json = String(decoding: try tagged.encoded().dropFirst(), as: UTF8.self)
        // In the order sent, between storageClass and userMetadata (sorted keys).
        #expect(json.contains(#""storageClass":"STANDARD","tags":[{"key":"b","value":"2"},{"key":"a","value":""}],"userMetadata":{}"#))
        #expect(try ObjectRecord(encoded: tagged.encoded()) == tagged)
        // An empty set is stored as none.
        #expect(ObjectRecord(bucket: "b", key: "k", size: 1, etag: "e", lastModified: fixedDate, owner: "o", segments: [blob], tags: []).tags == nil)

        let upload = UploadRecord(bucket: "b", key: "k", uploadId: "u", initiated: fixedDate, owner: "o", tags: tags)
        #expect(try UploadRecord(encoded: upload.encoded()) == upload)
        let bucket = BucketRecord(name: "b", owner: "o", region: "r", createdAt: fixedDate, tags: tags)
        #expect(try BucketRecord(encoded: bucket.encoded()) == bucket)
    }

    @Test func otherRecordsRoundTrip() throws {
        let bucket = BucketRecord(name: "b", owner: "o", region: "r", createdAt: fixedDate, policy: "{}",
                                  encryption: BucketEncryption(algorithm: .awsKMS, kmsMasterKeyId: "alias/k", bucketKeyEnabled: true))
        #expect(try BucketRecord(encoded: bucket.encoded()) == bucket)
        let upload = UploadRecord(bucket: "b", key: "k", uploadId: "u1", initiated: fixedDate, owner: "o",
                                  checksumAlgorithm: "SHA256", checksumType: "COMPOSITE",
                                  encryption: .sseKMS(.init(kmsKeyArn: "arn:k", context: ["aws:s3:arn": "arn:aws:s3:::b"], sealedKey: [1], bucketKeyBlob: [2])))
        #expect(try UploadRecord(encoded: upload.encoded()) == upload)
        let part = PartRecord(uploadId: "u1", number: 7, size: 5, etag: "e", lastModified: fixedDate, blob: blob)
        #expect(try PartRecord(encoded: part.encoded()) == part)
    }

    @Test func unknownVersionIsRejected() async throws {
        var bytes = try BucketRecord(name: "b", owner: "o", region: "r", createdAt: fixedDate).encoded()
        bytes[0] = 3
        #expect(await errorCode { _ = try BucketRecord(encoded: bytes) } == .unsupportedRecordVersion)
        #expect(await errorCode { _ = try BucketRecord(encoded: [UInt8]()) } == .invalidRecord)
        #expect(await errorCode { _ = try BucketRecord(encoded: [1, 0x7B]) } == .invalidRecord)
    }

    @Test func blobIDsSortByTheirTime() {
        var generator = SystemRandomNumberGenerator()
        let t: UInt64 = 1_796_000_000_123
        let id = BlobID.timeOrdered(milliseconds: t, using: &generator)
        #expect(Array(id.bytes.prefix(6)) == [0x01, 0xA2, 0x29, 0xF1, 0x28, 0x7B])
        var previous = id
        for step in 1...1000 {
            let next = BlobID.timeOrdered(milliseconds: t + UInt64(step), using: &generator)
            #expect(previous.bytes.lexicographicallyPrecedes(next.bytes))
            previous = next
        }
        let sameMillisecond = Set((0..<1000).map { _ in BlobID.timeOrdered(milliseconds: t, using: &generator) })
        #expect(sameMillisecond.count == 1000)
    }

    @Test func blobIDHex() {
        var generator = SystemRandomNumberGenerator()
        let id = BlobID.timeOrdered(milliseconds: 1_796_000_000_000, using: &generator)
        #expect(id.bytes.count == 16)
        #expect(BlobID(hex: id.hex) == id)
        #expect(BlobID(hex: "zz") == nil)
        #expect(BlobID(hex: String(repeating: "g", count: 32)) == nil)
    }

    @Test func keyLayoutIsFrozen() {
        let id = BlobID(hex: "000102030405060708090a0b0c0d0e0f")!
        #expect(KeyLayout.bucket("ab") == [0x62, 0x61, 0x62])
        #expect(KeyLayout.object(bucket: "a", key: "k") == [0x6F, 0x61, 0x00, 0x6B])
        #expect(KeyLayout.upload(bucket: "a", key: "k", uploadId: "u") == [0x75, 0x61, 0x00, 0x6B, 0x00, 0x75])
        #expect(KeyLayout.uploadIndex("u") == [0x55, 0x75])
        #expect(KeyLayout.part(uploadId: "u", number: 258) == [0x70, 0x75, 0x00, 0, 0, 1, 2])
        #expect(KeyLayout.chunk(blob: id, index: 1) == [0x63] + Array(0...15) + [0, 0, 0, 1])
        #expect(KeyLayout.blobMarker(id) == [0x67] + Array(0...15))
        #expect(KeyLayout.formatKey == Array("mformat".utf8))
        #expect(KeyLayout.successor(ofPrefix: [0x61, 0xFF]) == [0x62])
    }
}
