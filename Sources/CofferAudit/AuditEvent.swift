import Foundation

/// One CloudTrail-shaped record (eventVersion 1.08): a KMS key-service call or an S3 object
/// operation. docs/audit-trail.md shows a full example.
///
/// **Never put key material in a record.** The module cannot know which values are secret:
/// callers must pass key ids, ARNs, encryption contexts and sizes, never a plaintext data key,
/// an SSE-C key or a secret access key. As a last line of defence ``AuditTrail/record(_:)``
/// refuses a record with a member named `Plaintext` (any case) anywhere in
/// `requestParameters`, `responseElements` or `additionalEventData`.
public struct AuditEvent: Sendable, Hashable {
    /// CloudTrail's `eventCategory`.
    public enum Category: String, Sendable, Hashable {
        case management = "Management"
        case data = "Data"
    }

    public var eventVersion: String
    /// Written as `2026-11-25T12:00:00Z` (whole seconds, UTC).
    public var eventTime: Date
    /// `kms.amazonaws.com` or `s3.amazonaws.com`.
    public var eventSource: String
    /// The API operation, e.g. `GenerateDataKey`, `PutObject`.
    public var eventName: String
    public var awsRegion: String
    public var sourceIPAddress: String?
    public var userAgent: String?
    public var userIdentity: UserIdentity
    /// A JSON object, or `nil` (written as `null`).
    public var requestParameters: AuditJSON?
    /// A JSON object, or `nil` (written as `null`).
    public var responseElements: AuditJSON?
    /// Omitted when the call succeeded.
    public var errorCode: String?
    public var errorMessage: String?
    public var requestID: String
    /// A UUID, unique per record.
    public var eventID: String
    public var readOnly: Bool
    /// Omitted from the record when empty.
    public var resources: [Resource]
    /// `AwsApiCall` for KMS calls and S3 operations alike.
    public var eventType: String
    /// `true` for KMS calls, `false` for S3 data events.
    public var managementEvent: Bool
    public var recipientAccountId: String
    public var eventCategory: Category
    /// Optional extra object, omitted when `nil`.
    public var additionalEventData: AuditJSON?

    public init(
        eventTime: Date, eventSource: String, eventName: String, awsRegion: String,
        userIdentity: UserIdentity, requestID: String, eventID: String = EventID.random(),
        sourceIPAddress: String? = nil, userAgent: String? = nil,
        requestParameters: AuditJSON? = nil, responseElements: AuditJSON? = nil,
        errorCode: String? = nil, errorMessage: String? = nil, readOnly: Bool, resources: [Resource] = [],
        eventType: String = "AwsApiCall", managementEvent: Bool, recipientAccountId: String,
        eventCategory: Category, additionalEventData: AuditJSON? = nil, eventVersion: String = "1.08"
    ) {
        self.eventVersion = eventVersion
        self.eventTime = eventTime
        self.eventSource = eventSource
        self.eventName = eventName
        self.awsRegion = awsRegion
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.userIdentity = userIdentity
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.requestID = requestID
        self.eventID = eventID
        self.readOnly = readOnly
        self.resources = resources
        self.eventType = eventType
        self.managementEvent = managementEvent
        self.recipientAccountId = recipientAccountId
        self.eventCategory = eventCategory
        self.additionalEventData = additionalEventData
    }
}

extension AuditEvent {
    /// CloudTrail's `userIdentity`. Members left `nil` are omitted from the record.
    public struct UserIdentity: Sendable, Hashable {
        /// `IAMUser`, `Root`, `AWSAccount`, `AWSService` or `Anonymous`.
        public var type: String
        public var principalId: String?
        public var arn: String?
        public var accountId: String?
        public var accessKeyId: String?
        public var userName: String?
        /// The service that made the call on the principal's behalf, e.g. `s3.amazonaws.com`.
        public var invokedBy: String?

        public init(type: String, principalId: String? = nil, arn: String? = nil, accountId: String? = nil,
                    accessKeyId: String? = nil, userName: String? = nil, invokedBy: String? = nil) {
            self.type = type
            self.principalId = principalId
            self.arn = arn
            self.accountId = accountId
            self.accessKeyId = accessKeyId
            self.userName = userName
            self.invokedBy = invokedBy
        }

        /// An IAM user: `arn:aws:iam::<account>:user/<name>`.
        public static func iamUser(accountId: String, userName: String, accessKeyId: String?, principalId: String? = nil,
                                   invokedBy: String? = nil) -> UserIdentity {
            UserIdentity(type: "IAMUser", principalId: principalId ?? userName, arn: "arn:aws:iam::\(accountId):user/\(userName)",
                         accountId: accountId, accessKeyId: accessKeyId, userName: userName, invokedBy: invokedBy)
        }

        /// The account's root user: `arn:aws:iam::<account>:root`.
        public static func root(accountId: String, accessKeyId: String?, invokedBy: String? = nil) -> UserIdentity {
            UserIdentity(type: "Root", principalId: accountId, arn: "arn:aws:iam::\(accountId):root", accountId: accountId,
                         accessKeyId: accessKeyId, invokedBy: invokedBy)
        }

        /// An AWS service acting on its own, e.g. `s3.amazonaws.com`.
        public static func awsService(_ service: String) -> UserIdentity {
            UserIdentity(type: "AWSService", invokedBy: service)
        }

        /// An unauthenticated request.
        public static let anonymous = UserIdentity(type: "Anonymous", principalId: "", accountId: "anonymous")
    }

    /// One element of CloudTrail's `resources`.
    public struct Resource: Sendable, Hashable {
        public var arn: String
        public var accountId: String?
        /// e.g. `AWS::KMS::Key`, `AWS::S3::Object`, `AWS::S3::Bucket`.
        public var type: String

        public init(arn: String, accountId: String? = nil, type: String) {
            self.arn = arn
            self.accountId = accountId
            self.type = type
        }
    }
}
