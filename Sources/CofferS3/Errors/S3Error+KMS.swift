import CofferKMS

extension S3Error {
    /// How S3 answers a key-service failure during an S3 request: KMS's exception with a
    /// `KMS.` prefix (400), AccessDenied (403) when the key service refuses the caller, and
    /// 503 when the key service cannot be reached (nothing was written).
    init(kms error: KMSError) {
        switch error.code {
        case .disabled: self.init(.kmsDisabled, error.message)
        case .invalidState: self.init(.kmsInvalidState, error.message)
        case .notFound: self.init(.kmsNotFound, error.message.isEmpty ? "Invalid keyId" : error.message)
        case .invalidCiphertext: self.init(.kmsInvalidCiphertext, "The ciphertext refers to a key that does not exist or that you do not have access to, or its encryption context does not match.")
        case .incorrectKey: self.init(.kmsIncorrectKey, error.message)
        case .validation, .invalidArn, .invalidAliasName: self.init(.kmsValidation, error.message)
        case .invalidKeyUsage: self.init(.kmsInvalidKeyUsage, error.message)
        case .accessDenied, .unrecognizedClient, .invalidSignature: self.init(.accessDenied)
        case .throttling: self.init(.kmsThrottling, "The key service is throttling requests; retry later.")
        case .unavailable, .dependencyTimeout: self.init(.serviceUnavailable, "The key service is unavailable. Retry later.")
        default: self.init(.kmsInternal, "The key service failed; nothing was written.")
        }
    }
}
