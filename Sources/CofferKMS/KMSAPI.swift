import CofferCrypto
import Foundation

/// The AWS KMS JSON API on Coffer's endpoint: one request body in, one response out, for
/// `X-Amz-Target: TrentService.<Operation>`. The HTTP layer authenticates the caller
/// (SigV4, service `kms`) and hands the rest here. Every call, allowed or refused, is
/// recorded in the audit trail before its answer leaves; if that fails, the answer is a
/// KMSInternalException and no key material leaves.
public struct KMSAPI: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var errorCode: String?
    }

    public let service: BuiltInKeyService
    public let sink: any KMSAuditSink
    let clock: @Sendable () -> Date

    public init(service: BuiltInKeyService, sink: any KMSAuditSink, clock: @escaping @Sendable () -> Date = Date.init) {
        self.service = service
        self.sink = sink
        self.clock = clock
    }

    /// Operations that only read (CloudTrail's `readOnly`).
    static let readOnly: Set<String> = ["Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt",
                                        "DescribeKey", "ListKeys", "ListAliases", "GetKeyRotationStatus", "ListKeyRotations", "GetKeyPolicy", "ListKeyPolicies"]

    /// What one operation produced: the response object and what the audit record says.
    struct Outcome {
        var response: any Encodable
        var keyArns: [String]
        var responseElements: [String: KMSParam]?
    }

    public func handle(target: String?, body: [UInt8], caller: KMSCaller) -> Response {
        guard let target, target.hasPrefix(KMSWire.targetPrefix) else {
            return error(KMSError(.unknownOperation, ""), status: 400)
        }
        let operation = String(target.dropFirst(KMSWire.targetPrefix.count))
        var parameters: [String: KMSParam] = [:]
        var keyArns: [String] = []
        let time = clock()
        let outcome: Result<Outcome, KMSError>
        do throws(KMSError) {
            guard let handler = Self.handlers[operation] else { throw KMSError(.unknownOperation, "") }
            outcome = .success(try handler(Call(api: self, caller: caller), body.isEmpty ? Array("{}".utf8) : body, &parameters, &keyArns))
        } catch {
            outcome = .failure(error)
        }
        var record = KMSCallRecord(eventName: operation, eventTime: time, caller: caller, keyArns: keyArns, requestParameters: parameters,
                                   readOnly: Self.readOnly.contains(operation))
        switch outcome {
        case .success(let done):
            record.keyArns = done.keyArns.isEmpty ? keyArns : done.keyArns
            record.responseElements = done.responseElements
        case .failure(let failure):
            record.error = failure
        }
        // Unknown operations are not key-service calls; everything else is on record first.
        if Self.handlers[operation] != nil {
            do { try sink.record(record) } catch {
                return self.error(KMSError(.internalFailure, "The request could not be recorded in the audit trail."), status: 500)
            }
        }
        switch outcome {
        case .success(let done):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(done.response) else { return error(KMSError(.internalFailure, ""), status: 500) }
            return Response(status: 200, body: Array(data))
        case .failure(let failure):
            return error(failure, status: failure.httpStatus)
        }
    }

    func error(_ error: KMSError, status: Int) -> Response {
        let body = KMSWire.ErrorBody(__type: error.code.rawValue, message: error.message.isEmpty ? nil : error.message)
        let data = (try? JSONEncoder().encode(body)) ?? Data("{}".utf8)
        return Response(status: status, body: Array(data), errorCode: error.code.rawValue)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws(KMSError) -> T {
        let value: T
        do { value = try JSONDecoder().decode(T.self, from: Data(body)) } catch let decoding as DecodingError {
            switch decoding {
            case .keyNotFound(let key, _):
                throw KMSError(.validation, "1 validation error detected: Value null at '\(lowerFirst(key.stringValue))' failed to satisfy constraint: Member must not be null")
            default:
                throw KMSError(.serialization, "Start of structure or map found where not expected.")
            }
        } catch {
            throw KMSError(.serialization, "Malformed request body")
        }
        if JSONKeyCollision.exists(in: body) {
            throw KMSError(.validation, "Member names that differ only in Unicode normalization (e.g. an encryption context with both \"\u{E9}\" and \"e\u{301}\") are refused: Coffer binds contexts byte for byte and will not merge them")
        }
        return value
    }

    static func lowerFirst(_ s: String) -> String { s.prefix(1).lowercased() + s.dropFirst() }

    static func blob(_ text: String, field: String) throws(KMSError) -> [UInt8] {
        guard let bytes = Base64.decode(text) else { throw KMSError(.serialization, "Base64 encoded \(field) is not valid") }
        return bytes
    }

    /// What a handler is given besides the request body: the API and who is calling.
    struct Call {
        var api: KMSAPI
        var caller: KMSCaller
        var service: BuiltInKeyService { api.service }
    }

    typealias Handler = @Sendable (Call, [UInt8], inout [String: KMSParam], inout [String]) throws(KMSError) -> Outcome

    static let handlers: [String: Handler] = [
        "CreateKey": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.CreateKeyRequest.self, body)
            params["description"] = .string(request.Description ?? "")
            if let usage = request.KeyUsage { params["keyUsage"] = .string(usage) }
            let spec = request.KeySpec ?? request.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT"
            params["keySpec"] = .string(spec)
            guard (request.KeyUsage ?? "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT" else {
                throw KMSError(.validation, "KeyUsage \(request.KeyUsage ?? "") is not supported by Coffer's key service; only ENCRYPT_DECRYPT")
            }
            guard spec == "SYMMETRIC_DEFAULT" else {
                throw KMSError(.validation, "KeySpec \(spec) is not supported by Coffer's key service; only SYMMETRIC_DEFAULT")
            }
            guard (request.Origin ?? "AWS_KMS") == "AWS_KMS" else { throw KMSError(.unsupportedOperation, "Origin \(request.Origin ?? "") is not supported") }
            guard request.MultiRegion != true else { throw KMSError(.unsupportedOperation, "Multi-Region keys are not supported") }
            let meta = try api.service.createKey(description: request.Description ?? "", policy: request.Policy)
            return Outcome(response: KMSWire.KeyMetadataResponse(KeyMetadata: meta), keyArns: [meta.Arn],
                           responseElements: ["keyId": .string(meta.KeyId), "arn": .string(meta.Arn), "keyState": .string(meta.KeyState)])
        },
        "DescribeKey": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.KeyIdOnly.self, body)
            params["keyId"] = .string(request.KeyId)
            let meta = try api.service.describeKeySync(request.KeyId, caller: api.caller)
            return Outcome(response: KMSWire.KeyMetadataResponse(KeyMetadata: meta), keyArns: [meta.Arn])
        },
        "Encrypt": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.EncryptRequest.self, body)
            params["keyId"] = .string(request.KeyId)
            params["encryptionContext"] = .map(request.EncryptionContext ?? [:])
            params["encryptionAlgorithm"] = .string(request.EncryptionAlgorithm ?? "SYMMETRIC_DEFAULT")
            try checkAlgorithm(request.EncryptionAlgorithm)
            let plaintext = SecretBytes(try blob(request.Plaintext, field: "Plaintext"))
            let (ciphertext, arn) = try api.service.encryptSync(keyId: request.KeyId, plaintext: plaintext, context: request.EncryptionContext ?? [:], caller: api.caller)
            return Outcome(response: KMSWire.EncryptResponse(CiphertextBlob: Base64.encode(ciphertext), KeyId: arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"), keyArns: [arn])
        },
        "Decrypt": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.DecryptRequest.self, body)
            if let keyId = request.KeyId { params["keyId"] = .string(keyId) }
            params["encryptionContext"] = .map(request.EncryptionContext ?? [:])
            params["encryptionAlgorithm"] = .string(request.EncryptionAlgorithm ?? "SYMMETRIC_DEFAULT")
            try checkAlgorithm(request.EncryptionAlgorithm)
            let result = try api.service.decryptSync(blob: try blob(request.CiphertextBlob, field: "CiphertextBlob"), context: request.EncryptionContext ?? [:], keyId: request.KeyId, caller: api.caller)
            return Outcome(response: KMSWire.DecryptResponse(KeyId: result.keyArn, Plaintext: Base64.encode(result.plaintext.copyBytes()), EncryptionAlgorithm: "SYMMETRIC_DEFAULT"),
                           keyArns: [result.keyArn])
        },
        "ReEncrypt": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.ReEncryptRequest.self, body)
            params["destinationKeyId"] = .string(request.DestinationKeyId)
            if let source = request.SourceKeyId { params["sourceKeyId"] = .string(source) }
            params["sourceEncryptionContext"] = .map(request.SourceEncryptionContext ?? [:])
            params["destinationEncryptionContext"] = .map(request.DestinationEncryptionContext ?? [:])
            try checkAlgorithm(request.SourceEncryptionAlgorithm)
            try checkAlgorithm(request.DestinationEncryptionAlgorithm)
            let result = try api.service.reEncryptSync(ReEncryptRequest(
                ciphertextBlob: try blob(request.CiphertextBlob, field: "CiphertextBlob"), sourceEncryptionContext: request.SourceEncryptionContext ?? [:],
                sourceKeyId: request.SourceKeyId, destinationKeyId: request.DestinationKeyId,
                destinationEncryptionContext: request.DestinationEncryptionContext ?? [:], caller: api.caller))
            return Outcome(response: KMSWire.ReEncryptResponse(CiphertextBlob: Base64.encode(result.ciphertextBlob), SourceKeyId: result.sourceKeyArn, KeyId: result.keyArn,
                                                               SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT", DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT"),
                           keyArns: [result.sourceKeyArn, result.keyArn])
        },
        "GenerateDataKey": { api, body, params, _ throws(KMSError) in
            try generateDataKey(api, body, &params, withPlaintext: true)
        },
        "GenerateDataKeyWithoutPlaintext": { api, body, params, _ throws(KMSError) in
            try generateDataKey(api, body, &params, withPlaintext: false)
        },
        "ListKeys": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.ListRequest.self, body)
            if let limit = request.Limit { params["limit"] = .int(limit) }
            return Outcome(response: try api.service.listKeys(limit: request.Limit, marker: request.Marker), keyArns: [])
        },
        "ListAliases": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.ListRequest.self, body)
            if let keyId = request.KeyId { params["keyId"] = .string(keyId) }
            if let limit = request.Limit { params["limit"] = .int(limit) }
            return Outcome(response: try api.service.listAliases(keyId: request.KeyId, limit: request.Limit, marker: request.Marker), keyArns: [])
        },
        "CreateAlias": { api, body, params, arns throws(KMSError) in
            let request = try decode(KMSWire.AliasRequest.self, body)
            params["aliasName"] = .string(request.AliasName)
            guard let target = request.TargetKeyId else { throw KMSError(.validation, "1 validation error detected: Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null") }
            params["targetKeyId"] = .string(target)
            try api.service.createAlias(request.AliasName, targetKeyId: target, caller: api.caller)
            return Outcome(response: Empty(), keyArns: [try api.service.resolve(target).arn, api.service.aliasArn(request.AliasName)])
        },
        "UpdateAlias": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.AliasRequest.self, body)
            params["aliasName"] = .string(request.AliasName)
            guard let target = request.TargetKeyId else { throw KMSError(.validation, "1 validation error detected: Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null") }
            params["targetKeyId"] = .string(target)
            try api.service.updateAlias(request.AliasName, targetKeyId: target, caller: api.caller)
            return Outcome(response: Empty(), keyArns: [try api.service.resolve(target).arn, api.service.aliasArn(request.AliasName)])
        },
        "DeleteAlias": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.AliasRequest.self, body)
            params["aliasName"] = .string(request.AliasName)
            try api.service.deleteAlias(request.AliasName, caller: api.caller)
            return Outcome(response: Empty(), keyArns: [api.service.aliasArn(request.AliasName)])
        },
        "EnableKey": { api, body, params, _ throws(KMSError) in
            try keyOperation(api, body, &params) { (id: String) throws(KMSError) in try api.service.enableKey(id, caller: api.caller) }
        },
        "DisableKey": { api, body, params, _ throws(KMSError) in
            try keyOperation(api, body, &params) { (id: String) throws(KMSError) in try api.service.disableKey(id, caller: api.caller) }
        },
        "ScheduleKeyDeletion": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.ScheduleKeyDeletionRequest.self, body)
            params["keyId"] = .string(request.KeyId)
            if let days = request.PendingWindowInDays { params["pendingWindowInDays"] = .int(days) }
            let (meta, days) = try api.service.scheduleKeyDeletion(request.KeyId, pendingWindowInDays: request.PendingWindowInDays, caller: api.caller)
            return Outcome(response: KMSWire.ScheduleKeyDeletionResponse(KeyId: meta.Arn, DeletionDate: meta.DeletionDate ?? 0, KeyState: meta.KeyState, PendingWindowInDays: days),
                           keyArns: [meta.Arn], responseElements: ["keyId": .string(meta.Arn), "keyState": .string(meta.KeyState)])
        },
        "CancelKeyDeletion": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.KeyIdOnly.self, body)
            params["keyId"] = .string(request.KeyId)
            let arn = try api.service.cancelKeyDeletion(request.KeyId, caller: api.caller)
            return Outcome(response: KMSWire.KeyIdOnly(KeyId: arn), keyArns: [arn], responseElements: ["keyId": .string(arn)])
        },
        "EnableKeyRotation": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.EnableKeyRotationRequest.self, body)
            params["keyId"] = .string(request.KeyId)
            if let days = request.RotationPeriodInDays { params["rotationPeriodInDays"] = .int(days) }
            try api.service.enableKeyRotation(request.KeyId, rotationPeriodInDays: request.RotationPeriodInDays, caller: api.caller)
            return Outcome(response: Empty(), keyArns: [try api.service.resolve(request.KeyId).arn])
        },
        "DisableKeyRotation": { api, body, params, _ throws(KMSError) in
            try keyOperation(api, body, &params) { (id: String) throws(KMSError) in try api.service.disableKeyRotation(id, caller: api.caller) }
        },
        "GetKeyRotationStatus": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.KeyIdOnly.self, body)
            params["keyId"] = .string(request.KeyId)
            let status = try api.service.keyRotationStatus(request.KeyId, caller: api.caller)
            return Outcome(response: status, keyArns: [status.KeyId])
        },
        "RotateKeyOnDemand": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.KeyIdOnly.self, body)
            params["keyId"] = .string(request.KeyId)
            let arn = try api.service.rotateKeyOnDemand(request.KeyId, caller: api.caller)
            return Outcome(response: KMSWire.KeyIdOnly(KeyId: arn.split(separator: "/").last.map(String.init) ?? arn), keyArns: [arn])
        },
        "ListKeyRotations": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.ListRequest.self, body)
            guard let keyId = request.KeyId else { throw KMSError(.validation, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null") }
            params["keyId"] = .string(keyId)
            return Outcome(response: try api.service.keyRotations(keyId, limit: request.Limit, marker: request.Marker, caller: api.caller), keyArns: [try api.service.resolve(keyId).arn])
        },
        "PutKeyPolicy": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.PutKeyPolicyRequest.self, body)
            params["keyId"] = .string(request.KeyId)
            params["policyName"] = .string(request.PolicyName ?? "default")
            try api.service.putKeyPolicy(request.KeyId, policyName: request.PolicyName, policy: request.Policy,
                                         bypassLockoutSafetyCheck: request.BypassPolicyLockoutSafetyCheck ?? false, caller: api.caller)
            return Outcome(response: Empty(), keyArns: [try api.service.resolve(request.KeyId).arn])
        },
        "GetKeyPolicy": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.GetKeyPolicyRequest.self, body)
            params["keyId"] = .string(request.KeyId)
            params["policyName"] = .string(request.PolicyName ?? "default")
            let policy = try api.service.keyPolicy(request.KeyId, policyName: request.PolicyName, caller: api.caller)
            return Outcome(response: KMSWire.GetKeyPolicyResponse(Policy: policy, PolicyName: request.PolicyName ?? "default"), keyArns: [try api.service.resolve(request.KeyId).arn])
        },
        "UpdateKeyDescription": { api, body, params, _ throws(KMSError) in
            let request = try decode(KMSWire.UpdateKeyDescriptionRequest.self, body)
            params["keyId"] = .string(request.KeyId)
            params["description"] = .string(request.Description)
            try api.service.updateKeyDescription(request.KeyId, description: request.Description, caller: api.caller)
            return Outcome(response: Empty(), keyArns: [try api.service.resolve(request.KeyId).arn])
        },
    ]

    struct Empty: Encodable {}

    static func checkAlgorithm(_ algorithm: String?) throws(KMSError) {
        if let algorithm, algorithm != "SYMMETRIC_DEFAULT" {
            throw KMSError(.invalidKeyUsage, "The encryption algorithm \(algorithm) is not supported for this key.")
        }
    }

    static func keyOperation(_ api: Call, _ body: [UInt8], _ params: inout [String: KMSParam], _ operation: (String) throws(KMSError) -> Void) throws(KMSError) -> Outcome {
        let request = try decode(KMSWire.KeyIdOnly.self, body)
        params["keyId"] = .string(request.KeyId)
        try operation(request.KeyId)
        return Outcome(response: Empty(), keyArns: [try api.service.resolve(request.KeyId).arn])
    }

    static func generateDataKey(_ api: Call, _ body: [UInt8], _ params: inout [String: KMSParam], withPlaintext: Bool) throws(KMSError) -> Outcome {
        let request = try decode(KMSWire.GenerateDataKeyRequest.self, body)
        params["keyId"] = .string(request.KeyId)
        params["encryptionContext"] = .map(request.EncryptionContext ?? [:])
        if let spec = request.KeySpec { params["keySpec"] = .string(spec) }
        if let count = request.NumberOfBytes { params["numberOfBytes"] = .int(count) }
        let count: Int
        switch (request.KeySpec, request.NumberOfBytes) {
        case (nil, nil): throw KMSError(.validation, "Please specify either number of bytes or key spec.")
        case (.some, .some): throw KMSError(.validation, "Please specify either number of bytes or key spec.")
        case (nil, .some(let n)): count = n
        case (.some("AES_256"), nil): count = 32
        case (.some("AES_128"), nil): count = 16
        case (.some(let other), nil):
            throw KMSError(.validation, "1 validation error detected: Value '\(other)' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]")
        }
        let result = try api.service.generateDataKeySync(keyId: request.KeyId, context: request.EncryptionContext ?? [:], numberOfBytes: count,
                                                          caller: api.caller, action: withPlaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext")
        let response = KMSWire.GenerateDataKeyResponse(CiphertextBlob: Base64.encode(result.ciphertextBlob),
                                                       Plaintext: withPlaintext ? Base64.encode(result.plaintext.copyBytes()) : nil, KeyId: result.keyArn)
        return Outcome(response: response, keyArns: [result.keyArn])
    }
}
