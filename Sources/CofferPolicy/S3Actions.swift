/// The S3 actions the engine knows, after the S3 section of AWS's Service Authorization
/// Reference ("Actions, resources, and condition keys for Amazon S3"): the resource type each
/// action applies to and the S3 condition keys its requests can carry. Parse uses the resource
/// types ("Action does not apply to any resource(s) in statement"); lint uses the access levels
/// and condition keys.
public enum S3ActionTable {
    public enum ResourceType: String, Sendable, Codable {
        /// `arn:aws:s3:::bucket`.
        case bucket
        /// `arn:aws:s3:::bucket/key`.
        case object
        /// Account-level actions (ListAllMyBuckets): only `"Resource": "*"` names them.
        case none
    }

    public enum AccessLevel: String, Sendable, Codable {
        case list, read, write, permissions, tagging

        /// Whether the action changes something (lint: an Allow of these to everyone).
        public var isWrite: Bool { self != .list && self != .read }
    }

    public struct Action: Sendable {
        /// The action as AWS spells it, with its service prefix: `s3:PutObject`.
        public let name: String
        public let resource: ResourceType
        public let access: AccessLevel
        /// S3 condition keys (lowercased) beyond those every S3 action carries.
        let keys: Set<String>

        /// Whether this action's S3 requests carry the S3 condition key `key` (any case); a key
        /// with a tag part (`s3:ExistingObjectTag/project`) is carried when its prefix is.
        public func carries(_ key: String) -> Bool {
            let lower = PolicyRequest.lower(key)
            return ConditionKeyTable.s3EveryAction.contains(lower) || keys.contains(lower)
                || keys.contains { $0.hasSuffix("/") && lower.hasPrefix($0) }
        }
    }

    private static let acl = ["s3:x-amz-acl", "s3:x-amz-grant-full-control", "s3:x-amz-grant-read",
        "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write", "s3:x-amz-grant-write-acp"]
    private static let lock = ["s3:object-lock-mode", "s3:object-lock-retain-until-date",
        "s3:object-lock-remaining-retention-days"]
    private static let sse = ["s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:x-amz-server-side-encryption-customer-algorithm"]
    private static let list = ["s3:prefix", "s3:delimiter", "s3:max-keys"]
    private static let existingTag = ["s3:existingobjecttag/"]
    private static let requestTag = ["s3:requestobjecttag/", "s3:requestobjecttagkeys"]
    private static let version = ["s3:versionid"]

    /// Every action of the table, by lowercased name.
    public static let actions: [String: Action] = {
        let b = ResourceType.bucket, o = ResourceType.object, n = ResourceType.none
        let rows: [(String, ResourceType, AccessLevel, [String])] = [
            // Object actions.
            ("AbortMultipartUpload", o, .write, []),
            ("BypassGovernanceRetention", o, .permissions, lock),
            ("DeleteObject", o, .write, []),
            ("DeleteObjectTagging", o, .tagging, existingTag),
            ("DeleteObjectVersion", o, .write, version),
            ("DeleteObjectVersionTagging", o, .tagging, existingTag + version),
            ("GetObject", o, .read, existingTag),
            ("GetObjectAcl", o, .read, existingTag),
            ("GetObjectAttributes", o, .read, existingTag),
            ("GetObjectLegalHold", o, .read, []),
            ("GetObjectRetention", o, .read, []),
            ("GetObjectTagging", o, .read, existingTag),
            ("GetObjectTorrent", o, .read, []),
            ("GetObjectVersion", o, .read, existingTag + version),
            ("GetObjectVersionAcl", o, .read, existingTag + version),
            ("GetObjectVersionAttributes", o, .read, existingTag + version),
            ("GetObjectVersionForReplication", o, .read, []),
            ("GetObjectVersionTagging", o, .read, existingTag + version),
            ("GetObjectVersionTorrent", o, .read, version),
            ("InitiateReplication", o, .write, []),
            ("ListMultipartUploadParts", o, .list, []),
            ("ObjectOwnerOverrideToBucketOwner", o, .permissions, []),
            ("PutObject", o, .write, acl + lock + sse + requestTag + [
                "s3:x-amz-copy-source", "s3:x-amz-metadata-directive", "s3:x-amz-storage-class",
                "s3:x-amz-website-redirect-location", "s3:object-lock-legal-hold", "s3:if-match", "s3:if-none-match",
                "s3:objectcreationoperation",
            ]),
            ("PutObjectAcl", o, .permissions, acl + existingTag),
            ("PutObjectLegalHold", o, .write, ["s3:object-lock-legal-hold"]),
            ("PutObjectRetention", o, .write, lock),
            ("PutObjectTagging", o, .tagging, existingTag + requestTag),
            ("PutObjectVersionAcl", o, .permissions, acl + existingTag + version),
            ("PutObjectVersionTagging", o, .tagging, existingTag + requestTag + version),
            ("ReplicateDelete", o, .write, []),
            ("ReplicateObject", o, .write, sse + ["s3:x-amz-storage-class"]),
            ("ReplicateTags", o, .tagging, []),
            ("RestoreObject", o, .write, []),
            // Bucket actions.
            ("CreateBucket", b, .write, acl + ["s3:locationconstraint", "s3:x-amz-object-ownership"]),
            ("DeleteBucket", b, .write, []),
            ("DeleteBucketOwnershipControls", b, .write, []),
            ("DeleteBucketPolicy", b, .permissions, []),
            ("DeleteBucketWebsite", b, .write, []),
            ("GetAccelerateConfiguration", b, .read, []),
            ("GetAnalyticsConfiguration", b, .read, []),
            ("GetBucketAcl", b, .read, []),
            ("GetBucketCORS", b, .read, []),
            ("GetBucketLocation", b, .read, []),
            ("GetBucketLogging", b, .read, []),
            ("GetBucketNotification", b, .read, []),
            ("GetBucketObjectLockConfiguration", b, .read, []),
            ("GetBucketOwnershipControls", b, .read, []),
            ("GetBucketPolicy", b, .read, []),
            ("GetBucketPolicyStatus", b, .read, []),
            ("GetBucketPublicAccessBlock", b, .read, []),
            ("GetBucketRequestPayment", b, .read, []),
            ("GetBucketTagging", b, .read, []),
            ("GetBucketVersioning", b, .read, []),
            ("GetBucketWebsite", b, .read, []),
            ("GetEncryptionConfiguration", b, .read, []),
            ("GetIntelligentTieringConfiguration", b, .read, []),
            ("GetInventoryConfiguration", b, .read, []),
            ("GetLifecycleConfiguration", b, .read, []),
            ("GetMetricsConfiguration", b, .read, []),
            ("GetReplicationConfiguration", b, .read, []),
            ("ListBucket", b, .list, list),
            ("ListBucketMultipartUploads", b, .list, []),
            ("ListBucketVersions", b, .list, list),
            ("PutAccelerateConfiguration", b, .write, []),
            ("PutAnalyticsConfiguration", b, .write, []),
            ("PutBucketAcl", b, .permissions, acl),
            ("PutBucketCORS", b, .write, []),
            ("PutBucketLogging", b, .write, []),
            ("PutBucketNotification", b, .write, []),
            ("PutBucketObjectLockConfiguration", b, .write, []),
            ("PutBucketOwnershipControls", b, .write, ["s3:x-amz-object-ownership"]),
            ("PutBucketPolicy", b, .permissions, []),
            ("PutBucketPublicAccessBlock", b, .permissions, []),
            ("PutBucketRequestPayment", b, .write, []),
            ("PutBucketTagging", b, .tagging, []),
            ("PutBucketVersioning", b, .write, []),
            ("PutBucketWebsite", b, .write, []),
            ("PutEncryptionConfiguration", b, .write, []),
            ("PutIntelligentTieringConfiguration", b, .write, []),
            ("PutInventoryConfiguration", b, .write, []),
            ("PutLifecycleConfiguration", b, .write, []),
            ("PutMetricsConfiguration", b, .write, []),
            ("PutReplicationConfiguration", b, .write, []),
            // Account-level actions.
            ("ListAllMyBuckets", n, .list, []),
            ("GetAccountPublicAccessBlock", n, .read, []),
            ("PutAccountPublicAccessBlock", n, .permissions, []),
            ("ListAccessPoints", n, .list, []),
            ("ListJobs", n, .list, []),
            ("CreateJob", n, .write, []),
            ("ListStorageLensConfigurations", n, .list, []),
        ]
        var table: [String: Action] = [:]
        for (name, resource, access, keys) in rows {
            table["s3:" + name.lowercased()] = Action(name: "s3:" + name, resource: resource, access: access, keys: Set(keys))
        }
        return table
    }()

    /// The action named `name` (any case).
    public static func action(_ name: String) -> Action? { actions[PolicyRequest.lower(name)] }

    /// The known actions an Action pattern (`s3:Get*`) names.
    static func actions(matching pattern: Glob) -> [Action] {
        actions.values.filter { pattern.matches($0.name) }
    }
}
