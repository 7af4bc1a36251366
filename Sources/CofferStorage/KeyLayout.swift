/// The on-disk key layout of Coffer's LevelDB database. FROZEN: see `docs/storage-layout.md`.
///
/// Every prefix byte and key encoding lives in this file and nowhere else. Changing any of them
/// requires a new ``formatVersion`` and a migration.
///
/// | prefix | key                                              | value                    |
/// |--------|--------------------------------------------------|--------------------------|
/// | `b`    | bucket                                           | BucketRecord             |
/// | `o`    | bucket 0x00 objectKey                            | ObjectRecord             |
/// | `u`    | bucket 0x00 objectKey 0x00 uploadId              | UploadRecord             |
/// | `U`    | uploadId                                         | UploadIndexRecord        |
/// | `p`    | uploadId 0x00 partNumber(u32 BE)                 | PartRecord               |
/// | `c`    | blobId(16) chunkIndex(u32 BE)                    | opaque chunk bytes       |
/// | `g`    | blobId(16)                                       | 1 byte: 1 pending, 2 garbage |
/// | `m`    | "format"                                         | u32 BE store format      |
/// | `k`    | kmsKeyId (UUID text)                             | KMSKeyRecord             |
/// | `a`    | aliasName (`alias/...`)                          | KMSAliasRecord           |
/// | `r`    | note id                                          | opaque note bytes (``CommitNote``) |
/// | `d`    | bucket 0x00 objectKey                            | ObjectRecord (a current delete marker) |
/// | `v`    | bucket 0x00 escaped(objectKey) 0x00 0x00 stamp(u64 BE, inverted) | ObjectRecord (a noncurrent version) |
/// | `n`    | bucket 0x00 objectKey                            | u64 BE stamp of a null version kept under `v` |
enum KeyLayout {
    /// The store format written in the `m format` key.
    static let formatVersion: UInt32 = 1

    static let bucketPrefix: UInt8 = UInt8(ascii: "b")
    static let objectPrefix: UInt8 = UInt8(ascii: "o")
    static let uploadPrefix: UInt8 = UInt8(ascii: "u")
    static let uploadIndexPrefix: UInt8 = UInt8(ascii: "U")
    static let partPrefix: UInt8 = UInt8(ascii: "p")
    static let chunkPrefix: UInt8 = UInt8(ascii: "c")
    static let blobMarkerPrefix: UInt8 = UInt8(ascii: "g")
    static let metaPrefix: UInt8 = UInt8(ascii: "m")
    static let kmsKeyPrefix: UInt8 = UInt8(ascii: "k")
    static let kmsAliasPrefix: UInt8 = UInt8(ascii: "a")
    static let notePrefix: UInt8 = UInt8(ascii: "r")
    static let currentMarkerPrefix: UInt8 = UInt8(ascii: "d")
    static let versionPrefix: UInt8 = UInt8(ascii: "v")
    static let nullVersionPrefix: UInt8 = UInt8(ascii: "n")
    static let separator: UInt8 = 0x00

    /// Blob marker states (the single value byte of a `g` key).
    enum BlobState: UInt8 {
        case pending = 1
        case garbage = 2
    }

    static let formatKey: [UInt8] = [metaPrefix] + Array("format".utf8)

    static func bucket(_ name: String) -> [UInt8] { [bucketPrefix] + Array(name.utf8) }

    /// Prefix of every bucket record key.
    static let allBuckets: [UInt8] = [bucketPrefix]

    /// `o bucket 0x00`: prefix of every object key of `bucket`.
    static func objects(in bucket: String) -> [UInt8] { [objectPrefix] + Array(bucket.utf8) + [separator] }

    static func object(bucket: String, key: String) -> [UInt8] { objects(in: bucket) + Array(key.utf8) }

    /// `u bucket 0x00`: prefix of every upload key of `bucket`.
    static func uploads(in bucket: String) -> [UInt8] { [uploadPrefix] + Array(bucket.utf8) + [separator] }

    static func upload(bucket: String, key: String, uploadId: String) -> [UInt8] {
        uploads(in: bucket) + Array(key.utf8) + [separator] + Array(uploadId.utf8)
    }

    /// Splits the part of an upload key after ``uploads(in:)`` into (objectKey, uploadId):
    /// the upload id follows the last 0x00 (upload ids never contain 0x00).
    static func splitUploadSuffix(_ suffix: ArraySlice<UInt8>) -> (key: ArraySlice<UInt8>, uploadId: ArraySlice<UInt8>)? {
        guard let cut = suffix.lastIndex(of: separator) else { return nil }
        return (suffix[suffix.startIndex..<cut], suffix[(cut + 1)...])
    }

    static func uploadIndex(_ uploadId: String) -> [UInt8] { [uploadIndexPrefix] + Array(uploadId.utf8) }

    /// `p uploadId 0x00`: prefix of every part of an upload.
    static func parts(of uploadId: String) -> [UInt8] { [partPrefix] + Array(uploadId.utf8) + [separator] }

    static func part(uploadId: String, number: Int) -> [UInt8] { parts(of: uploadId) + bigEndian(UInt32(number)) }

    /// `c blobId`: prefix of every chunk of a blob.
    static func chunks(of blob: BlobID) -> [UInt8] { [chunkPrefix] + blob.bytes }

    static func chunk(blob: BlobID, index: Int) -> [UInt8] { chunks(of: blob) + bigEndian(UInt32(index)) }

    /// The length of every chunk key.
    static let chunkKeyCount = 1 + 16 + 4

    /// Prefix of every chunk key of every blob.
    static let allChunks: [UInt8] = [chunkPrefix]

    static func blobMarker(_ blob: BlobID) -> [UInt8] { [blobMarkerPrefix] + blob.bytes }

    /// Prefix of every blob marker.
    static let allBlobMarkers: [UInt8] = [blobMarkerPrefix]

    /// `r id`: a note committed with a write (``CommitNote``).
    static func note(_ id: String) -> [UInt8] { [notePrefix] + Array(id.utf8) }

    /// Prefix of every note.
    static let allNotes: [UInt8] = [notePrefix]

    // MARK: Versions (docs/storage-layout.md, "Versions")

    /// `d bucket 0x00`: prefix of every current delete marker of `bucket`.
    static func currentMarkers(in bucket: String) -> [UInt8] { [currentMarkerPrefix] + Array(bucket.utf8) + [separator] }

    /// `d bucket 0x00 key`: the delete marker that is the current version of `key`.
    static func currentMarker(bucket: String, key: String) -> [UInt8] { currentMarkers(in: bucket) + Array(key.utf8) }

    /// `v bucket 0x00`: prefix of every noncurrent version of `bucket`.
    static func versions(in bucket: String) -> [UInt8] { [versionPrefix] + Array(bucket.utf8) + [separator] }

    /// `v bucket 0x00 escaped(key) 0x00 0x00`: prefix of the noncurrent versions of exactly
    /// `key`, newest first.
    static func versions(bucket: String, key: String) -> [UInt8] { versions(in: bucket) + escaped(Array(key.utf8)) + keyTerminator }

    /// The noncurrent version of `key` at `stamp`.
    static func version(bucket: String, key: String, stamp: VersionStamp) -> [UInt8] {
        versions(bucket: bucket, key: key) + stamp.descendingBytes
    }

    /// `n bucket 0x00`: prefix of every null-version index entry of `bucket`.
    static func nullVersions(in bucket: String) -> [UInt8] { [nullVersionPrefix] + Array(bucket.utf8) + [separator] }

    /// `n bucket 0x00 key`: the stamp of `key`'s null version while it is kept under `v`.
    static func nullVersion(bucket: String, key: String) -> [UInt8] { nullVersions(in: bucket) + Array(key.utf8) }

    /// Ends an escaped object key inside a `v` key.
    static let keyTerminator: [UInt8] = [separator, separator]

    /// An object key inside a `v` key: every 0x00 written as 0x00 0x01, so that the key ends
    /// at the first 0x00 0x00 and `v` keys sort exactly as their object keys do (a key before
    /// its extensions, then by bytes), whatever bytes the object key holds. Keys without 0x00
    /// (all that S3's XML can carry) are unchanged.
    static func escaped(_ key: some Collection<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.count)
        for byte in key {
            bytes.append(byte)
            if byte == separator { bytes.append(0x01) }
        }
        return bytes
    }

    /// Splits the part of a `v` key after ``versions(in:)`` into the object key (unescaped)
    /// and the stamp; nil when it is not `escaped(key) 0x00 0x00 stamp(8)`.
    static func splitVersionSuffix(_ suffix: ArraySlice<UInt8>) -> (key: [UInt8], stamp: VersionStamp)? {
        guard suffix.count >= keyTerminator.count + 8,
              let stamp = VersionStamp(descendingBytes: suffix.suffix(8)) else { return nil }
        let body = suffix.dropLast(8)
        var key: [UInt8] = []
        key.reserveCapacity(body.count)
        var i = body.startIndex
        while i < body.endIndex {
            let byte = body[i]
            guard byte == separator else { key.append(byte); i += 1; continue }
            guard i + 1 < body.endIndex else { return nil }
            switch body[i + 1] {
            case separator: return i + 2 == body.endIndex ? (key, stamp) : nil
            case 0x01: key.append(separator); i += 2
            default: return nil
            }
        }
        return nil
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * i)) }
        return bytes
    }

    static func readBigEndian64(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func readBigEndian(_ bytes: some Collection<UInt8>) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The smallest key greater than every key that starts with `prefix` (nil if none exists).
    static func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }

    /// Upper bounds accepted by the validators below.
    static let maxBucketNameBytes = 255
    static let maxUploadIdBytes = 255
    static let maxPartNumber = 10_000
    static let maxChunkIndex = Int(UInt32.max)

    /// Bucket names must be non-empty and free of 0x00 (S3 naming is checked by the S3 layer).
    static func validateBucketName(_ name: String) throws(StorageError) {
        let count = name.utf8.count
        guard count > 0, count <= maxBucketNameBytes, !name.utf8.contains(separator) else {
            throw StorageError(.invalidArgument, "invalid bucket name (\(count) bytes)")
        }
    }

    /// Upload ids must be non-empty printable ASCII (generated by the S3 layer).
    static func validateUploadId(_ id: String) throws(StorageError) {
        let count = id.utf8.count
        guard count > 0, count <= maxUploadIdBytes, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw StorageError(.invalidArgument, "invalid upload id (\(count) bytes)")
        }
    }

    static func validatePartNumber(_ number: Int) throws(StorageError) {
        guard number >= 1, number <= maxPartNumber else {
            throw StorageError(.invalidArgument, "part number \(number) out of range 1...\(maxPartNumber)")
        }
    }
}

/// The built-in key service's part of the key layout (same frozen table as ``KeyLayout``).
public enum KMSKeyLayout {
    /// `k keyId`: a KMS key record.
    public static func key(_ keyId: String) -> [UInt8] { [KeyLayout.kmsKeyPrefix] + Array(keyId.utf8) }
    /// Prefix of every KMS key record.
    public static let allKeys: [UInt8] = [KeyLayout.kmsKeyPrefix]
    /// `a aliasName`: an alias record.
    public static func alias(_ name: String) -> [UInt8] { [KeyLayout.kmsAliasPrefix] + Array(name.utf8) }
    /// Prefix of every alias record.
    public static let allAliases: [UInt8] = [KeyLayout.kmsAliasPrefix]

    /// The smallest key after every key starting with `prefix`.
    public static func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? { KeyLayout.successor(ofPrefix: prefix) }
}
