import Foundation

/// What `coffer audit read` and the reader select. Every criterion that is set must hold.
public struct AuditFilter: Sendable, Hashable {
    /// Records at or after this time.
    public var since: Date?
    /// Records at or before this time.
    public var until: Date?
    /// Exact event name, e.g. `Decrypt`.
    public var eventName: String?
    /// A KMS key id, key ARN, alias name (`alias/app`) or alias ARN, matched against
    /// `requestParameters.keyId` (and `sourceKeyId`, `destinationKeyId`, `targetKeyId`,
    /// `aliasName`), `responseElements.keyId` (and `keyMetadata.keyId`/`arn`) and the ARNs of
    /// `resources`. A bare key id matches ARNs ending in `key/<id>`.
    public var key: String?
    /// The bucket of an S3 event, or of the object named by a KMS call's `aws:s3:arn`
    /// encryption context.
    public var bucket: String?
    /// The object key, matched the same way.
    public var objectKey: String?
    /// `userIdentity.arn` or `userIdentity.userName`.
    public var principal: String?
    public var accessKeyId: String?
    public var sourceIPAddress: String?
    public var requestID: String?
    /// Only records with an `errorCode`.
    public var errorsOnly: Bool

    public init(since: Date? = nil, until: Date? = nil, eventName: String? = nil, key: String? = nil, bucket: String? = nil,
                objectKey: String? = nil, principal: String? = nil, accessKeyId: String? = nil, sourceIPAddress: String? = nil,
                requestID: String? = nil, errorsOnly: Bool = false) {
        self.since = since
        self.until = until
        self.eventName = eventName
        self.key = key
        self.bucket = bucket
        self.objectKey = objectKey
        self.principal = principal
        self.accessKeyId = accessKeyId
        self.sourceIPAddress = sourceIPAddress
        self.requestID = requestID
        self.errorsOnly = errorsOnly
    }

    /// Whether `event` satisfies every criterion that is set.
    public func matches(_ event: AuditEvent) -> Bool {
        if let since, event.eventTime < since { return false }
        if let until, event.eventTime > until { return false }
        if let eventName, event.eventName != eventName { return false }
        if errorsOnly, event.errorCode == nil { return false }
        if let principal, event.userIdentity.arn != principal, event.userIdentity.userName != principal { return false }
        if let accessKeyId, event.userIdentity.accessKeyId != accessKeyId { return false }
        if let sourceIPAddress, event.sourceIPAddress != sourceIPAddress { return false }
        if let requestID, event.requestID != requestID { return false }
        if let key, !event.keyReferences.contains(where: { Self.sameKey($0, key) }) { return false }
        if bucket != nil || objectKey != nil {
            let objects = event.s3References
            guard objects.contains(where: { (bucket == nil || $0.bucket == bucket) && (objectKey == nil || $0.key == objectKey) }) else { return false }
        }
        return true
    }

    /// Two references to a KMS key: equal strings, or equal once the ARN prefix and the
    /// `key/` resource type are dropped, unless both are ARNs (then they must be equal).
    static func sameKey(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if a.hasPrefix("arn:") && b.hasPrefix("arn:") { return false }
        return normalizedKey(a) == normalizedKey(b)
    }

    private static func normalizedKey(_ reference: String) -> String {
        var resource = Substring(reference)
        if reference.hasPrefix("arn:") {
            let parts = reference.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6 else { return reference }
            resource = parts[5]
        }
        if resource.hasPrefix("key/") { resource = resource.dropFirst(4) }
        return String(resource)
    }
}

extension AuditEvent {
    /// Every string in the record that names a KMS key.
    var keyReferences: [String] {
        var references: [String] = []
        for name in ["keyId", "sourceKeyId", "destinationKeyId", "targetKeyId", "aliasName"] {
            if let value = requestParameters?[name]?.stringValue { references.append(value) }
        }
        for name in ["keyId", "sourceKeyId"] {
            if let value = responseElements?[name]?.stringValue { references.append(value) }
        }
        if let metadata = responseElements?["keyMetadata"] {
            for name in ["keyId", "arn"] {
                if let value = metadata[name]?.stringValue { references.append(value) }
            }
        }
        references += resources.filter { $0.type == "AWS::KMS::Key" || $0.arn.hasPrefix("arn:aws:kms:") }.map(\.arn)
        return references
    }

    /// The (bucket, key) pairs the record is about: `requestParameters.bucketName`/`key`, the
    /// S3 ARNs of `resources`, and the `aws:s3:arn` encryption context of a KMS call.
    var s3References: [(bucket: String, key: String?)] {
        var references: [(bucket: String, key: String?)] = []
        if let bucket = requestParameters?["bucketName"]?.stringValue {
            references.append((bucket, requestParameters?["key"]?.stringValue))
        }
        var arns = resources.map(\.arn)
        if let context = requestParameters?["encryptionContext"]?["aws:s3:arn"]?.stringValue { arns.append(context) }
        for arn in arns where arn.hasPrefix("arn:aws:s3:::") {
            let path = arn.dropFirst("arn:aws:s3:::".count)
            if let slash = path.firstIndex(of: "/") {
                references.append((String(path[..<slash]), String(path[path.index(after: slash)...])))
            } else {
                references.append((String(path), nil))
            }
        }
        return references
    }
}
