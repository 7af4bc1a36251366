import CofferSigV4

extension S3Error {
    /// The one mapping of SigV4, payload-hash and aws-chunked failures to S3's errors: the code
    /// S3 answers, SigV4's message (or S3's default for the code), and its detail elements.
    public init(_ error: SigV4Error) {
        self.init(Self.code(for: error), error.message, extra: error.details)
    }

    static func code(for error: SigV4Error) -> S3ErrorCode {
        switch error.code {
        case .authorizationHeaderMalformed: .authorizationHeaderMalformed
        case .authorizationQueryParametersError: .authorizationQueryParametersError
        case .wrongService: error.source == .query ? .authorizationQueryParametersError : .authorizationHeaderMalformed
        case .invalidAccessKeyId: .invalidAccessKeyId
        case .signatureDoesNotMatch: .signatureDoesNotMatch
        case .requestTimeTooSkewed: .requestTimeTooSkewed
        case .expired, .accessDenied: .accessDenied
        case .invalidArgument: .invalidArgument
        case .invalidRequest: .invalidRequest
        case .notImplemented: .notImplemented
        case .xAmzContentSHA256Mismatch: .xAmzContentSHA256Mismatch
        case .invalidChunkSizeError: .invalidChunkSizeError
        case .malformedTrailerError: .malformedTrailerError
        case .incompleteBody: .incompleteBody
        }
    }
}
