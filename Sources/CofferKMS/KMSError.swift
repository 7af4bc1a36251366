/// An error as AWS KMS reports it: the exception name that travels in `__type`, a message
/// for people, and the HTTP status. Messages never contain key material or plaintext.
public struct KMSError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notFound = Code(rawValue: "NotFoundException")
        public static let disabled = Code(rawValue: "DisabledException")
        public static let invalidState = Code(rawValue: "KMSInvalidStateException")
        public static let invalidCiphertext = Code(rawValue: "InvalidCiphertextException")
        public static let incorrectKey = Code(rawValue: "IncorrectKeyException")
        public static let validation = Code(rawValue: "ValidationException")
        public static let accessDenied = Code(rawValue: "AccessDeniedException")
        public static let alreadyExists = Code(rawValue: "AlreadyExistsException")
        public static let invalidAliasName = Code(rawValue: "InvalidAliasNameException")
        public static let invalidArn = Code(rawValue: "InvalidArnException")
        public static let invalidKeyUsage = Code(rawValue: "InvalidKeyUsageException")
        public static let invalidMarker = Code(rawValue: "InvalidMarkerException")
        public static let malformedPolicyDocument = Code(rawValue: "MalformedPolicyDocumentException")
        public static let unsupportedOperation = Code(rawValue: "UnsupportedOperationException")
        public static let limitExceeded = Code(rawValue: "LimitExceededException")
        public static let internalFailure = Code(rawValue: "KMSInternalException")
        public static let dependencyTimeout = Code(rawValue: "DependencyTimeoutException")
        public static let throttling = Code(rawValue: "ThrottlingException")
        public static let unrecognizedClient = Code(rawValue: "UnrecognizedClientException")
        public static let invalidSignature = Code(rawValue: "InvalidSignatureException")
        public static let unknownOperation = Code(rawValue: "UnknownOperationException")
        public static let serialization = Code(rawValue: "SerializationException")
        /// The key service could not be reached or answered garbage (not an AWS code; S3
        /// answers such failures with 503/500, see `S3Error.kms`).
        public static let unavailable = Code(rawValue: "KMSUnavailable")
    }

    public var code: Code
    public var message: String
    public var httpStatus: Int

    public init(_ code: Code, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus ?? KMSError.defaultStatus(code)
    }

    static func defaultStatus(_ code: Code) -> Int {
        switch code {
        case .notFound: 400
        case .internalFailure: 500
        case .dependencyTimeout: 503
        case .unavailable: 503
        case .unknownOperation: 400
        default: 400
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
