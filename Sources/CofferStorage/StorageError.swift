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
    }

    /// The error's category.
    public var code: Code
    /// A human-readable explanation; never contains value bytes or secrets.
    public var message: String
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error; the location defaults to the caller's.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        "StorageError.\(code.rawValue): \(message) (\(file):\(line))"
    }
}
