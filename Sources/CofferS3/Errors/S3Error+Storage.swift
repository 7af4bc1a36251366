import CofferStorage

extension S3Error {
    /// The S3 answer to a storage failure that no handler mapped more precisely. Internal
    /// failures become InternalError; their detail goes to the log, never to the client.
    init(storage error: StorageError) {
        switch error.code {
        case .noSuchBucket: self.init(.noSuchBucket)
        case .noSuchUpload: self.init(.noSuchUpload)
        case .bucketNotEmpty: self.init(.bucketNotEmpty)
        case .bucketExists: self.init(.bucketAlreadyExists)
        case .invalidPart: self.init(.invalidPart)
        default: self.init(.internalError)
        }
    }

    var isInternal: Bool { code == .internalError }
}
