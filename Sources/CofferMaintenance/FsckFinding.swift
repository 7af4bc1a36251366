/// One thing `coffer fsck` found wrong: its kind, what it concerns and a sentence for people.
///
/// A finding names buckets, object keys, upload ids, part numbers, blob ids, KMS key ids,
/// aliases, files and store keys; it never carries object bytes or key material.
public struct FsckFinding: Sendable, Hashable, Codable {
    /// The kinds of finding (docs/fsck.md, "What it checks").
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// LevelDB refused a read (a block checksum mismatch, an I/O error), or the database
        /// could not be opened at all.
        case storeUnreadable
        /// `m format` is missing or names a store format this build does not know.
        case storeFormat
        /// A key under a prefix no record uses, or a `m` key other than `m format`.
        case unknownKey
        /// A key under a known prefix that does not parse (wrong length, not UTF-8, ...).
        case malformedKey
        /// A value that does not decode as its record type (broken JSON, unknown version).
        case malformedRecord
        /// A record whose fields disagree with its key (bucket, key, upload id, part number).
        case recordKeyMismatch
        /// An object or upload whose bucket record is missing.
        case bucketMissing
        /// An upload record without its `U` index entry, or with one naming another object.
        case uploadIndexMissing
        /// A `U` index entry without the upload record it names.
        case uploadRecordMissing
        /// A part whose upload does not exist.
        case partWithoutUpload
        /// Sizes that do not add up: an object's size and its segments, its parts summary,
        /// a blob's chunk count and its size.
        case sizeMismatch
        /// A blob reference without a valid seal header, or whose header binds another part
        /// number than its record gives it.
        case sealHeaderInvalid
        /// A chunk in `0..<chunkCount` of a referenced blob is not stored.
        case chunkMissing
        /// A chunk at or past `chunkCount` of a referenced blob is stored.
        case chunkExtra
        /// A stored package whose length cannot be that of its place in the blob.
        case packageLength
        /// A package that does not open: GCM tag, package number, final flag, object or version
        /// identity.
        case packageDoesNotOpen
        /// An object version whose version nonce is not the random part of its version id (its
        /// record was given another version's): its format 2 packages open as no version.
        case versionNonceMismatch
        /// An `n` entry that names no null version under `v`, or a null version under `v`
        /// without its `n` entry (a read of `versionId=null` would not find it).
        case nullVersionIndex
        /// An object or upload record without encryption (the S3 layer refuses to serve it).
        case encryptionMissing
        /// A data key that does not open with the keys that should open it.
        case dataKeyDoesNotOpen
        /// An SSE-S3 data key (or KMS material) sealed under a root key version the keyring lacks.
        case rootKeyVersionMissing
        /// An SSE-KMS object whose key is not in the built-in key store (and no remote key
        /// service is configured).
        case kmsKeyMissing
        /// A KMS key version whose material does not open with the root keys.
        case kmsMaterialDoesNotOpen
        /// A KMS alias naming a key that does not exist.
        case aliasTargetMissing
        /// A blob referenced by two records.
        case blobReferencedTwice
        /// A stored blob that no record references and no `g` marker names.
        case orphanBlob
        /// A `g` marker (pending or garbage) on a blob a record references: the next start
        /// would delete a committed blob.
        case markedBlobInUse
        /// A `g` marker whose value is neither pending nor garbage.
        case markerInvalid
        /// The SSE-S3 root key file is missing or does not load.
        case rootKeysUnavailable
        /// The audit trail does not verify (or cannot be read).
        case auditTrail
    }

    /// What a finding concerns. Only the members that apply are set.
    public struct Subject: Sendable, Hashable, Codable {
        public var bucket: String?
        public var key: String?
        public var uploadId: String?
        public var part: Int?
        /// A blob id, 32 hex digits.
        public var blob: String?
        /// A chunk index within `blob`.
        public var chunk: Int?
        public var kmsKeyId: String?
        public var alias: String?
        /// A file of the data directory (relative to it), e.g. an audit log file.
        public var file: String?
        /// A store key that names nothing else, printable (bytes outside ASCII as `\xNN`).
        public var storeKey: String?

        public init(bucket: String? = nil, key: String? = nil, uploadId: String? = nil, part: Int? = nil, blob: String? = nil, chunk: Int? = nil,
                    kmsKeyId: String? = nil, alias: String? = nil, file: String? = nil, storeKey: String? = nil) {
            self.bucket = bucket
            self.key = key
            self.uploadId = uploadId
            self.part = part
            self.blob = blob
            self.chunk = chunk
            self.kmsKeyId = kmsKeyId
            self.alias = alias
            self.file = file
            self.storeKey = storeKey
        }
    }

    public var kind: Kind
    public var subject: Subject
    /// What is wrong, in a sentence; never object bytes or key material.
    public var message: String

    public init(_ kind: Kind, _ subject: Subject, _ message: String) {
        self.kind = kind
        self.subject = subject
        self.message = message
    }
}

/// A remark of `coffer fsck` that is not a finding: state a stopped server leaves after a
/// crash and repairs at its next start, or what could not be checked offline.
public struct FsckNotice: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Blobs with a `pending` marker: a write interrupted before its commit.
        case pendingBlobs
        /// Blobs with a `garbage` marker: reclamation interrupted.
        case garbageBlobs
        /// Audit notes (`r` keys): committed writes whose record the server hands to the trail at its next start.
        case auditNotes
        /// The trail's newest file, not yet covered by a digest.
        case auditActiveFile
        /// Objects or uploads whose packages were checked without opening them.
        case notOpened
        /// Table files in `db/` the MANIFEST does not list (moved aside at the next start).
        case unlistedTables
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
