import Foundation

/// Record version 1, FROZEN: the shapes releases up to commit e489255 wrote, and how each moves
/// into version 2 (docs/storage-layout.md, "Record versions").
///
/// Version 1 kept typed state in strings: an object's or upload's encryption info as a JSON
/// string in `extensions["sse"]`, a bucket's policy and default encryption in
/// `settings["policy"]` and `settings["encryption"]`. No release wrote other entries into
/// those maps and readers ignored any they found, so migration ignores them too. Everything
/// else decodes as strictly as version 1 did; a malformed value is `.invalidRecord`.
enum RecordVersion1 {
    static let encryptionExtension = "sse"
    static let policySetting = "policy"
    static let encryptionSetting = "encryption"

    struct Bucket: Decodable {
        var name: String
        var owner: String
        var region: String
        var createdAt: Date
        var settings: [String: String]
    }

    struct Object: Decodable {
        var bucket: String
        var key: String
        var size: Int64
        var etag: String
        var lastModified: Date
        var owner: String
        var contentHeaders: [String: String]
        var userMetadata: [String: String]
        var checksum: StoredChecksum?
        var parts: [PartSummary]?
        var segments: [BlobRef]
        var storageClass: String
        var extensions: [String: String]
    }

    struct Upload: Decodable {
        var bucket: String
        var key: String
        var uploadId: String
        var initiated: Date
        var owner: String
        var contentHeaders: [String: String]
        var userMetadata: [String: String]
        var checksumAlgorithm: String?
        var checksumType: String?
        var storageClass: String
        var extensions: [String: String]
    }

    /// The JSON in `extensions["sse"]`, as the S3 layer of version 1 encoded it.
    struct EncryptionInfo: Decodable {
        var v: Int
        var mode: String
        var rootKeyVersion: Int?
        var sealedKey: String
        var salt: String?
        var keyCheck: String?
        var kmsKeyArn: String?
        var context: [String: String]?
        var bucketKey: Bool?
        var bucketKeyBlob: String?
    }

    /// The typed encryption of a version-1 `extensions` map; nil when it holds no `sse` entry,
    /// or one that does not describe a data key the way version 1's reader required. Version 1
    /// read such a record as one without encryption information: it lists, and reading its
    /// body fails because no data key can be opened (never plaintext). So does this build.
    static func encryption<R>(_ extensions: [String: String], of record: R.Type) -> ObjectEncryption? {
        do { return try strictEncryption(extensions, of: record) } catch { return nil }
    }

    /// The typed encryption, or `.invalidRecord` when the `sse` entry is malformed.
    static func strictEncryption<R>(_ extensions: [String: String], of record: R.Type) throws(StorageError) -> ObjectEncryption? {
        guard let text = extensions[encryptionExtension] else { return nil }
        let invalid = StorageError(.invalidRecord, "\(R.self) version 1 carries invalid encryption info")
        guard let info = try? JSONDecoder().decode(EncryptionInfo.self, from: Data(text.utf8)), info.v == 1,
              let sealedKey = bytes(info.sealedKey)
        else { throw invalid }
        switch info.mode {
        case ObjectEncryption.Mode.sseS3.rawValue:
            guard let version = info.rootKeyVersion else { throw invalid }
            return .sseS3(.init(rootKeyVersion: version, sealedKey: sealedKey))
        case ObjectEncryption.Mode.sseC.rawValue:
            guard let salt = info.salt.flatMap(bytes), let keyCheck = info.keyCheck.flatMap(bytes) else { throw invalid }
            return .sseC(.init(salt: salt, keyCheck: keyCheck, sealedKey: sealedKey))
        case ObjectEncryption.Mode.sseKMS.rawValue:
            guard let arn = info.kmsKeyArn, let context = info.context else { throw invalid }
            // Version 1 used the bucket-key blob only when `bucketKey` was true.
            var blob: [UInt8]?
            if info.bucketKey == true {
                guard let decoded = info.bucketKeyBlob.flatMap(bytes) else { throw invalid }
                blob = decoded
            }
            return .sseKMS(.init(kmsKeyArn: arn, context: context, sealedKey: sealedKey, bucketKeyBlob: blob))
        default:
            throw invalid
        }
    }

    static func bytes(_ base64: String) -> [UInt8]? { Data(base64Encoded: base64).map { [UInt8]($0) } }
}

extension BucketRecord {
    public static func migrate(version: UInt8, json: Data, decoder: JSONDecoder) throws(StorageError) -> BucketRecord {
        guard version == 1 else { throw StorageError(.unsupportedRecordVersion, "BucketRecord has record version \(version)") }
        let old = try decodeJSON(RecordVersion1.Bucket.self, json, decoder: decoder)
        var encryption: BucketEncryption?
        if let text = old.settings[RecordVersion1.encryptionSetting] {
            guard let decoded = try? JSONDecoder().decode(BucketEncryption.self, from: Data(text.utf8)) else {
                throw StorageError(.invalidRecord, "BucketRecord version 1 carries an invalid encryption configuration")
            }
            encryption = decoded
        }
        return BucketRecord(name: old.name, owner: old.owner, region: old.region, createdAt: old.createdAt,
                            policy: old.settings[RecordVersion1.policySetting], encryption: encryption)
    }
}

extension ObjectRecord {
    public static func migrate(version: UInt8, json: Data, decoder: JSONDecoder) throws(StorageError) -> ObjectRecord {
        guard version == 1 else { throw StorageError(.unsupportedRecordVersion, "ObjectRecord has record version \(version)") }
        let old = try decodeJSON(RecordVersion1.Object.self, json, decoder: decoder)
        return ObjectRecord(
            bucket: old.bucket, key: old.key, size: old.size, etag: old.etag, lastModified: old.lastModified, owner: old.owner,
            contentHeaders: old.contentHeaders, userMetadata: old.userMetadata, checksum: old.checksum, parts: old.parts,
            segments: old.segments, storageClass: old.storageClass,
            encryption: RecordVersion1.encryption(old.extensions, of: ObjectRecord.self))
    }
}

extension UploadRecord {
    public static func migrate(version: UInt8, json: Data, decoder: JSONDecoder) throws(StorageError) -> UploadRecord {
        guard version == 1 else { throw StorageError(.unsupportedRecordVersion, "UploadRecord has record version \(version)") }
        let old = try decodeJSON(RecordVersion1.Upload.self, json, decoder: decoder)
        return UploadRecord(
            bucket: old.bucket, key: old.key, uploadId: old.uploadId, initiated: old.initiated, owner: old.owner,
            contentHeaders: old.contentHeaders, userMetadata: old.userMetadata, checksumAlgorithm: old.checksumAlgorithm,
            checksumType: old.checksumType, storageClass: old.storageClass,
            encryption: RecordVersion1.encryption(old.extensions, of: UploadRecord.self))
    }
}
