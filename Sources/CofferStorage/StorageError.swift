/// The one error type of `CofferStorage`.
///
/// Shaped like SwiftNIO's error structs: a stable ``Code`` to switch on, a human message, and
/// the source location that raised it. Messages never contain stored value bytes.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in a form callers can map to protocol errors.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// LevelDB or the file system reported an I/O failure.
        case io
        /// Stored data failed a consistency check (LevelDB corruption or a missing chunk).
        case corruption
        /// LevelDB reported that something it needed does not exist.
        case notFound
        /// A caller passed an argument the store cannot accept (empty bucket name, bad range...).
        case invalidArgument
        /// `deleteBucket` found objects or in-progress multipart uploads.
        case bucketNotEmpty
        /// `createBucket` found a bucket with that name.
        case bucketExists
        /// The bucket named in the operation does not exist.
        case noSuchBucket
        /// The multipart upload named in the operation does not exist (or was completed/aborted).
        case noSuchUpload
        /// A part named by a completion is missing or was replaced after the caller read it.
        case invalidPart
        /// A stored or supplied record is malformed or references blobs it may not reference.
        case invalidRecord
        /// A stored record carries a record-format version this build does not understand.
        case unsupportedRecordVersion
        /// The database was written by an incompatible store format.
        case unsupportedFormat
        /// A conditional write's precondition did not hold.
        case preconditionFailed
        /// A condition of a metadata commit did not hold (``key`` names it): nothing was
        /// written. ``ObjectStore`` retries such conflicts a bounded number of times.
        case conditionFailed
        /// A snapshot of a store that cannot pin one (RADOS) was read after a commit changed
        /// the store: the view refuses to answer rather than mix two states. Callers take a new
        /// snapshot (``ObjectStore`` does, a bounded number of times).
        case snapshotExpired
        /// A name that must be new is taken (an audit sink segment is never created twice).
        case alreadyExists
        /// Another writer holds a store's one writer role (an audit sink's writer).
        case writerActive
        /// The object version named is a delete marker, which has no body, metadata or tags
        /// (S3 answers 405 MethodNotAllowed).
        case deleteMarker
        /// Object Lock protects the version from the removal or the retention change asked
        /// for; ``StorageError/protection`` says how (S3: 403 AccessDenied "Access Denied
        /// because object protected by object lock.").
        case objectLocked
        /// The bucket's state forbids the change: an Object Lock configuration for a bucket
        /// created without Object Lock, or suspending versioning of a bucket with it (S3: 409
        /// InvalidBucketState).
        case invalidBucketState
        /// A retention or legal hold change in a bucket without Object Lock (S3: 400
        /// InvalidRequest "Bucket is missing Object Lock Configuration").
        case objectLockNotEnabled
    }

    /// The error's category.
    public var code: Code
    /// A human-readable explanation; never contains value bytes or secrets.
    public var message: String
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int
    /// For `.conditionFailed`: the key (or prefix) of the condition that failed.
    public var key: [UInt8]?
    /// For `.objectLocked`: what protects the version.
    public var protection: ObjectLockProtection?

    /// Creates an error; the location defaults to the caller's.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.key = nil
        self.protection = nil
    }

    /// The error of a removal or retention change that `protection` forbids.
    public static func objectLocked(_ protection: ObjectLockProtection, file: String = #fileID, line: Int = #line) -> StorageError {
        var error = StorageError(.objectLocked, "the version is protected by Object Lock (\(protection))", file: file, line: line)
        error.protection = protection
        return error
    }

    /// The error of a commit whose `condition` did not hold.
    public static func conditionFailed(_ condition: MetadataCondition, file: String = #fileID, line: Int = #line) -> StorageError {
        let name = printable(condition.key)
        let message = switch condition {
        case .absent: "key \(name) is not absent"
        case .present: "key \(name) is not present"
        case .equals: "key \(name) changed"
        case .keyCount(_, let count): "prefix \(name) does not hold exactly \(count) keys"
        }
        var error = StorageError(.conditionFailed, message, file: file, line: line)
        error.key = condition.key
        return error
    }

    /// A key for messages: printable ASCII kept, other bytes as `\xNN`, at most 80 bytes shown.
    /// Keys name buckets, objects, uploads and blobs; they never hold secrets.
    public static func printable(_ key: [UInt8]) -> String {
        var text = ""
        for byte in key.prefix(80) {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789abcdef")
                text += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0F)])
            }
        }
        return key.count > 80 ? text + "..." : text
    }

    public var description: String {
        "StorageError.\(code.rawValue): \(message) (\(file):\(line))"
    }
}
