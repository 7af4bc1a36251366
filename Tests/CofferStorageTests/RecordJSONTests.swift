@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

/// The hand-written JSON of `ObjectRecord` (`ObjectRecord+JSON.swift`) against the `Codable`
/// form it replaces: the same bytes, and each reads what the other writes.
@Suite struct RecordJSONTests {
    /// Strings that exercise escaping: quotes, backslashes, slashes, every control character,
    /// non-ASCII and astral characters.
    static let awkward: [String] = [
        "", "plain", "a/b/c", "quote\"d", "back\\slash", "tab\tnew\nline\r", "\u{00}\u{01}\u{08}\u{0C}\u{1F}\u{7F}",
        "é ü ß", "日本語", "emoji 🔐🗝️", "</script>", "{\"json\":[1,2]}", String(repeating: "x", count: 300),
    ]

    static func record(_ seed: Int) -> ObjectRecord {
        var rng = RecordSeededGenerator(seed: UInt64(seed))
        func pick() -> String { awkward[Int(rng.next() % UInt64(awkward.count))] }
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        func blob() -> BlobRef {
            BlobRef(id: BlobID(bytes: bytes(16))!, chunkCount: Int(rng.next() % 5000), size: Int64(rng.next() % (1 << 40)),
                    header: rng.next() % 2 == 0 ? nil : pick())
        }
        let encryption: ObjectEncryption? = switch rng.next() % 5 {
        case 0: nil
        case 1: .sseS3(.init(rootKeyVersion: Int(rng.next() % 9), sealedKey: bytes(60)))
        case 2: .sseC(.init(salt: bytes(32), keyCheck: bytes(32), sealedKey: bytes(60)))
        case 3: .sseKMS(.init(kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/\(pick())", context: ["aws:s3:arn": pick(), pick(): pick()], sealedKey: bytes(200)))
        default: .sseKMS(.init(kmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k", context: [:], sealedKey: bytes(61), bucketKeyBlob: bytes(180)))
        }
        let parts: [PartSummary]? = rng.next() % 2 == 0 ? nil : (1...Int(1 + rng.next() % 4)).map {
            PartSummary(number: $0, size: Int64(rng.next() % 100_000_000), etag: Hexish.of(bytes(16)), checksum: rng.next() % 2 == 0 ? nil : pick())
        }
        var record = ObjectRecord(
            bucket: "bucket-\(seed)", key: pick() + "/" + pick(), size: Int64(rng.next() % (1 << 50)), etag: Hexish.of(bytes(16)),
            lastModified: Date(timeIntervalSince1970: Double(rng.next() % 4_000_000_000_000) / 1000), owner: pick(),
            contentHeaders: ["content-type": pick(), "Content-Language": pick(), "cache-control": pick()],
            userMetadata: Dictionary((0..<Int(rng.next() % 6)).map { ("m\($0)-\(pick())", pick()) }, uniquingKeysWith: { a, _ in a }),
            checksum: rng.next() % 2 == 0 ? nil : StoredChecksum(algorithm: "CRC32C", value: pick(), type: "FULL_OBJECT"),
            parts: parts, segments: (0..<Int(rng.next() % 4)).map { _ in blob() },
            storageClass: rng.next() % 2 == 0 ? "STANDARD" : pick(), encryption: encryption,
            tags: rng.next() % 3 == 0 ? nil : (0..<Int(1 + rng.next() % 4)).map { _ in StoredTag(key: pick(), value: pick()) })
        // The versioning fields: absent, a null version with a stamp, or an id (and a marker).
        let stamp = VersionStamp(rawValue: rng.next() >> 1)!
        switch rng.next() % 3 {
        case 0: break
        case 1: record.versionStamp = stamp
        default:
            record.versionStamp = stamp
            record.versionId = VersionID.make(stamp: stamp, using: &rng)
        }
        if rng.next() % 4 == 0 { record.deleteMarker = rng.next() % 2 == 0 }
        // The Object Lock fields: absent, or a retention and a legal hold of either kind.
        if rng.next() % 3 == 0 {
            let mode: RetentionMode = rng.next() % 2 == 0 ? .governance : .compliance
            record.retention = ObjectRetention(mode: mode, retainUntil: Date(milliseconds: Int64(rng.next() % 4_000_000_000_000)))
        }
        if rng.next() % 3 == 0 { record.legalHold = rng.next() % 2 == 0 ? .on : .off }
        if rng.next() % 2 == 0 { record.versionNonce = VersionNonce.random(using: &rng) }
        return record
    }

    @Test func writesExactlyWhatJSONEncoderWrites() throws {
        for seed in 0..<400 {
            let record = Self.record(seed)
            let fast = try record.encodedJSON()
            let codable = try record.codableJSON()
            #expect(fast == codable, "seed \(seed): \(String(decoding: fast, as: UTF8.self)) vs \(String(decoding: codable, as: UTF8.self))")
        }
    }

    @Test func readsBackWhatEitherWrites() throws {
        for seed in 0..<400 {
            let record = Self.record(seed)
            let stored = try record.encoded()
            #expect(try ObjectRecord(encoded: stored) == record)
            // Foundation's decoder reads the hand-written form...
            let viaCodable = try ObjectRecord.decodeJSON(ObjectRecord.self, Data(stored.dropFirst()), decoder: ObjectRecord.recordDecoder())
            #expect(viaCodable == record)
            // ...and the hand-written reader reads Foundation's, pretty-printed and in another key order.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(Date.milliseconds(of: date))
            }
            let pretty = [UInt8](try encoder.encode(record))
            #expect(try ObjectRecord.decodedJSON(pretty, offset: 0) == record)
        }
    }

    @Test func readsEscapesAndSkipsUnknownKeys() throws {
        let json = #"""
             {"unknown":{"nested":[1,-2.5e3,true,false,null,"x",{}]},"bucket":"b","key":"\u00e9\ud83d\udd10\/\n","size":0,
              "etag":"e","lastModified":-5,"owner":"o","contentHeaders":{},"userMetadata":{"a":"\"\\"},"segments":[],
              "storageClass":"STANDARD","checksum":null,"parts":null,"encryption":null}
            """#
        let record = try ObjectRecord.decodedJSON(Array(json.utf8), offset: 0)
        #expect(record.key == "é🔐/\n")
        #expect(record.userMetadata == ["a": "\"\\"])
        #expect(record.lastModified == Date(milliseconds: -5))
        #expect(record.checksum == nil && record.parts == nil && record.encryption == nil)
    }

    /// Every prefix of a valid record, and a catalogue of invalid documents, is refused with
    /// `.invalidRecord`: never a crash, never a partial record.
    @Test func refusesMalformedDocuments() throws {
        let valid = try Self.record(7).encoded()
        for cut in 1..<valid.count {
            #expect(throws: StorageError.self) { try ObjectRecord(encoded: valid[..<cut]) }
        }
        let good = String(decoding: try Self.record(3).encodedJSON(), as: UTF8.self)
        let bad = [
            good + "x", good + ",", "[" + good + "]", good.replacingOccurrences(of: "\"size\":", with: "\"size\":01,\"x\":"),
            good.replacingOccurrences(of: "\"bucket\":", with: "\"bucket\":1,\"b\":"),
            good.replacingOccurrences(of: "{\"bucket\"", with: "{,\"bucket\""),
            #"{"bucket":"b","key":"k\ud800","size":0,"etag":"e","lastModified":1,"owner":"o","contentHeaders":{},"userMetadata":{},"segments":[],"storageClass":"S"}"#,
            #"{"bucket":"b","key":"k","size":99999999999999999999,"etag":"e","lastModified":1,"owner":"o","contentHeaders":{},"userMetadata":{},"segments":[],"storageClass":"S"}"#,
            #"{"bucket":"b","key":"k","size":1.5,"etag":"e","lastModified":1,"owner":"o","contentHeaders":{},"userMetadata":{},"segments":[],"storageClass":"S"}"#,
            #"{"bucket":"b","key":"k","size":1,"etag":"e","lastModified":1,"owner":"o","contentHeaders":{},"userMetadata":{},"segments":[1,],"storageClass":"S"}"#,
            #"{"bucket":"b","key":"k","size":1,"etag":"e","lastModified":1,"owner":"o","contentHeaders":{},"userMetadata":{},"segments":[{"id":"zz","chunkCount":1,"size":1}],"storageClass":"S"}"#,
            #"{"bucket":"b","key":"k","size":1,"etag":"e","lastModified":1,"owner":"o","contentHeaders":{},"userMetadata":{},"segments":[],"storageClass":"S","encryption":{"mode":"AES256","sealedKey":"!!"}}"#,
            "{\"bucket\":\"\u{01}\"}", String(repeating: "[", count: 10_000),
            "{\"unknown\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}",
        ]
        for document in bad {
            #expect(throws: StorageError.self, "\(document.prefix(120))") { try ObjectRecord(encoded: [2] + Array(document.utf8)) }
        }
        // Invalid UTF-8 inside a string.
        var invalid = Array(good.utf8)
        invalid[invalid.firstIndex(of: UInt8(ascii: "b"))! + 9] = 0xFF
        #expect(throws: StorageError.self) { try ObjectRecord(encoded: [2] + invalid) }
    }
}

/// A small deterministic generator (SplitMix64) so that failures name a reproducible seed.
struct RecordSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Hexish {
    static func of(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
