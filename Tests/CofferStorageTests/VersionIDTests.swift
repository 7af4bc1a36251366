@testable import CofferStorage
import Foundation
import Testing

/// Version ids, stamps and the `v` key encoding (`VersionID.swift`, `KeyLayout.swift`), and
/// the versioning fields of stored records.
@Suite struct VersionIDTests {
    @Test func idsRoundTripAndRefuseEverythingElse() throws {
        var generator = RecordSeededGenerator(seed: 42)
        for raw in [UInt64(0), 1, 1 << 16, VersionStamp(date: fixedDate).rawValue, UInt64(Int64.max)] {
            let stamp = try #require(VersionStamp(rawValue: raw))
            let id = VersionID.make(stamp: stamp, using: &generator)
            let text = id.description
            #expect(text.utf8.count == 32)
            #expect(text.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
            #expect(VersionID(text) == id)
            #expect(VersionSelector(versionId: text) == .id(id))
        }
        let good = VersionID.make(stamp: VersionStamp(date: fixedDate), using: &generator).description
        let bad = [
            "", "null", "NULL", String(good.dropLast()), good + "A", good.replacingOccurrences(of: good.prefix(1), with: "+"),
            String(good.prefix(31)) + "=", String(good.prefix(31)) + "/", String(repeating: "é", count: 16),
            // The stamp's top bit set: above VersionStamp.max.
            "_" + String(good.dropFirst()),
        ]
        for text in bad {
            #expect(VersionID(text) == nil, "\(text)")
        }
        #expect(VersionSelector(versionId: nil) == .current)
        #expect(VersionSelector(versionId: "null") == .null)
        #expect(VersionSelector(versionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY") == nil)
        #expect(VersionStamp(rawValue: UInt64(Int64.max) + 1) == nil)
    }

    @Test func stampsFollowTimeThenCount() throws {
        let first = VersionStamp(date: fixedDate)
        #expect(first.rawValue == 1_700_000_000_123 << 16)
        #expect(try VersionStamp.next(after: nil, at: fixedDate) == first)
        #expect(try VersionStamp.next(after: first, at: fixedDate).rawValue == first.rawValue + 1)
        #expect(try VersionStamp.next(after: first, at: at(-5000)).rawValue == first.rawValue + 1)
        #expect(try VersionStamp.next(after: first, at: at(1)) == VersionStamp(date: at(1)))
        #expect(VersionStamp(date: Date(milliseconds: -7)).rawValue == 0)
        #expect(throwsCode(.invalidArgument) { _ = try VersionStamp.next(after: .max, at: fixedDate) })
        // Newest first in key order.
        let older = first.descendingBytes, newer = try VersionStamp.next(after: first, at: fixedDate).descendingBytes
        #expect(newer.lexicographicallyPrecedes(older))
        #expect(VersionStamp(descendingBytes: older) == first)
        #expect(VersionStamp(descendingBytes: older.dropLast()) == nil)
    }

    /// Escaped keys keep one key's versions under one prefix and sort as the keys do.
    @Test func versionKeysSortAsTheirObjectKeys() throws {
        let keys = ["", "a", "a\u{0}", "a\u{0}\u{0}", "a\u{0}\u{1}", "a\u{0}b", "a\u{1}", "ab", "b", "é", "\u{0}"].filter { !$0.isEmpty }
        let stamps = [VersionStamp(date: at(0)), VersionStamp(date: at(9))]
        var entries: [(key: String, stamp: VersionStamp, bytes: [UInt8])] = []
        for key in keys {
            for stamp in stamps { entries.append((key, stamp, KeyLayout.version(bucket: "b", key: key, stamp: stamp))) }
        }
        let sorted = entries.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        let expected = entries.sorted { a, b in
            a.key.utf8.elementsEqual(b.key.utf8) ? a.stamp > b.stamp : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        #expect(sorted.map(\.bytes) == expected.map(\.bytes))
        let base = KeyLayout.versions(in: "b")
        for entry in entries {
            let split = try #require(KeyLayout.splitVersionSuffix(entry.bytes[base.count...]))
            #expect(split.key == Array(entry.key.utf8) && split.stamp == entry.stamp)
            for other in keys where other != entry.key {
                #expect(!entry.bytes.starts(with: KeyLayout.versions(bucket: "b", key: other)))
            }
        }
        for malformed: [UInt8] in [[1, 2, 3], [0x61, 0, 2] + Array(repeating: 0xFF, count: 8), [0x61, 0] + Array(repeating: 0xFF, count: 8),
                                   [0x61, 0, 0, 0x62, 0, 0] + Array(repeating: 0xFF, count: 8), [0x61, 0, 0] + Array(repeating: 0xFF, count: 7)] {
            #expect(KeyLayout.splitVersionSuffix(malformed[...]) == nil)
        }
    }

    /// A record written before versioning decodes as the null version and is written back byte
    /// for byte; the new fields round-trip through both JSON paths.
    @Test func recordsBeforeVersioningAreNullVersions() throws {
        let old = #"{"bucket":"b","contentHeaders":{},"etag":"e","key":"k","lastModified":1700000000123,"owner":"o","segments":[],"size":0,"storageClass":"STANDARD","userMetadata":{}}"#
        let stored = [UInt8(2)] + Array(old.utf8)
        let record = try ObjectRecord(encoded: stored)
        #expect(record.versionId == nil && record.versionStamp == nil && !record.isDeleteMarker && record.isNullVersion)
        #expect(record.stamp == VersionStamp(date: fixedDate))
        #expect(record.versionIdText == "null")
        #expect(try record.encoded() == stored)

        let bucket = #"{"createdAt":1700000000123,"name":"b","owner":"o","region":"r"}"#
        let bucketRecord = try BucketRecord(encoded: [UInt8(2)] + Array(bucket.utf8))
        #expect(bucketRecord.versioning == nil && bucketRecord.objectLockEnabled == nil)
        #expect(try bucketRecord.encoded() == [UInt8(2)] + Array(bucket.utf8))
        var versioned = bucketRecord
        versioned.versioning = .suspended
        #expect(String(decoding: try versioned.encoded().dropFirst(), as: UTF8.self).contains(#""versioning":"Suspended""#))
        #expect(try BucketRecord(encoded: try versioned.encoded()) == versioned)

        var generator = RecordSeededGenerator(seed: 7)
        var marker = ObjectRecord.deleteMarker(bucket: "b", key: "k", owner: "o", date: fixedDate)
        marker.versionStamp = VersionStamp(date: fixedDate)
        marker.versionId = VersionID.make(stamp: VersionStamp(date: fixedDate), using: &generator)
        let json = try marker.encodedJSON()
        #expect(json == (try marker.codableJSON()))
        #expect(try ObjectRecord(encoded: try marker.encoded()) == marker)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""deleteMarker":true"#) && text.contains(#""versionStamp":\#(marker.versionStamp!.rawValue)"#))
        // Malformed version fields are refused, never guessed.
        for bad in [#""versionId":"null""#, #""versionId":"x""#, #""versionStamp":-1"#, #""versionStamp":9223372036854775808"#, #""deleteMarker":1"#] {
            let document = String(old.dropLast()) + "," + bad + "}"
            #expect(throwsCode(.invalidRecord) { _ = try ObjectRecord(encoded: [2] + Array(document.utf8)) }, "\(bad)")
        }
    }
}
