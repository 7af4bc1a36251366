import Foundation
import CofferStorage

extension S3Error {
    /// The S3 answer to a storage failure that no handler mapped more precisely. Internal
    /// failures become InternalError; their detail goes to the log, never to the client.
    public init(storage error: StorageError, key: String? = nil, bucket: String? = nil, precondition: WritePrecondition = .none) {
        switch error.code {
        case .noSuchBucket: self.init(.noSuchBucket, extra: bucket.map { [("BucketName", $0)] } ?? [])
        case .noSuchUpload: self.init(.noSuchUpload)
        case .bucketNotEmpty: self.init(.bucketNotEmpty)
        case .bucketExists: self.init(.bucketAlreadyExists)
        case .invalidPart: self.init(.invalidPart)
        case .preconditionFailed:
            let condition = precondition == .absent ? "If-None-Match" : "If-Match"
            self.init(.preconditionFailed, extra: [("Condition", condition)])
        case .notFound: self.init(.noSuchKey, extra: key.map { [("Key", $0)] } ?? [])
        case .objectLocked: self.init(.accessDenied, S3Error.objectLockedMessage)
        case .invalidBucketState:
            self.init(.invalidBucketState, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
        case .objectLockNotEnabled: self.init(.invalidRequest, "Bucket is missing Object Lock Configuration")
        // Concurrent writers kept changing what a commit read, past its retries.
        case .conditionFailed: self.init(.operationAborted)
        // A read view of a shared store (RADOS) kept expiring under concurrent commits.
        case .snapshotExpired: self.init(.slowDown)
        default: self.init(.internalError)
        }
    }

    public var isInternal: Bool { code == .internalError }

    /// S3's message for a removal or change that Object Lock forbids.
    static let objectLockedMessage = "Access Denied because object protected by object lock."
}

extension WritePrecondition {
    /// Fails fast, before any byte of the body is stored; the commit checks again atomically.
    func checkEarly(_ current: ObjectRecord?, key: String) throws(S3Error) {
        do {
            try check(current)
        } catch {
            throw S3Error(storage: error, key: key, precondition: self)
        }
    }
}
