import Foundation

/// A parameter value of a key-service call as the audit trail records it. There is
/// deliberately no case for bytes: plaintext, data keys and ciphertext blobs cannot be
/// expressed, so they cannot reach the trail.
public enum KMSParam: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case map([String: String])
    case strings([String])
}

/// One key-service call, allowed or refused, as the audit trail needs it
/// (docs/audit-trail.md maps it to a CloudTrail record).
public struct KMSCallRecord: Sendable {
    /// The KMS operation name: `GenerateDataKey`, `Decrypt`, `CreateKey`...
    public var eventName: String
    public var eventTime: Date
    public var caller: KMSCaller
    /// ARNs of the KMS keys the call used or named (CloudTrail `resources`).
    public var keyArns: [String]
    public var requestParameters: [String: KMSParam]
    public var responseElements: [String: KMSParam]?
    public var error: KMSError?
    public var readOnly: Bool

    public init(eventName: String, eventTime: Date, caller: KMSCaller, keyArns: [String], requestParameters: [String: KMSParam],
                responseElements: [String: KMSParam]? = nil, error: KMSError? = nil, readOnly: Bool) {
        self.eventName = eventName
        self.eventTime = eventTime
        self.caller = caller
        self.keyArns = keyArns
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.error = error
        self.readOnly = readOnly
    }
}

/// Where key-service calls are recorded. `record` returns only once the record is written;
/// when it throws, the call's result must not be used (no key use without a record).
public protocol KMSAuditSink: Sendable {
    func record(_ call: KMSCallRecord) throws
}

/// Records nothing: for tests of the key service alone and for tools that only read.
public struct NoAudit: KMSAuditSink {
    public init() {}
    public func record(_ call: KMSCallRecord) throws {}
}

/// Wraps any key service so that every call made through the `KeyService` protocol (S3's
/// SSE-KMS calls) is recorded before its result is handed back. If the record cannot be
/// written, the result is dropped (and a data key zeroed) and the call fails.
public struct AuditedKeyService: KeyService {
    public let inner: any KeyService
    public let sink: any KMSAuditSink
    let clock: @Sendable () -> Date

    public init(_ inner: any KeyService, sink: any KMSAuditSink, clock: @escaping @Sendable () -> Date = Date.init) {
        self.inner = inner
        self.sink = sink
        self.clock = clock
    }

    private func audit<R>(_ name: String, caller: KMSCaller, keyArns: (R?) -> [String], parameters: [String: KMSParam],
                          response: (R) -> [String: KMSParam]? = { _ in nil }, _ call: () async throws -> R) async throws -> R {
        let time = clock()
        do {
            let result = try await call()
            try write(KMSCallRecord(eventName: name, eventTime: time, caller: caller, keyArns: keyArns(result), requestParameters: parameters,
                                    responseElements: response(result), readOnly: true))
            return result
        } catch {
            let error = error as? KMSError ?? KMSError(.internalFailure, "key service failure")
            try write(KMSCallRecord(eventName: name, eventTime: time, caller: caller, keyArns: keyArns(nil), requestParameters: parameters,
                                    error: error, readOnly: true))
            throw error
        }
    }

    private func write(_ record: KMSCallRecord) throws {
        do { try sink.record(record) } catch {
            throw KMSError(.internalFailure, "the audit trail could not record the \(record.eventName) call; the key was not used")
        }
    }

    public func generateDataKey(_ request: GenerateDataKeyRequest) async throws -> GenerateDataKeyResult {
        try await audit("GenerateDataKey", caller: request.caller, keyArns: { $0.map { [$0.keyArn] } ?? [] },
                        parameters: Self.generateDataKeyParameters(request)) {
            try await inner.generateDataKey(request)
        }
    }

    /// As CloudTrail records S3's calls: `keySpec` for the standard sizes, else `numberOfBytes`.
    static func generateDataKeyParameters(_ request: GenerateDataKeyRequest) -> [String: KMSParam] {
        var parameters: [String: KMSParam] = ["keyId": .string(request.keyId), "encryptionContext": .map(request.encryptionContext)]
        switch request.numberOfBytes {
        case 32: parameters["keySpec"] = .string("AES_256")
        case 16: parameters["keySpec"] = .string("AES_128")
        default: parameters["numberOfBytes"] = .int(request.numberOfBytes)
        }
        return parameters
    }

    public func decrypt(_ request: DecryptRequest) async throws -> DecryptResult {
        var parameters: [String: KMSParam] = ["encryptionContext": .map(request.encryptionContext), "encryptionAlgorithm": .string("SYMMETRIC_DEFAULT")]
        if let keyId = request.keyId { parameters["keyId"] = .string(keyId) }
        return try await audit("Decrypt", caller: request.caller, keyArns: { $0.map { [$0.keyArn] } ?? [] }, parameters: parameters) {
            try await inner.decrypt(request)
        }
    }

    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        var parameters: [String: KMSParam] = ["destinationKeyId": .string(request.destinationKeyId),
                                              "sourceEncryptionContext": .map(request.sourceEncryptionContext),
                                              "destinationEncryptionContext": .map(request.destinationEncryptionContext)]
        if let source = request.sourceKeyId { parameters["sourceKeyId"] = .string(source) }
        return try await audit("ReEncrypt", caller: request.caller, keyArns: { $0.map { [$0.sourceKeyArn, $0.keyArn] } ?? [] }, parameters: parameters) {
            try await inner.reEncrypt(request)
        }
    }

    public func describeKey(_ request: DescribeKeyRequest) async throws -> KeyMetadata {
        try await audit("DescribeKey", caller: request.caller, keyArns: { $0.map { [$0.Arn] } ?? [] }, parameters: ["keyId": .string(request.keyId)]) {
            try await inner.describeKey(request)
        }
    }
}
