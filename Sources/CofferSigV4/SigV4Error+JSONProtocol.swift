extension SigV4Error {
    /// The one mapping of SigV4 failures to the AWS JSON protocols' errors (KMS, CloudTrail):
    /// the `__type` and message such a service answers, always with status 400.
    public func jsonProtocolError(service: String) -> (type: String, message: String) {
        switch code {
        case .invalidAccessKeyId:
            ("UnrecognizedClientException", "The security token included in the request is invalid.")
        case .signatureDoesNotMatch:
            ("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        case .requestTimeTooSkewed, .expired:
            ("InvalidSignatureException", "Signature expired: the request time is too far from the server time.")
        case .wrongService:
            ("InvalidSignatureException", "Credential should be scoped to correct service: '\(service)'. ")
        case .authorizationHeaderMalformed, .authorizationQueryParametersError, .accessDenied, .invalidArgument, .invalidRequest,
             .notImplemented, .xAmzContentSHA256Mismatch, .invalidChunkSizeError, .malformedTrailerError, .incompleteBody:
            ("IncompleteSignatureException", message ?? "The request signature does not conform to AWS standards.")
        }
    }
}
