/// A key of Coffer's store, parsed: the inverse of ``KeyLayout`` (docs/storage-layout.md), for
/// readers that walk every key of a store rather than look one up, such as `coffer fsck`.
///
/// Parsing is strict: a key is accepted only when encoding what it names gives back the very
/// same bytes (names are valid UTF-8, a bucket is non-empty and free of 0x00, an upload id is
/// printable ASCII, numbers have their fixed width). Anything else is `.invalidRecord` naming
/// the key's prefix, never quoting the key.
public enum StoreKey: Sendable, Hashable {
    /// `b bucket`.
    case bucket(String)
    /// `o bucket 0x00 key`.
    case object(bucket: String, key: String)
    /// `u bucket 0x00 key 0x00 uploadId`.
    case upload(bucket: String, key: String, uploadId: String)
    /// `U uploadId`.
    case uploadIndex(uploadId: String)
    /// `p uploadId 0x00 u32be(number)`.
    case part(uploadId: String, number: Int)
    /// `c blobId u32be(index)`.
    case chunk(BlobID, index: Int)
    /// `g blobId`.
    case blobMarker(BlobID)
    /// `m name` (`m format` is the only one a store of format 1 holds).
    case meta(String)
    /// `k keyId`.
    case kmsKey(String)
    /// `a aliasName`.
    case kmsAlias(String)
    /// `r noteId`.
    case note(String)
    /// `d bucket 0x00 key`: a delete marker that is its key's current version.
    case currentMarker(bucket: String, key: String)
    /// `v bucket 0x00 escaped(key) 0x00 0x00 ~stamp`: a noncurrent version.
    case version(bucket: String, key: String, stamp: VersionStamp)
    /// `n bucket 0x00 key`: where the null version is while it is under `v`.
    case nullVersion(bucket: String, key: String)

    /// The kinds of key, one per prefix byte.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case bucket, object, upload, uploadIndex, part, chunk, blobMarker, meta, kmsKey, kmsAlias, note
        case currentMarker, version, nullVersion

        /// The prefix byte every key of this kind starts with.
        public var prefix: UInt8 {
            switch self {
            case .bucket: KeyLayout.bucketPrefix
            case .object: KeyLayout.objectPrefix
            case .upload: KeyLayout.uploadPrefix
            case .uploadIndex: KeyLayout.uploadIndexPrefix
            case .part: KeyLayout.partPrefix
            case .chunk: KeyLayout.chunkPrefix
            case .blobMarker: KeyLayout.blobMarkerPrefix
            case .meta: KeyLayout.metaPrefix
            case .kmsKey: KeyLayout.kmsKeyPrefix
            case .kmsAlias: KeyLayout.kmsAliasPrefix
            case .note: KeyLayout.notePrefix
            case .currentMarker: KeyLayout.currentMarkerPrefix
            case .version: KeyLayout.versionPrefix
            case .nullVersion: KeyLayout.nullVersionPrefix
            }
        }

        /// The kind whose keys start with `prefix`, or nil for a byte no key starts with.
        public init?(prefix: UInt8) {
            guard let kind = Self.allCases.first(where: { $0.prefix == prefix }) else { return nil }
            self = kind
        }
    }

    /// The name of `m format`, the key holding the store format.
    public static let formatName = "format"

    /// The store format this build reads and writes (the value of `m format`).
    public static var storeFormat: UInt32 { KeyLayout.formatVersion }

    /// The store format in a value of `m format`, or nil when it is not 4 bytes.
    public static func storeFormat(in value: [UInt8]) -> UInt32? { KeyLayout.readBigEndian(value) }

    /// The kind of this key.
    public var kind: Kind {
        switch self {
        case .bucket: .bucket
        case .object: .object
        case .upload: .upload
        case .uploadIndex: .uploadIndex
        case .part: .part
        case .chunk: .chunk
        case .blobMarker: .blobMarker
        case .meta: .meta
        case .kmsKey: .kmsKey
        case .kmsAlias: .kmsAlias
        case .note: .note
        case .currentMarker: .currentMarker
        case .version: .version
        case .nullVersion: .nullVersion
        }
    }

    /// The stored key bytes.
    public var bytes: [UInt8] {
        switch self {
        case .bucket(let name): KeyLayout.bucket(name)
        case .object(let bucket, let key): KeyLayout.object(bucket: bucket, key: key)
        case .upload(let bucket, let key, let uploadId): KeyLayout.upload(bucket: bucket, key: key, uploadId: uploadId)
        case .uploadIndex(let uploadId): KeyLayout.uploadIndex(uploadId)
        case .part(let uploadId, let number): KeyLayout.part(uploadId: uploadId, number: number)
        case .chunk(let blob, let index): KeyLayout.chunk(blob: blob, index: index)
        case .blobMarker(let blob): KeyLayout.blobMarker(blob)
        case .meta(let name): [KeyLayout.metaPrefix] + Array(name.utf8)
        case .kmsKey(let id): KMSKeyLayout.key(id)
        case .kmsAlias(let name): KMSKeyLayout.alias(name)
        case .note(let id): KeyLayout.note(id)
        case .currentMarker(let bucket, let key): KeyLayout.currentMarker(bucket: bucket, key: key)
        case .version(let bucket, let key, let stamp): KeyLayout.version(bucket: bucket, key: key, stamp: stamp)
        case .nullVersion(let bucket, let key): KeyLayout.nullVersion(bucket: bucket, key: key)
        }
    }

    /// Parses stored key bytes; `.invalidRecord` for an unknown prefix or a malformed key.
    public init(parsing bytes: [UInt8]) throws(StorageError) {
        guard let first = bytes.first, let kind = Kind(prefix: first) else {
            throw StorageError(.invalidRecord, "a key starts with \(bytes.first.map { Self.describe(prefix: $0) } ?? "nothing"), which no record uses")
        }
        guard let parsed = Self.parse(kind, bytes.dropFirst()), parsed.bytes == bytes else {
            throw StorageError(.invalidRecord, "a \(kind.rawValue) key (prefix \(Self.describe(prefix: first))) is malformed")
        }
        self = parsed
    }

    /// A prefix byte for messages: `'o'` for a printable byte, `0x07` for another.
    public static func describe(prefix byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let digits = Array("0123456789abcdef")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// The key `kind` with its prefix removed as `body`; nil when it cannot be one. The caller
    /// checks that encoding the result gives the same bytes back.
    private static func parse(_ kind: Kind, _ body: ArraySlice<UInt8>) -> StoreKey? {
        switch kind {
        case .bucket:
            return text(body).map { .bucket($0) }
        case .object:
            guard let cut = body.firstIndex(of: KeyLayout.separator), let bucket = text(body[..<cut]),
                  let key = text(body[(cut + 1)...]) else { return nil }
            return .object(bucket: bucket, key: key)
        case .upload:
            guard let cut = body.firstIndex(of: KeyLayout.separator), let bucket = text(body[..<cut]),
                  let rest = KeyLayout.splitUploadSuffix(body[(cut + 1)...]),
                  let key = text(rest.key), let uploadId = text(rest.uploadId) else { return nil }
            return .upload(bucket: bucket, key: key, uploadId: uploadId)
        case .uploadIndex:
            return text(body).map { .uploadIndex(uploadId: $0) }
        case .part:
            guard body.count > 5, body[body.endIndex - 5] == KeyLayout.separator, let uploadId = text(body.dropLast(5)),
                  let number = KeyLayout.readBigEndian(body.suffix(4)) else { return nil }
            return .part(uploadId: uploadId, number: Int(number))
        case .chunk:
            guard body.count == 20, let blob = BlobID(bytes: Array(body.prefix(16))),
                  let index = KeyLayout.readBigEndian(body.suffix(4)) else { return nil }
            return .chunk(blob, index: Int(index))
        case .blobMarker:
            return BlobID(bytes: Array(body)).map { .blobMarker($0) }
        case .meta:
            return text(body).map { .meta($0) }
        case .kmsKey:
            return text(body).map { .kmsKey($0) }
        case .kmsAlias:
            return text(body).map { .kmsAlias($0) }
        case .note:
            return text(body).map { .note($0) }
        case .currentMarker, .nullVersion:
            guard let cut = body.firstIndex(of: KeyLayout.separator), let bucket = text(body[..<cut]),
                  let key = text(body[(cut + 1)...]) else { return nil }
            return kind == .currentMarker ? .currentMarker(bucket: bucket, key: key) : .nullVersion(bucket: bucket, key: key)
        case .version:
            guard let cut = body.firstIndex(of: KeyLayout.separator), let bucket = text(body[..<cut]),
                  let rest = KeyLayout.splitVersionSuffix(body[(cut + 1)...]), let key = text(rest.key[...]) else { return nil }
            return .version(bucket: bucket, key: key, stamp: rest.stamp)
        }
    }

    /// Non-empty valid UTF-8 as a string.
    private static func text(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.isEmpty else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// The state a `g blobId` marker records (docs/storage-layout.md, "Blobs and their lifecycle").
public enum BlobMarkerState: Sendable, Hashable {
    /// Written before the blob's first package; a commit that references the blob removes it.
    case pending
    /// The blob's record was replaced or deleted: its packages are being reclaimed.
    case garbage

    /// The state a marker's value records, or nil for any other value. A pending marker of a
    /// shared store names its node after the state byte (``ObjectStore/Options/node``).
    public init?(value: [UInt8]) {
        switch value.first {
        case KeyLayout.BlobState.pending.rawValue: self = .pending
        case KeyLayout.BlobState.garbage.rawValue where value.count == 1: self = .garbage
        default: return nil
        }
    }
}

/// The value of a `U uploadId` key: where an upload's record is.
public struct UploadIndexEntry: Sendable, Hashable {
    /// The upload's bucket.
    public var bucket: String
    /// The upload's object key.
    public var key: String

    /// Decodes a stored value; `.invalidRecord` (or `.unsupportedRecordVersion`) otherwise.
    public init(encoded bytes: some Collection<UInt8>) throws(StorageError) {
        let record = try UploadIndexRecord(encoded: bytes)
        bucket = record.bucket
        key = record.key
    }
}
