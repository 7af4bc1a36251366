import Foundation

/// Who made a request, from where, when: the parts of a record that do not depend on the
/// operation. Built once per request by the server and handed to the event builders.
public struct AuditContext: Sendable, Hashable {
    public var time: Date
    public var region: String
    public var identity: AuditEvent.UserIdentity
    public var sourceIPAddress: String?
    public var userAgent: String?
    /// The request's id (`x-amz-request-id` for S3, the KMS API request id otherwise).
    public var requestID: String
    /// The account that owns the resource (CloudTrail's `recipientAccountId`).
    public var recipientAccountId: String

    public init(time: Date, region: String, identity: AuditEvent.UserIdentity, sourceIPAddress: String? = nil,
                userAgent: String? = nil, requestID: String, recipientAccountId: String) {
        self.time = time
        self.region = region
        self.identity = identity
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.requestID = requestID
        self.recipientAccountId = recipientAccountId
    }
}

/// An error code and message as the API answered them (`AccessDeniedException`, `NoSuchKey`).
public struct AuditFailure: Sendable, Hashable {
    public var code: String
    public var message: String?

    public init(code: String, message: String? = nil) {
        self.code = code
        self.message = message
    }
}

extension AuditEvent {
    /// KMS operations that change something; every other KMS operation is recorded with
    /// `readOnly: true`, as CloudTrail does.
    static let mutatingKMSOperations: Set<String> = [
        "CreateKey", "CreateAlias", "DeleteAlias", "UpdateAlias", "EnableKey", "DisableKey", "ScheduleKeyDeletion",
        "CancelKeyDeletion", "EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand", "PutKeyPolicy",
        "TagResource", "UntagResource", "UpdateKeyDescription", "CreateGrant", "RetireGrant", "RevokeGrant",
        "ImportKeyMaterial", "DeleteImportedKeyMaterial", "ReplicateKey", "UpdatePrimaryRegion",
    ]

    /// A KMS key-service call: a management event from `kms.amazonaws.com` with the key as its
    /// resource (`AWS::KMS::Key`).
    ///
    /// - Parameters:
    ///   - eventName: the KMS operation, e.g. `GenerateDataKey`, `Decrypt`, `CreateKey`.
    ///   - keyArn: the full ARN of the key used, when it is known (it is not when the key id
    ///     did not resolve).
    ///   - requestParameters: e.g. `["keyId": "alias/app", "encryptionContext": [...], "keySpec": "AES_256"]`.
    ///     Never a plaintext, a ciphertext blob or any key material.
    ///   - responseElements: `nil` for most KMS calls (CloudTrail records `null`); `keyId`
    ///     for Decrypt and ReEncrypt, key metadata for CreateKey.
    ///   - failure: the error the call ended with, if any.
    public static func kmsCall(
        _ eventName: String, context: AuditContext, keyArn: String?, requestParameters: AuditJSON?,
        responseElements: AuditJSON? = nil, failure: AuditFailure? = nil, readOnly: Bool? = nil,
        additionalEventData: AuditJSON? = nil, eventID: String = EventID.random()
    ) -> AuditEvent {
        let resources = keyArn.map { [Resource(arn: $0, accountId: accountId(ofArn: $0) ?? context.recipientAccountId, type: "AWS::KMS::Key")] } ?? []
        return AuditEvent(
            eventTime: context.time, eventSource: "kms.amazonaws.com", eventName: eventName, awsRegion: context.region,
            userIdentity: context.identity, requestID: context.requestID, eventID: eventID,
            sourceIPAddress: context.sourceIPAddress, userAgent: context.userAgent,
            requestParameters: requestParameters, responseElements: responseElements,
            errorCode: failure?.code, errorMessage: failure?.message,
            readOnly: readOnly ?? !mutatingKMSOperations.contains(eventName), resources: resources,
            eventType: "AwsApiCall", managementEvent: true, recipientAccountId: context.recipientAccountId,
            eventCategory: .management, additionalEventData: additionalEventData)
    }

    /// An S3 object operation: a data event from `s3.amazonaws.com` (`managementEvent: false`,
    /// `eventCategory: Data`) with the object and its bucket as resources.
    ///
    /// `requestParameters` always holds `bucketName` and, when given, `key`; `extraParameters`
    /// are merged in (e.g. `x-amz-server-side-encryption`, `versionId`). Read-only when the
    /// operation's name begins with `Get`, `Head` or `List`.
    public static func s3DataEvent(
        _ eventName: String, context: AuditContext, bucket: String, key: String?, extraParameters: [String: AuditJSON] = [:],
        responseElements: AuditJSON? = nil, failure: AuditFailure? = nil, additionalEventData: AuditJSON? = nil,
        eventID: String = EventID.random()
    ) -> AuditEvent {
        var parameters = extraParameters
        parameters["bucketName"] = .string(bucket)
        if let key { parameters["key"] = .string(key) }
        var resources: [Resource] = []
        if let key { resources.append(Resource(arn: "arn:aws:s3:::\(bucket)/\(key)", type: "AWS::S3::Object")) }
        resources.append(Resource(arn: "arn:aws:s3:::\(bucket)", accountId: context.recipientAccountId, type: "AWS::S3::Bucket"))
        let readOnly = ["Get", "Head", "List"].contains { eventName.hasPrefix($0) }
        return AuditEvent(
            eventTime: context.time, eventSource: "s3.amazonaws.com", eventName: eventName, awsRegion: context.region,
            userIdentity: context.identity, requestID: context.requestID, eventID: eventID,
            sourceIPAddress: context.sourceIPAddress, userAgent: context.userAgent,
            requestParameters: .object(parameters), responseElements: responseElements,
            errorCode: failure?.code, errorMessage: failure?.message, readOnly: readOnly, resources: resources,
            eventType: "AwsApiCall", managementEvent: false, recipientAccountId: context.recipientAccountId,
            eventCategory: .data, additionalEventData: additionalEventData)
    }

    /// The account field of an ARN (`arn:partition:service:region:account:resource`).
    static func accountId(ofArn arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[4].isEmpty else { return nil }
        return String(parts[4])
    }
}
