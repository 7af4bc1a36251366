@testable import CofferStorage
import Foundation
import Testing

/// Record version 2 (typed encryption, policy and default encryption) and the decode of
/// version 1 (docs/storage-layout.md, "Record versions").
@Suite struct RecordVersionTests {
    typealias C = ReleaseCaptures

    /// The version-1 JSON of an object record whose `extensions` map is `extensions`.
    static func objectV1(extensions: [String: String]) throws -> [UInt8] {
        let json = try JSONSerialization.data(withJSONObject: [
            "bucket": "b", "key": "k", "size": 0, "etag": "e", "lastModified": 1_700_000_000_000, "owner": "o",
            "contentHeaders": [String: String](), "userMetadata": [String: String](), "segments": [Any](),
            "storageClass": "STANDARD", "extensions": extensions,
        ] as [String: Any])
        return [1] + [UInt8](json)
    }

    static func sse(_ info: [String: Any]) throws -> [String: String] {
        ["sse": String(decoding: try JSONSerialization.data(withJSONObject: info), as: UTF8.self)]
    }

    static let sealedKey = Data((0..<60).map { UInt8($0) }).base64EncodedString()

    @Test func releaseRecordsDecodeToTypedRecords() throws {
        for capture in [C.bucketWithPolicyAndSSES3Default, C.bucketWithKMSDefault, C.bucketWithoutSettings] {
            #expect(try BucketRecord(encoded: capture.bytes) == capture.expected)
        }
        for capture in [C.sseS3Object, C.sseCMultipartObject, C.sseKMSObject, C.sseKMSBucketKeyObject, C.sseKMSBucketDefaultObject] {
            #expect(try ObjectRecord(encoded: capture.bytes) == capture.expected)
        }
        for capture in [C.sseS3Upload, C.sseKMSBucketKeyUpload, C.sseCUpload] {
            #expect(try UploadRecord(encoded: capture.bytes) == capture.expected)
        }
        #expect(try PartRecord(encoded: C.partOfSSES3Upload.bytes) == C.partOfSSES3Upload.expected)
        // The captures cover every mode and both SSE-KMS forms.
        let modes = [C.sseS3Object, C.sseCMultipartObject, C.sseKMSObject, C.sseKMSBucketKeyObject].map { $0.expected.encryption?.mode }
        #expect(modes == [.sseS3, .sseC, .sseKMS, .sseKMS])
        guard case .sseKMS(let kms)? = C.sseKMSBucketKeyObject.expected.encryption, case .sseKMS(let direct)? = C.sseKMSObject.expected.encryption else {
            Issue.record("SSE-KMS captures are not SSE-KMS")
            return
        }
        #expect(kms.bucketKey && kms.sealedKey.count == 60 && !direct.bucketKey && direct.context["tier"] == "gold")
    }

    @Test func migratedRecordsAreWrittenAsVersion2AndReadBack() throws {
        let object = try ObjectRecord(encoded: C.sseKMSBucketKeyObject.bytes)
        let bytes = try object.encoded()
        #expect(bytes.first == 2)
        let json = String(decoding: bytes.dropFirst(), as: UTF8.self)
        #expect(!json.contains("extensions") && json.contains(#""encryption":{"bucketKeyBlob":""#))
        #expect(try ObjectRecord(encoded: bytes) == C.sseKMSBucketKeyObject.expected)

        let bucket = try BucketRecord(encoded: C.bucketWithPolicyAndSSES3Default.bytes)
        let bucketBytes = try bucket.encoded()
        #expect(bucketBytes.first == 2)
        let bucketJSON = String(decoding: bucketBytes.dropFirst(), as: UTF8.self)
        #expect(!bucketJSON.contains("settings"))
        #expect(bucketJSON.contains(#""encryption":{"algorithm":"AES256","blockedEncryptionTypes":["SSE-C"]}"#))
        #expect(try BucketRecord(encoded: bucketBytes) == C.bucketWithPolicyAndSSES3Default.expected)

        for capture in [C.sseS3Upload, C.sseKMSBucketKeyUpload, C.sseCUpload] {
            let upload = try UploadRecord(encoded: capture.bytes)
            let written = try upload.encoded()
            #expect(written.first == 2)
            #expect(try UploadRecord(encoded: written) == capture.expected)
        }
        // Unchanged records keep version 1.
        #expect(try C.partOfSSES3Upload.expected.encoded().first == 1)
    }

    @Test func version2EncryptionJSONIsFrozen() throws {
        func json(_ encryption: ObjectEncryption) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(encryption), as: UTF8.self)
        }
        #expect(try json(.sseS3(.init(rootKeyVersion: 3, sealedKey: [1, 2, 3]))) == #"{"mode":"AES256","rootKeyVersion":3,"sealedKey":"AQID"}"#)
        #expect(try json(.sseC(.init(salt: [0xFF], keyCheck: [0xFE], sealedKey: [0]))) == #"{"keyCheck":"/g==","mode":"SSE-C","salt":"/w==","sealedKey":"AA=="}"#)
        #expect(try json(.sseKMS(.init(kmsKeyArn: "arn:k", context: ["a": "b"], sealedKey: [9]))) == #"{"context":{"a":"b"},"kmsKeyArn":"arn:k","mode":"aws:kms","sealedKey":"CQ=="}"#)
        #expect(try json(.sseKMS(.init(kmsKeyArn: "arn:k", context: [:], sealedKey: [9], bucketKeyBlob: [8]))) ==
            #"{"bucketKeyBlob":"CA==","context":{},"kmsKeyArn":"arn:k","mode":"aws:kms","sealedKey":"CQ=="}"#)
    }

    @Test func version1EncryptionInfoIsMigratedAsVersion1ReadIt() throws {
        // No `sse` entry: no encryption; entries no release wrote are ignored, as version 1 did.
        #expect(try ObjectRecord(encoded: Self.objectV1(extensions: [:])).encryption == nil)
        let withOther = try Self.objectV1(extensions: Self.sse(["v": 1, "mode": "AES256", "rootKeyVersion": 4, "sealedKey": Self.sealedKey]).merging(["later": "x"]) { a, _ in a })
        #expect(try ObjectRecord(encoded: withOther).encryption == .sseS3(.init(rootKeyVersion: 4, sealedKey: Array(0..<60))))
        // Version 1 used the bucket-key blob only when `bucketKey` was true.
        let kmsIgnoringBlob = try Self.objectV1(extensions: Self.sse([
            "v": 1, "mode": "aws:kms", "kmsKeyArn": "arn:k", "context": ["aws:s3:arn": "arn:aws:s3:::b/k"],
            "sealedKey": Self.sealedKey, "bucketKey": false, "bucketKeyBlob": "AQID",
        ]))
        #expect(try ObjectRecord(encoded: kmsIgnoringBlob).encryption == .sseKMS(.init(kmsKeyArn: "arn:k", context: ["aws:s3:arn": "arn:aws:s3:::b/k"], sealedKey: Array(0..<60))))
    }

    /// Version 1 read a record whose `sse` entry does not describe a data key as one without
    /// encryption information (it listed; its body could not be read); so does this build, and
    /// the strict decoder names the problem without quoting the stored bytes.
    @Test func invalidVersion1EncryptionInfoDecodesAsNone() throws {
        let good: [String: Any] = ["v": 1, "mode": "AES256", "rootKeyVersion": 1, "sealedKey": Self.sealedKey]
        let kms: [String: Any] = ["v": 1, "mode": "aws:kms", "kmsKeyArn": "arn:k", "context": [String: String](), "sealedKey": Self.sealedKey, "bucketKey": true, "bucketKeyBlob": "AQID"]
        let bad: [[String: String]] = [
            ["sse": "not json"],
            ["sse": "{}"],
            try Self.sse(good.merging(["v": 2]) { _, new in new }),
            try Self.sse(good.merging(["mode": "DES"]) { _, new in new }),
            try Self.sse(good.merging(["sealedKey": "***"]) { _, new in new }),
            try Self.sse(good.filter { $0.key != "rootKeyVersion" }),
            try Self.sse(["v": 1, "mode": "SSE-C", "sealedKey": Self.sealedKey, "salt": "AQID"]),
            try Self.sse(kms.filter { $0.key != "bucketKeyBlob" }),
            try Self.sse(kms.filter { $0.key != "context" }),
            try Self.sse(kms.filter { $0.key != "kmsKeyArn" }),
        ]
        for extensions in bad {
            #expect(try ObjectRecord(encoded: Self.objectV1(extensions: extensions)).encryption == nil)
            #expect(throwsCode(.invalidRecord) { _ = try RecordVersion1.strictEncryption(extensions, of: ObjectRecord.self) })
        }
        // The message names the record, never the stored bytes.
        do {
            _ = try RecordVersion1.strictEncryption(["sse": #"{"v":1,"mode":"AES256","sealedKey":"c2VjcmV0"}"#], of: ObjectRecord.self)
            Issue.record("an SSE-S3 info without a root key version decoded")
        } catch {
            #expect(error.message == "ObjectRecord version 1 carries invalid encryption info" && !error.description.contains("c2VjcmV0"))
        }
        // A bucket whose stored default encryption does not decode is refused, not read as "none".
        let bucket = #"{"createdAt":0,"name":"b","owner":"o","region":"r","settings":{"encryption":"{\"algorithm\":\"ROT13\",\"blockedEncryptionTypes\":[]}"}}"#
        #expect(throwsCode(.invalidRecord) { _ = try BucketRecord(encoded: [1] + Array(bucket.utf8)) })
        // Version 1 fields are as required as they were.
        let noSettings = #"{"createdAt":0,"name":"b","owner":"o","region":"r"}"#
        #expect(throwsCode(.invalidRecord) { _ = try BucketRecord(encoded: [1] + Array(noSettings.utf8)) })
    }

    @Test func invalidVersion2EncryptionIsAnInvalidRecord() throws {
        let record = ObjectRecord(bucket: "b", key: "k", size: 0, etag: "e", lastModified: fixedDate, owner: "o", segments: [],
                                  encryption: .sseS3(.init(rootKeyVersion: 1, sealedKey: [1, 2, 3])))
        let json = String(decoding: try record.encoded().dropFirst(), as: UTF8.self)
        #expect(json.contains(#""encryption":{"mode":"AES256","rootKeyVersion":1,"sealedKey":"AQID"}"#))
        for (from, to) in [(#""sealedKey":"AQID""#, #""sealedKey":"A*ID""#), (#""mode":"AES256""#, #""mode":"AES128""#),
                           (#""rootKeyVersion":1,"#, ""), (#""mode":"AES256","#, "")] {
            let tampered = [2] + Array(json.replacingOccurrences(of: from, with: to).utf8)
            #expect(throwsCode(.invalidRecord) { _ = try ObjectRecord(encoded: tampered) })
        }
    }

    @Test func unknownVersionsAreRefused() throws {
        let object = try C.sseS3Object.expected.encoded()
        let bucket = try C.bucketWithKMSDefault.expected.encoded()
        let upload = try C.sseCUpload.expected.encoded()
        for version: UInt8 in [0, 3, 255] {
            #expect(throwsCode(.unsupportedRecordVersion) { _ = try ObjectRecord(encoded: [version] + object.dropFirst()) })
            #expect(throwsCode(.unsupportedRecordVersion) { _ = try BucketRecord(encoded: [version] + bucket.dropFirst()) })
            #expect(throwsCode(.unsupportedRecordVersion) { _ = try UploadRecord(encoded: [version] + upload.dropFirst()) })
        }
        // Records that did not change know only version 1.
        #expect(throwsCode(.unsupportedRecordVersion) { _ = try PartRecord(encoded: [2] + C.partOfSSES3Upload.json.utf8) })
        // A version-2 body under version byte 1 is not a version-1 record.
        #expect(throwsCode(.invalidRecord) { _ = try ObjectRecord(encoded: [1] + object.dropFirst()) })
    }
}
