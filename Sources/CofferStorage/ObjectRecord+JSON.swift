import Foundation

/// `ObjectRecord`'s JSON (record version 2) written and read by hand (see `RecordJSON.swift`):
/// the same document its `Codable` conformance makes, key for key. Keys are written sorted;
/// absent optionals are omitted, as `encodeIfPresent` omits them; unknown keys are skipped on
/// reading, as `Decodable` skips them.
extension ObjectRecord {
    public func encodedJSON() throws(StorageError) -> [UInt8] {
        var w = RecordJSONWriter(capacity: 512 + 96 * segments.count + 96 * (parts?.count ?? 0))
        w.beginObject()
        w.field("bucket", bucket)
        if let checksum {
            w.key("checksum")
            w.beginObject()
            w.field("algorithm", checksum.algorithm)
            w.field("type", checksum.type)
            w.field("value", checksum.value)
            w.endObject()
        }
        w.field("contentHeaders", contentHeaders)
        if let deleteMarker { w.field("deleteMarker", deleteMarker) }
        if let encryption {
            w.key("encryption")
            encryption.write(to: &w)
        }
        w.field("etag", etag)
        w.field("key", key)
        w.field("lastModified", Date.milliseconds(of: lastModified))
        if let legalHold { w.field("legalHold", legalHold.rawValue) }
        w.field("owner", owner)
        if let parts {
            w.key("parts")
            w.beginArray()
            for part in parts {
                w.beginObject()
                w.field("checksum", ifPresent: part.checksum)
                w.field("etag", part.etag)
                w.field("number", part.number)
                w.field("size", part.size)
                w.endObject()
            }
            w.endArray()
        }
        if let retention {
            w.key("retention")
            w.beginObject()
            w.field("mode", retention.mode.rawValue)
            w.field("retainUntil", Date.milliseconds(of: retention.retainUntil))
            w.endObject()
        }
        w.key("segments")
        w.beginArray()
        for segment in segments {
            w.beginObject()
            w.field("chunkCount", segment.chunkCount)
            w.field("header", ifPresent: segment.header)
            w.field("id", segment.id.hex)
            w.field("size", segment.size)
            w.endObject()
        }
        w.endArray()
        w.field("size", size)
        w.field("storageClass", storageClass)
        if let tags {
            w.key("tags")
            w.beginArray()
            for tag in tags {
                w.beginObject()
                w.field("key", tag.key)
                w.field("value", tag.value)
                w.endObject()
            }
            w.endArray()
        }
        w.field("userMetadata", userMetadata)
        if let versionId { w.field("versionId", versionId.description) }
        if let versionNonce { w.field("versionNonce", versionNonce.base64) }
        if let versionStamp { w.field("versionStamp", versionStamp.rawValue) }
        w.endObject()
        return w.bytes
    }

    public static func decodedJSON(_ bytes: [UInt8], offset: Int) throws(StorageError) -> ObjectRecord {
        do {
            var r = RecordJSONReader(bytes, from: offset)
            let record = try read(&r)
            try r.finish()
            return record
        } catch {
            throw StorageError(.invalidRecord, "malformed \(Self.self)")
        }
    }

    private static func read(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> ObjectRecord {
        var bucket: String?, key: String?, etag: String?, owner: String?, storageClass: String?
        var size: Int64?, lastModified: Int64?
        var contentHeaders: [String: String]?, userMetadata: [String: String]?
        var checksum: StoredChecksum?, parts: [PartSummary]?, segments: [BlobRef]?, encryption: ObjectEncryption?
        var tags: [StoredTag]?
        var versionId: VersionID?, versionStamp: VersionStamp?, deleteMarker: Bool?, versionNonce: VersionNonce?
        var retention: ObjectRetention?
        var legalHold: LegalHold?
        try r.beginObject()
        while let name = try r.nextKey() {
            switch name {
            case "bucket": bucket = try r.string()
            case "key": key = try r.string()
            case "etag": etag = try r.string()
            case "owner": owner = try r.string()
            case "storageClass": storageClass = try r.string()
            case "size": size = try r.int64()
            case "lastModified": lastModified = try r.int64()
            case "contentHeaders": contentHeaders = try r.stringDictionary()
            case "userMetadata": userMetadata = try r.stringDictionary()
            case "checksum": checksum = try r.null() ? nil : try readChecksum(&r)
            case "parts": parts = try r.null() ? nil : try readParts(&r)
            case "segments": segments = try readSegments(&r)
            case "encryption": encryption = try r.null() ? nil : try ObjectEncryption.read(&r)
            case "tags": tags = try r.null() ? nil : try readTags(&r)
            case "versionId":
                guard !(try r.null()) else { versionId = nil; continue }
                guard let id = VersionID(try r.string()) else { throw RecordJSONReader.Malformed() }
                versionId = id
            case "versionStamp":
                guard !(try r.null()) else { versionStamp = nil; continue }
                guard let value = UInt64(exactly: try r.int64()), let stamp = VersionStamp(rawValue: value) else { throw RecordJSONReader.Malformed() }
                versionStamp = stamp
            case "versionNonce":
                guard !(try r.null()) else { versionNonce = nil; continue }
                guard let nonce = VersionNonce(base64: try r.string()) else { throw RecordJSONReader.Malformed() }
                versionNonce = nonce
            case "deleteMarker": deleteMarker = try r.null() ? nil : try r.bool()
            case "retention": retention = try r.null() ? nil : try readRetention(&r)
            case "legalHold":
                guard !(try r.null()) else { legalHold = nil; continue }
                guard let hold = LegalHold(rawValue: try r.string()) else { throw RecordJSONReader.Malformed() }
                legalHold = hold
            default: try r.skipValue()
            }
        }
        guard let bucket, let key, let etag, let owner, let storageClass, let size, let lastModified,
              let contentHeaders, let userMetadata, let segments
        else { throw RecordJSONReader.Malformed() }
        var record = ObjectRecord(
            bucket: bucket, key: key, size: size, etag: etag, lastModified: Date(milliseconds: lastModified), owner: owner,
            contentHeaders: contentHeaders, userMetadata: userMetadata, checksum: checksum, parts: parts,
            segments: segments, storageClass: storageClass, encryption: encryption, tags: tags)
        record.versionId = versionId
        record.versionStamp = versionStamp
        record.deleteMarker = deleteMarker
        record.versionNonce = versionNonce
        record.retention = retention
        record.legalHold = legalHold
        return record
    }

    private static func readRetention(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> ObjectRetention {
        var mode: RetentionMode?, retainUntil: Int64?
        try r.beginObject()
        while let name = try r.nextKey() {
            switch name {
            case "mode":
                guard let parsed = RetentionMode(rawValue: try r.string()) else { throw RecordJSONReader.Malformed() }
                mode = parsed
            case "retainUntil": retainUntil = try r.int64()
            default: try r.skipValue()
            }
        }
        guard let mode, let retainUntil else { throw RecordJSONReader.Malformed() }
        return ObjectRetention(mode: mode, retainUntil: Date(milliseconds: retainUntil))
    }

    private static func readTags(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> [StoredTag] {
        var tags: [StoredTag] = []
        try r.beginArray()
        while try r.nextElement() {
            var key: String?, value: String?
            try r.beginObject()
            while let name = try r.nextKey() {
                switch name {
                case "key": key = try r.string()
                case "value": value = try r.string()
                default: try r.skipValue()
                }
            }
            guard let key, let value else { throw RecordJSONReader.Malformed() }
            tags.append(StoredTag(key: key, value: value))
        }
        return tags
    }

    private static func readChecksum(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> StoredChecksum {
        var algorithm: String?, value: String?, type: String?
        try r.beginObject()
        while let name = try r.nextKey() {
            switch name {
            case "algorithm": algorithm = try r.string()
            case "value": value = try r.string()
            case "type": type = try r.string()
            default: try r.skipValue()
            }
        }
        guard let algorithm, let value, let type else { throw RecordJSONReader.Malformed() }
        return StoredChecksum(algorithm: algorithm, value: value, type: type)
    }

    private static func readParts(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> [PartSummary] {
        var parts: [PartSummary] = []
        try r.beginArray()
        while try r.nextElement() {
            var number: Int?, size: Int64?, etag: String?, checksum: String?
            try r.beginObject()
            while let name = try r.nextKey() {
                switch name {
                case "number": number = try r.int()
                case "size": size = try r.int64()
                case "etag": etag = try r.string()
                case "checksum": checksum = try r.null() ? nil : try r.string()
                default: try r.skipValue()
                }
            }
            guard let number, let size, let etag else { throw RecordJSONReader.Malformed() }
            parts.append(PartSummary(number: number, size: size, etag: etag, checksum: checksum))
        }
        return parts
    }

    private static func readSegments(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> [BlobRef] {
        var segments: [BlobRef] = []
        try r.beginArray()
        while try r.nextElement() {
            var id: BlobID?, chunkCount: Int?, size: Int64?, header: String?
            try r.beginObject()
            while let name = try r.nextKey() {
                switch name {
                case "id":
                    guard let parsed = BlobID(hex: try r.string()) else { throw RecordJSONReader.Malformed() }
                    id = parsed
                case "chunkCount": chunkCount = try r.int()
                case "size": size = try r.int64()
                case "header": header = try r.null() ? nil : try r.string()
                default: try r.skipValue()
                }
            }
            guard let id, let chunkCount, let size else { throw RecordJSONReader.Malformed() }
            segments.append(BlobRef(id: id, chunkCount: chunkCount, size: size, header: header))
        }
        return segments
    }
}

extension ObjectEncryption {
    /// Writes the object `Codable` writes: `mode` and the mode's own fields, sorted.
    func write(to w: inout RecordJSONWriter) {
        w.beginObject()
        switch self {
        case .sseS3(let s):
            w.field("mode", mode.rawValue)
            w.field("rootKeyVersion", s.rootKeyVersion)
            w.field("sealedKey", Data(s.sealedKey).base64EncodedString())
        case .sseC(let s):
            w.field("keyCheck", Data(s.keyCheck).base64EncodedString())
            w.field("mode", mode.rawValue)
            w.field("salt", Data(s.salt).base64EncodedString())
            w.field("sealedKey", Data(s.sealedKey).base64EncodedString())
        case .sseKMS(let s):
            if let blob = s.bucketKeyBlob { w.field("bucketKeyBlob", Data(blob).base64EncodedString()) }
            w.field("context", s.context)
            w.field("kmsKeyArn", s.kmsKeyArn)
            w.field("mode", mode.rawValue)
            w.field("sealedKey", Data(s.sealedKey).base64EncodedString())
        }
        w.endObject()
    }

    /// Reads what `write(to:)` (or `Codable`) wrote; the fields a mode needs must be there.
    static func read(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> ObjectEncryption {
        var mode: Mode?, rootKeyVersion: Int?, kmsKeyArn: String?, context: [String: String]?
        var sealedKey: [UInt8]?, salt: [UInt8]?, keyCheck: [UInt8]?, bucketKeyBlob: [UInt8]?
        func base64(_ r: inout RecordJSONReader) throws(RecordJSONReader.Malformed) -> [UInt8] {
            guard let bytes = Data(base64Encoded: try r.string()) else { throw RecordJSONReader.Malformed() }
            return [UInt8](bytes)
        }
        try r.beginObject()
        while let name = try r.nextKey() {
            switch name {
            case "mode":
                guard let parsed = Mode(rawValue: try r.string()) else { throw RecordJSONReader.Malformed() }
                mode = parsed
            case "rootKeyVersion": rootKeyVersion = try r.int()
            case "sealedKey": sealedKey = try base64(&r)
            case "salt": salt = try base64(&r)
            case "keyCheck": keyCheck = try base64(&r)
            case "kmsKeyArn": kmsKeyArn = try r.string()
            case "context": context = try r.stringDictionary()
            case "bucketKeyBlob": bucketKeyBlob = try r.null() ? nil : try base64(&r)
            default: try r.skipValue()
            }
        }
        guard let mode, let sealedKey else { throw RecordJSONReader.Malformed() }
        switch mode {
        case .sseS3:
            guard let rootKeyVersion else { throw RecordJSONReader.Malformed() }
            return .sseS3(SSES3(rootKeyVersion: rootKeyVersion, sealedKey: sealedKey))
        case .sseC:
            guard let salt, let keyCheck else { throw RecordJSONReader.Malformed() }
            return .sseC(SSEC(salt: salt, keyCheck: keyCheck, sealedKey: sealedKey))
        case .sseKMS:
            guard let kmsKeyArn, let context else { throw RecordJSONReader.Malformed() }
            return .sseKMS(SSEKMS(kmsKeyArn: kmsKeyArn, context: context, sealedKey: sealedKey, bucketKeyBlob: bucketKeyBlob))
        }
    }
}
