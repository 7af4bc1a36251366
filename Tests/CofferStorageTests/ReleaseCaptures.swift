@testable import CofferStorage
import Foundation

/// Records as release e489255 stored them (record version 1), captured byte for byte from the
/// data dir in Tests/live/fixtures/release-e489255 (each value is the version byte 0x01 followed
/// by this JSON), with the typed record each must decode to. The expected values were written
/// out from the JSON by a script, not by the Swift decoder under test.
enum ReleaseCaptures {
    struct Capture<R: StoredRecord> {
        var json: String
        var expected: R
        /// The stored value: version byte 1, then the JSON.
        var bytes: [UInt8] { [1] + Array(json.utf8) }
    }

    static func b64(_ text: String) -> [UInt8] { [UInt8](Data(base64Encoded: text) ?? Data()) }

    /// `bfx-s3`
    static let bucketWithPolicyAndSSES3Default = Capture(json: #"{"createdAt":1796630888567,"name":"fx-s3","owner":"root","region":"us-east-1","settings":{"encryption":"{\"blockedEncryptionTypes\":[\"SSE-C\"],\"algorithm\":\"AES256\"}","policy":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"AliceReadsPublic\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::176337017226:user/alice\"\n      },\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::fx-s3/public/*\"\n    },\n    {\n      \"Sid\": \"NoDeletesOfProtected\",\n      \"Effect\": \"Deny\",\n      \"Principal\": \"*\",\n      \"Action\": \"s3:DeleteObject\",\n      \"Resource\": \"arn:aws:s3:::fx-s3/protected/*\"\n    }\n  ]\n}"}}"#,
        expected: BucketRecord(
            name: "fx-s3", owner: "root", region: "us-east-1", createdAt: Date(milliseconds: 1796630888567),
            policy: "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"AliceReadsPublic\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::176337017226:user/alice\"\n      },\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::fx-s3/public/*\"\n    },\n    {\n      \"Sid\": \"NoDeletesOfProtected\",\n      \"Effect\": \"Deny\",\n      \"Principal\": \"*\",\n      \"Action\": \"s3:DeleteObject\",\n      \"Resource\": \"arn:aws:s3:::fx-s3/protected/*\"\n    }\n  ]\n}",
            encryption: BucketEncryption(algorithm: .aes256, kmsMasterKeyId: nil, bucketKeyEnabled: nil, blockedEncryptionTypes: [.sseC])))

    /// `bfx-kms`
    static let bucketWithKMSDefault = Capture(json: #"{"createdAt":1796630888571,"name":"fx-kms","owner":"root","region":"us-east-1","settings":{"encryption":"{\"kmsMasterKeyId\":\"alias\\/fixture\",\"bucketKeyEnabled\":true,\"algorithm\":\"aws:kms\",\"blockedEncryptionTypes\":[]}"}}"#,
        expected: BucketRecord(
            name: "fx-kms", owner: "root", region: "us-east-1", createdAt: Date(milliseconds: 1796630888571),
            policy: nil,
            encryption: BucketEncryption(algorithm: .awsKMS, kmsMasterKeyId: "alias/fixture", bucketKeyEnabled: true, blockedEncryptionTypes: [])))

    /// `bfx-c`
    static let bucketWithoutSettings = Capture(json: #"{"createdAt":1796630888573,"name":"fx-c","owner":"root","region":"us-east-1","settings":{}}"#,
        expected: BucketRecord(
            name: "fx-c", owner: "root", region: "us-east-1", createdAt: Date(milliseconds: 1796630888573),
            policy: nil,
            encryption: nil))

    /// `ofx-s3 0x00 public/dir/a b&+é.txt`
    static let sseS3Object = Capture(json: #"{"bucket":"fx-s3","checksum":{"algorithm":"CRC32","type":"FULL_OBJECT","value":"rWxViA=="},"contentHeaders":{"content-type":"text/plain; charset=utf-8"},"etag":"5c921d6c0af68a843bcd032cbb5d7c04","extensions":{"sse":"{\"v\":1,\"rootKeyVersion\":2,\"sealedKey\":\"LzCvFYiM45EQvoZb32kVgBk+U\\/g+2Eeewck2XifIfn7Xd+3FWCHNL\\/OtnRZWvA6cNdFghoS4GEaFiOT7\",\"mode\":\"AES256\"}"},"key":"public/dir/a b&+é.txt","lastModified":1796630888648,"owner":"root","segments":[{"chunkCount":1,"header":"{\"salt\":\"TA9e4l5Oc9zx+Dof8idewFzjqe7\\/G7cmIRUEKEWBL2o=\",\"part\":0,\"v\":1}","id":"712937d4b896f992c2b31f37d59a75b3","size":65536}],"size":65536,"storageClass":"STANDARD","userMetadata":{"note":"exactly one package","origin":"fixture"}}"#,
        expected: ObjectRecord(
            bucket: "fx-s3", key: "public/dir/a b&+é.txt", size: 65536, etag: "5c921d6c0af68a843bcd032cbb5d7c04", lastModified: Date(milliseconds: 1796630888648),
            owner: "root", contentHeaders: ["content-type": "text/plain; charset=utf-8"], userMetadata: ["note": "exactly one package", "origin": "fixture"],
            checksum: StoredChecksum(algorithm: "CRC32", value: "rWxViA==", type: "FULL_OBJECT"), parts: nil,
            segments: [BlobRef(id: BlobID(hex: "712937d4b896f992c2b31f37d59a75b3")!, chunkCount: 1, size: 65536, header: "{\"salt\":\"TA9e4l5Oc9zx+Dof8idewFzjqe7\\/G7cmIRUEKEWBL2o=\",\"part\":0,\"v\":1}")], storageClass: "STANDARD",
            encryption: .sseS3(.init(rootKeyVersion: 2, sealedKey: b64("LzCvFYiM45EQvoZb32kVgBk+U/g+2Eeewck2XifIfn7Xd+3FWCHNL/OtnRZWvA6cNdFghoS4GEaFiOT7")))))

    /// `ofx-c 0x00 multipart/one-part`
    static let sseCMultipartObject = Capture(json: #"{"bucket":"fx-c","contentHeaders":{"content-type":"text/x-mp"},"etag":"b0221c6662f24fbe442ff2d16109415b-1","extensions":{"sse":"{\"v\":1,\"salt\":\"2ku\\/qCAQmzSFAulGoOLP9IvAWv+qooLhGhqayKcpaJw=\",\"keyCheck\":\"7sxo3PPHv7+3v++XoR23\\/ReH3bRkCAdlqU1iL\\/WqjQo=\",\"sealedKey\":\"7+pnzhH9qK4BmqEw\\/oK4ZE1kh\\/cXRrC3LEdvvgPGU4C5qcXr2bUdQD0Kt+orfmimAw5aWm3z9izMSgyD\",\"mode\":\"SSE-C\"}"},"key":"multipart/one-part","lastModified":1796630889326,"owner":"root","parts":[{"checksum":"scYmVg==","etag":"6ebf089e85fa480f06bb29a3e9d0a664","number":1,"size":70000}],"segments":[{"chunkCount":2,"header":"{\"v\":1,\"salt\":\"dgE9ylJ82AMNtsoLkBupuywBwGcp\\/Bto5vcdUYAAQ3o=\",\"part\":1}","id":"10224b5f262b5ca98102bc5960dde19a","size":70000}],"size":70000,"storageClass":"STANDARD","userMetadata":{"kind":"multipart"}}"#,
        expected: ObjectRecord(
            bucket: "fx-c", key: "multipart/one-part", size: 70000, etag: "b0221c6662f24fbe442ff2d16109415b-1", lastModified: Date(milliseconds: 1796630889326),
            owner: "root", contentHeaders: ["content-type": "text/x-mp"], userMetadata: ["kind": "multipart"],
            checksum: nil, parts: [PartSummary(number: 1, size: 70000, etag: "6ebf089e85fa480f06bb29a3e9d0a664", checksum: "scYmVg==")],
            segments: [BlobRef(id: BlobID(hex: "10224b5f262b5ca98102bc5960dde19a")!, chunkCount: 2, size: 70000, header: "{\"v\":1,\"salt\":\"dgE9ylJ82AMNtsoLkBupuywBwGcp\\/Bto5vcdUYAAQ3o=\",\"part\":1}")], storageClass: "STANDARD",
            encryption: .sseC(.init(salt: b64("2ku/qCAQmzSFAulGoOLP9IvAWv+qooLhGhqayKcpaJw="), keyCheck: b64("7sxo3PPHv7+3v++XoR23/ReH3bRkCAdlqU1iL/WqjQo="), sealedKey: b64("7+pnzhH9qK4BmqEw/oK4ZE1kh/cXRrC3LEdvvgPGU4C5qcXr2bUdQD0Kt+orfmimAw5aWm3z9izMSgyD")))))

    /// `ofx-kms 0x00 by-arn-with-context`
    static let sseKMSObject = Capture(json: #"{"bucket":"fx-kms","checksum":{"algorithm":"CRC32","type":"FULL_OBJECT","value":"SOHkWg=="},"contentHeaders":{"content-type":"text/csv"},"etag":"7795e8b36ea08fa1d2ad1fd254c704af","extensions":{"sse":"{\"kmsKeyArn\":\"arn:aws:kms:us-east-1:176337017226:key\\/55cdde92-588a-4afb-9bc9-a6d35ddddfab\",\"sealedKey\":\"AVXN3pJYikr7m8mm013d36sAAAAC+74CCCYM6Iw1DyizJ8mTZgfyN7kd90x+JpPhTY+aTRTZFKMwzK9+keXaZ0i1fXmDtq5C3hSllrjvFC65X5\\/bJ5zrUDfuKl\\/DZsvCcA==\",\"bucketKey\":false,\"v\":1,\"mode\":\"aws:kms\",\"context\":{\"project\":\"fixture\",\"tier\":\"gold\",\"aws:s3:arn\":\"arn:aws:s3:::fx-kms\\/by-arn-with-context\"}}"},"key":"by-arn-with-context","lastModified":1796630889219,"owner":"root","segments":[{"chunkCount":2,"header":"{\"v\":1,\"salt\":\"tvXgqScDzhvtYM4QYMH38zngkyqplKeDYn+sihmT5cI=\",\"part\":0}","id":"53af1c4b7f52304d407dc4871187f9fa","size":65537}],"size":65537,"storageClass":"STANDARD","userMetadata":{}}"#,
        expected: ObjectRecord(
            bucket: "fx-kms", key: "by-arn-with-context", size: 65537, etag: "7795e8b36ea08fa1d2ad1fd254c704af", lastModified: Date(milliseconds: 1796630889219),
            owner: "root", contentHeaders: ["content-type": "text/csv"], userMetadata: [:],
            checksum: StoredChecksum(algorithm: "CRC32", value: "SOHkWg==", type: "FULL_OBJECT"), parts: nil,
            segments: [BlobRef(id: BlobID(hex: "53af1c4b7f52304d407dc4871187f9fa")!, chunkCount: 2, size: 65537, header: "{\"v\":1,\"salt\":\"tvXgqScDzhvtYM4QYMH38zngkyqplKeDYn+sihmT5cI=\",\"part\":0}")], storageClass: "STANDARD",
            encryption: .sseKMS(.init(kmsKeyArn: "arn:aws:kms:us-east-1:176337017226:key/55cdde92-588a-4afb-9bc9-a6d35ddddfab", context: ["aws:s3:arn": "arn:aws:s3:::fx-kms/by-arn-with-context", "project": "fixture", "tier": "gold"],
                                 sealedKey: b64("AVXN3pJYikr7m8mm013d36sAAAAC+74CCCYM6Iw1DyizJ8mTZgfyN7kd90x+JpPhTY+aTRTZFKMwzK9+keXaZ0i1fXmDtq5C3hSllrjvFC65X5/bJ5zrUDfuKl/DZsvCcA=="), bucketKeyBlob: nil))))

    /// `ofx-kms 0x00 alias/bucket-key/65536`
    static let sseKMSBucketKeyObject = Capture(json: #"{"bucket":"fx-kms","checksum":{"algorithm":"CRC32","type":"FULL_OBJECT","value":"wy4eSg=="},"contentHeaders":{"content-type":"binary/octet-stream"},"etag":"b91bd64d38adb997a7caba167798b0b6","extensions":{"sse":"{\"context\":{\"aws:s3:arn\":\"arn:aws:s3:::fx-kms\"},\"kmsKeyArn\":\"arn:aws:kms:us-east-1:176337017226:key\\/55cdde92-588a-4afb-9bc9-a6d35ddddfab\",\"v\":1,\"sealedKey\":\"ip0mVPi16YyAkp9G7vIS8b5UlrdIsZ+0NA5539zTJwv4b++BQTlbqwOiLMNb3VIvL9zhleRnZizMNdB7\",\"bucketKey\":true,\"mode\":\"aws:kms\",\"bucketKeyBlob\":\"AVXN3pJYikr7m8mm013d36sAAAACUZRBF9lpGEAIQ6Zp3Rg8VLM7Xh8b7\\/eALXZ2htwPDVidwZ3uNIUiHAkIGxD4+D3L4ChCZ\\/asJiMX2BUxLG5yjiLypePKG\\/P\\/0rGDLw==\"}"},"key":"alias/bucket-key/65536","lastModified":1796630889238,"owner":"root","segments":[{"chunkCount":1,"header":"{\"salt\":\"RvuTDSDJIRfTkRyY\\/SQcj\\/bWms8OmMXUyL+WT59WCPY=\",\"v\":1,\"part\":0}","id":"36b687eedcc5649e1c90b713d7947ea1","size":65536}],"size":65536,"storageClass":"STANDARD","userMetadata":{"k":"v"}}"#,
        expected: ObjectRecord(
            bucket: "fx-kms", key: "alias/bucket-key/65536", size: 65536, etag: "b91bd64d38adb997a7caba167798b0b6", lastModified: Date(milliseconds: 1796630889238),
            owner: "root", contentHeaders: ["content-type": "binary/octet-stream"], userMetadata: ["k": "v"],
            checksum: StoredChecksum(algorithm: "CRC32", value: "wy4eSg==", type: "FULL_OBJECT"), parts: nil,
            segments: [BlobRef(id: BlobID(hex: "36b687eedcc5649e1c90b713d7947ea1")!, chunkCount: 1, size: 65536, header: "{\"salt\":\"RvuTDSDJIRfTkRyY\\/SQcj\\/bWms8OmMXUyL+WT59WCPY=\",\"v\":1,\"part\":0}")], storageClass: "STANDARD",
            encryption: .sseKMS(.init(kmsKeyArn: "arn:aws:kms:us-east-1:176337017226:key/55cdde92-588a-4afb-9bc9-a6d35ddddfab", context: ["aws:s3:arn": "arn:aws:s3:::fx-kms"],
                                 sealedKey: b64("ip0mVPi16YyAkp9G7vIS8b5UlrdIsZ+0NA5539zTJwv4b++BQTlbqwOiLMNb3VIvL9zhleRnZizMNdB7"), bucketKeyBlob: b64("AVXN3pJYikr7m8mm013d36sAAAACUZRBF9lpGEAIQ6Zp3Rg8VLM7Xh8b7/eALXZ2htwPDVidwZ3uNIUiHAkIGxD4+D3L4ChCZ/asJiMX2BUxLG5yjiLypePKG/P/0rGDLw==")))))

    /// `ofx-kms 0x00 bucket-default`
    static let sseKMSBucketDefaultObject = Capture(json: #"{"bucket":"fx-kms","checksum":{"algorithm":"CRC32","type":"FULL_OBJECT","value":"LM7Ndg=="},"contentHeaders":{"content-type":"binary/octet-stream"},"etag":"922781a6f665a68bed208f34c02dd5fe","extensions":{"sse":"{\"mode\":\"aws:kms\",\"context\":{\"aws:s3:arn\":\"arn:aws:s3:::fx-kms\"},\"sealedKey\":\"BVk75iY3lQx\\/EC5cHEl1VelwFVoXn0I\\/dNnU9bxrYDckcs\\/8arhUGiycLNEtfyS0b3PF1u72EDLq74Aq\",\"bucketKeyBlob\":\"AVXN3pJYikr7m8mm013d36sAAAACUZRBF9lpGEAIQ6Zp3Rg8VLM7Xh8b7\\/eALXZ2htwPDVidwZ3uNIUiHAkIGxD4+D3L4ChCZ\\/asJiMX2BUxLG5yjiLypePKG\\/P\\/0rGDLw==\",\"v\":1,\"kmsKeyArn\":\"arn:aws:kms:us-east-1:176337017226:key\\/55cdde92-588a-4afb-9bc9-a6d35ddddfab\",\"bucketKey\":true}"},"key":"bucket-default","lastModified":1796630889266,"owner":"root","segments":[{"chunkCount":2,"header":"{\"part\":0,\"v\":1,\"salt\":\"jjHNTKW3G4oW\\/BG9G3\\/l+fMV1DUEbsO5swvvfXt7B1M=\"}","id":"d9501434fe55c10bfd84b02959bc61ef","size":65537}],"size":65537,"storageClass":"STANDARD","userMetadata":{}}"#,
        expected: ObjectRecord(
            bucket: "fx-kms", key: "bucket-default", size: 65537, etag: "922781a6f665a68bed208f34c02dd5fe", lastModified: Date(milliseconds: 1796630889266),
            owner: "root", contentHeaders: ["content-type": "binary/octet-stream"], userMetadata: [:],
            checksum: StoredChecksum(algorithm: "CRC32", value: "LM7Ndg==", type: "FULL_OBJECT"), parts: nil,
            segments: [BlobRef(id: BlobID(hex: "d9501434fe55c10bfd84b02959bc61ef")!, chunkCount: 2, size: 65537, header: "{\"part\":0,\"v\":1,\"salt\":\"jjHNTKW3G4oW\\/BG9G3\\/l+fMV1DUEbsO5swvvfXt7B1M=\"}")], storageClass: "STANDARD",
            encryption: .sseKMS(.init(kmsKeyArn: "arn:aws:kms:us-east-1:176337017226:key/55cdde92-588a-4afb-9bc9-a6d35ddddfab", context: ["aws:s3:arn": "arn:aws:s3:::fx-kms"],
                                 sealedKey: b64("BVk75iY3lQx/EC5cHEl1VelwFVoXn0I/dNnU9bxrYDckcs/8arhUGiycLNEtfyS0b3PF1u72EDLq74Aq"), bucketKeyBlob: b64("AVXN3pJYikr7m8mm013d36sAAAACUZRBF9lpGEAIQ6Zp3Rg8VLM7Xh8b7/eALXZ2htwPDVidwZ3uNIUiHAkIGxD4+D3L4ChCZ/asJiMX2BUxLG5yjiLypePKG/P/0rGDLw==")))))

    /// `ufx-s3 0x00 uploads/two-parts 0x00 01a24f8bc0f1sH-m8ydo4hUwd21xW4kDExqoBRj-QeaFcSAEVdUJ`
    static let sseS3Upload = Capture(json: #"{"bucket":"fx-s3","contentHeaders":{"content-type":"application/x-fixture"},"extensions":{"sse":"{\"v\":1,\"sealedKey\":\"\\/U9OwLjLsW\\/ykJ6\\/LP9m8xO\\/JxrmayW5cGklmupMGPMA5oXZFLN2TzzKBV8p5+6xewuLdU\\/AMH7zZNMq\",\"mode\":\"AES256\",\"rootKeyVersion\":2}"},"initiated":1796630888689,"key":"uploads/two-parts","owner":"root","storageClass":"STANDARD","uploadId":"01a24f8bc0f1sH-m8ydo4hUwd21xW4kDExqoBRj-QeaFcSAEVdUJ","userMetadata":{"stage":"in-progress"}}"#,
        expected: UploadRecord(
            bucket: "fx-s3", key: "uploads/two-parts", uploadId: "01a24f8bc0f1sH-m8ydo4hUwd21xW4kDExqoBRj-QeaFcSAEVdUJ", initiated: Date(milliseconds: 1796630888689), owner: "root",
            contentHeaders: ["content-type": "application/x-fixture"], userMetadata: ["stage": "in-progress"], checksumAlgorithm: nil,
            checksumType: nil, storageClass: "STANDARD",
            encryption: .sseS3(.init(rootKeyVersion: 2, sealedKey: b64("/U9OwLjLsW/ykJ6/LP9m8xO/JxrmayW5cGklmupMGPMA5oXZFLN2TzzKBV8p5+6xewuLdU/AMH7zZNMq")))))

    /// `ufx-kms 0x00 uploads/kms-bucket-key 0x00 01a24f8bc385Ve5L1gQ_HVduNAjQeCeO9k8fGMyE-pE9SPI7PQN3`
    static let sseKMSBucketKeyUpload = Capture(json: #"{"bucket":"fx-kms","contentHeaders":{"content-type":"binary/octet-stream"},"extensions":{"sse":"{\"sealedKey\":\"2TZl7kMwHkLO0ZjpuRO5f3MH0eOGof0cr0PbgqI+nyOXCJnq6NccQxURkJc3uKsr59nUHtky6cQb6yym\",\"mode\":\"aws:kms\",\"bucketKeyBlob\":\"AVXN3pJYikr7m8mm013d36sAAAACrQgUYbPaVTANmEZjbg8yFTL8Evg1oFP17iHDYHN80IEwrdTb6iKGuaSy\\/0r5Vn49w0gAb5zGv2Y7IWUSVt+75N74jlbz3i9HzfGpew==\",\"v\":1,\"bucketKey\":true,\"kmsKeyArn\":\"arn:aws:kms:us-east-1:176337017226:key\\/55cdde92-588a-4afb-9bc9-a6d35ddddfab\",\"context\":{\"aws:s3:arn\":\"arn:aws:s3:::fx-kms\"}}"},"initiated":1796630889350,"key":"uploads/kms-bucket-key","owner":"root","storageClass":"STANDARD","uploadId":"01a24f8bc385Ve5L1gQ_HVduNAjQeCeO9k8fGMyE-pE9SPI7PQN3","userMetadata":{}}"#,
        expected: UploadRecord(
            bucket: "fx-kms", key: "uploads/kms-bucket-key", uploadId: "01a24f8bc385Ve5L1gQ_HVduNAjQeCeO9k8fGMyE-pE9SPI7PQN3", initiated: Date(milliseconds: 1796630889350), owner: "root",
            contentHeaders: ["content-type": "binary/octet-stream"], userMetadata: [:], checksumAlgorithm: nil,
            checksumType: nil, storageClass: "STANDARD",
            encryption: .sseKMS(.init(kmsKeyArn: "arn:aws:kms:us-east-1:176337017226:key/55cdde92-588a-4afb-9bc9-a6d35ddddfab", context: ["aws:s3:arn": "arn:aws:s3:::fx-kms"],
                                 sealedKey: b64("2TZl7kMwHkLO0ZjpuRO5f3MH0eOGof0cr0PbgqI+nyOXCJnq6NccQxURkJc3uKsr59nUHtky6cQb6yym"), bucketKeyBlob: b64("AVXN3pJYikr7m8mm013d36sAAAACrQgUYbPaVTANmEZjbg8yFTL8Evg1oFP17iHDYHN80IEwrdTb6iKGuaSy/0r5Vn49w0gAb5zGv2Y7IWUSVt+75N74jlbz3i9HzfGpew==")))))

    /// `ufx-c 0x00 uploads/sse-c 0x00 01a24f8bc399r4ji9Cjnmqo_ChhxkadMqK1rh_cLjkx8fYOBTjg6`
    static let sseCUpload = Capture(json: #"{"bucket":"fx-c","contentHeaders":{"content-type":"binary/octet-stream"},"extensions":{"sse":"{\"mode\":\"SSE-C\",\"keyCheck\":\"AJIv\\/TUxo8TLoOEgWIHKPHO3+asHJSCOEdZfaATaMMs=\",\"v\":1,\"sealedKey\":\"YbtCKdwxkL9ifIZuU7dDONHN1VzOU9DfTNMW6rl\\/mKHG9pLNgrkVCGQxKFNudOoNtP9xGdt62iaBglLp\",\"salt\":\"6lfFQH3Hi6PDeKTplMTIqvon37lKm4u5T3G25hod7wM=\"}"},"initiated":1796630889369,"key":"uploads/sse-c","owner":"root","storageClass":"STANDARD","uploadId":"01a24f8bc399r4ji9Cjnmqo_ChhxkadMqK1rh_cLjkx8fYOBTjg6","userMetadata":{}}"#,
        expected: UploadRecord(
            bucket: "fx-c", key: "uploads/sse-c", uploadId: "01a24f8bc399r4ji9Cjnmqo_ChhxkadMqK1rh_cLjkx8fYOBTjg6", initiated: Date(milliseconds: 1796630889369), owner: "root",
            contentHeaders: ["content-type": "binary/octet-stream"], userMetadata: [:], checksumAlgorithm: nil,
            checksumType: nil, storageClass: "STANDARD",
            encryption: .sseC(.init(salt: b64("6lfFQH3Hi6PDeKTplMTIqvon37lKm4u5T3G25hod7wM="), keyCheck: b64("AJIv/TUxo8TLoOEgWIHKPHO3+asHJSCOEdZfaATaMMs="), sealedKey: b64("YbtCKdwxkL9ifIZuU7dDONHN1VzOU9DfTNMW6rl/mKHG9pLNgrkVCGQxKFNudOoNtP9xGdt62iaBglLp")))))

    /// `p01a24f8bc0f1sH-m8ydo4hUwd21xW4kDExqoBRj-QeaFcSAEVdUJ 0x00 u32be(2)` (PartRecord stays at record version 1)
    static let partOfSSES3Upload = Capture(json: #"{"blob":{"chunkCount":1,"header":"{\"salt\":\"OrUk70r18ncibu7naiZQPYtM5TbOdfa\\/gyRM8I8d154=\",\"part\":2,\"v\":1}","id":"e95b594783298f7bf77dff63b519ec61","size":1000},"checksum":{"algorithm":"CRC32","type":"PART","value":"KuMluw=="},"etag":"9d4324277fada21459614be04e4c98e4","lastModified":1796630888709,"number":2,"size":1000,"uploadId":"01a24f8bc0f1sH-m8ydo4hUwd21xW4kDExqoBRj-QeaFcSAEVdUJ"}"#,
        expected: PartRecord(
            uploadId: "01a24f8bc0f1sH-m8ydo4hUwd21xW4kDExqoBRj-QeaFcSAEVdUJ", number: 2, size: 1000, etag: "9d4324277fada21459614be04e4c98e4", lastModified: Date(milliseconds: 1796630888709),
            checksum: StoredChecksum(algorithm: "CRC32", value: "KuMluw==", type: "PART"), blob: BlobRef(id: BlobID(hex: "e95b594783298f7bf77dff63b519ec61")!, chunkCount: 1, size: 1000, header: "{\"salt\":\"OrUk70r18ncibu7naiZQPYtM5TbOdfa\\/gyRM8I8d154=\",\"part\":2,\"v\":1}")))

}
