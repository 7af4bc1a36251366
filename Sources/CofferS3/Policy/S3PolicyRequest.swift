import CofferPolicy
import CofferSigV4
import CofferStorage
import Foundation
import HTTPTypes

/// Who made a request, as policies see it.
public struct PolicyCaller: Sendable, Equatable {
    public var principal: PolicyPrincipal
    /// `aws:username` (IAM users only) and `aws:userid`.
    public var userName: String?
    public var userId: String?

    public init(principal: PolicyPrincipal, userName: String? = nil, userId: String? = nil) {
        self.principal = principal
        self.userName = userName
        self.userId = userId
    }

    public static let anonymous = PolicyCaller(principal: .anonymous)

    /// A user of the users file or the account's root user.
    public static func user(_ user: User) -> PolicyCaller {
        user.isRoot
            ? PolicyCaller(principal: .root(account: user.accountId), userId: user.accountId)
            : PolicyCaller(principal: .user(user.name, account: user.accountId, canonicalUserId: user.canonicalId), userName: user.name, userId: user.accessKeyId)
    }
}

/// How a request was authenticated, for `s3:authType`, `s3:signatureversion`, `s3:signatureAge`
/// (S3's values: "Amazon S3 Signature Version 4 Authentication Specific Policy Keys").
public struct PolicyAuthentication: Sendable, Equatable {
    /// `REST-HEADER` or `REST-QUERY-STRING`.
    public var authType: String
    /// `AWS` (Signature Version 2) or `AWS4-HMAC-SHA256` (Signature Version 4).
    public var signatureVersion: String
    /// The signed request time (SigV4), from which `s3:signatureAge` is counted.
    public var signedAt: Date?

    public init(authType: String, signatureVersion: String = Self.sigV4, signedAt: Date? = nil) {
        self.authType = authType
        self.signatureVersion = signatureVersion
        self.signedAt = signedAt
    }

    /// The values S3 gives a request signed with `mechanism`.
    public init(_ mechanism: SignatureMechanism, signedAt: Date?) {
        self.init(authType: mechanism.carrier == .header ? "REST-HEADER" : "REST-QUERY-STRING",
                  signatureVersion: mechanism.version == .v2 ? Self.sigV2 : Self.sigV4, signedAt: signedAt)
    }

    public static let sigV2 = "AWS"
    public static let sigV4 = "AWS4-HMAC-SHA256"
}

/// The IAM request the server authorises for an S3 request: the action, the resource ARN and
/// the condition keys S3 documents for the operation. One function for the server and for
/// `coffer policy simulate --http`, so the dry run answers exactly as the server would.
public enum S3PolicyRequest {
    /// The ARN the operation acts on, from the operation table. An operation authorised per
    /// key (DeleteObjects) names no key in its request line: it stands for every key of the
    /// bucket (`arn:aws:s3:::bucket/*`) unless `key` is given.
    public static func resource(bucket: String?, key: String?, operation: S3Operation) -> String {
        let spec = operation.spec
        let key = key ?? (spec.authorization == .perKey ? "*" : nil)
        return OperationSpec.arn(spec.resource, bucket: bucket, key: key)
    }

    /// Whether a key-id header is already a key ARN (`arn:...:key/...`), which S3 uses as is.
    public static func isKeyArn(_ header: String) -> Bool {
        header.hasPrefix("arn:") && header.contains(":key/")
    }

    /// `x-amz-server-side-encryption-aws-kms-key-id` in the request context when no key service
    /// resolved it (the dry run, or a key the service does not know): a bare key id becomes a
    /// key ARN of the account, an alias an alias ARN. The server asks its key service first
    /// (`S3Service.resolveKeyArn`), as S3 puts the key's own ARN in the context.
    public static func kmsKeyArn(_ header: String, region: String, accountId: String) -> String {
        if header.hasPrefix("arn:") { return header }
        if header.hasPrefix("alias/") { return "arn:aws:kms:\(region):\(accountId):\(header)" }
        return "arn:aws:kms:\(region):\(accountId):key/\(header)"
    }

    /// Builds the request for the operation's own action and resource (the operation table),
    /// or for a secondary check the table declares: `action` on `scope` (a copy's source is
    /// read with `s3:GetObject` on the source object; a missing key is revealed by
    /// `s3:ListBucket` on the bucket). `bucket` and `key` override the request's (a copy
    /// source, one key of DeleteObjects); `kmsKeyArn` is the normalised key id header, if any.
    ///
    /// `requestTags` are the tags the request sets (``requestTags(_:operation:body:)``) and
    /// `existingTags` those the object has; each becomes context keys only for an action that
    /// carries them (``addTags(to:action:requestTags:existingTags:)``). `versionId` is the
    /// version a question about another key names (a copy source's `?versionId=`, a
    /// DeleteObjects entry's `VersionId`); a question about the request's own key takes the
    /// request's `versionId`. It is the context's `s3:versionid`.
    public static func make(
        _ request: S3Request, operation: S3Operation, caller: PolicyCaller, authentication: PolicyAuthentication?, now: Date,
        kmsKeyArn: String?, action: String? = nil, scope: OperationSpec.Resource? = nil, bucket: String? = nil, key: String? = nil,
        requestTags: [StoredTag]? = nil, existingTags: [StoredTag]? = nil, versionId: String? = nil, body: [UInt8]? = nil
    ) -> PolicyRequest {
        var context: [String: [String]] = [:]
        if scope != .bucket, let version = key != nil ? versionId : request.queryValue("versionId") {
            context["s3:versionid"] = [version]
        }
        context["aws:SecureTransport"] = [request.secure ? "true" : "false"]
        context["aws:CurrentTime"] = [iso8601(now)]
        context["aws:EpochTime"] = [String(Int64(now.timeIntervalSince1970))]
        if let ip = request.sourceIP { context["aws:SourceIp"] = [ip] }
        if let agent = request.header(.userAgent) { context["aws:UserAgent"] = [agent] }
        if let referer = request.header(.referer) { context["aws:Referer"] = [referer] }
        if let name = caller.userName { context["aws:username"] = [name] }
        if let id = caller.userId { context["aws:userid"] = [id] }
        if request.secure { context["s3:TlsVersion"] = ["1.2"] }
        if let authentication {
            context["s3:authType"] = [authentication.authType]
            context["s3:signatureversion"] = [authentication.signatureVersion]
            if authentication.signatureVersion == PolicyAuthentication.sigV2 {
                context["s3:signatureAge"] = ["0"]  // S3: "In Signature Version 2, this value is always set to 0."
            } else if let signedAt = authentication.signedAt {
                context["s3:signatureAge"] = [String(max(0, Int64(now.timeIntervalSince(signedAt) * 1000)))]
            }
        }
        let headerKeys = ["x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm", "x-amz-content-sha256",
                          "x-amz-acl", "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-storage-class",
                          "x-amz-website-redirect-location", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
                          "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-object-ownership"]
        for name in headerKeys {
            if let value = request.header(name) { context["s3:" + name] = [value] }
        }
        if let kmsKeyArn { context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = [kmsKeyArn] }
        context.merge(objectLockContext(request, operation: operation, body: body, now: now)) { _, lock in lock }
        if let ifMatch = request.header(.ifMatch) { context["s3:if-match"] = [ifMatch] }
        if let ifNoneMatch = request.header(.ifNoneMatch) { context["s3:if-none-match"] = [ifNoneMatch] }
        if [.listObjects, .listObjectsV2, .listObjectVersions, .headBucket].contains(operation) {
            // S3 sets s3:prefix, s3:delimiter and s3:max-keys for ListBucket requests that send them.
            if let prefix = request.queryValue("prefix") { context["s3:prefix"] = [prefix] }
            if let delimiter = request.queryValue("delimiter") { context["s3:delimiter"] = [delimiter] }
            if let maxKeys = request.queryValue("max-keys") { context["s3:max-keys"] = [maxKeys] }
        }
        let resourceBucket = bucket ?? request.bucket
        let resourceKey = key ?? request.key
        let arn = scope.map { OperationSpec.arn($0, bucket: resourceBucket, key: resourceKey) }
            ?? resource(bucket: resourceBucket, key: resourceKey, operation: operation)
        let action = action ?? operation.spec(for: request).action
        addTags(to: &context, action: action, requestTags: requestTags, existingTags: existingTags)
        return PolicyRequest(principal: caller.principal, action: action, resource: arn, context: context)
    }

    /// The actions a request needs on its own resource besides its operation's action, as the
    /// server checks them (`S3Service.authorize`): the row's `alsoRequires` (GetObjectAttributes
    /// needs `s3:GetObject`), `s3:PutObjectTagging` for tags set by `x-amz-tagging`, and
    /// `s3:PutObjectRetention` / `s3:PutObjectLegalHold` for `x-amz-object-lock-*` headers.
    /// `requestTags` are the tags the request sets (``requestTags(_:operation:body:)``).
    public static func alsoRequired(_ request: S3Request, operation: S3Operation, requestTags: [StoredTag]?) -> [String] {
        let spec = operation.spec(for: request)
        var actions = spec.alsoRequires
        if spec.requestTags == .header, let requestTags, !requestTags.isEmpty { actions.append(OperationSpec.setTagsAction) }
        if spec.objectLock == .headers { actions += ObjectLockHeaders.requiredActions(request) }
        return actions
    }

    /// `coffer policy simulate --http "PUT /bucket/key"`: parses the request line and headers with
    /// the server's parser and derives action, resource and context with ``make``.
    /// `body` is the request body, for an operation whose context reads it (PutObjectTagging's
    /// `Tagging` document); `existingTags` the tags the object has, which the server reads from
    /// the object's record.
    public static func simulate(
        httpLine: String, headers: [(name: String, value: String)], secure: Bool, sourceIP: String?, caller: PolicyCaller,
        now: Date, region: String = "us-east-1", accountId: String, domains: [String] = ["localhost"],
        body: [UInt8]? = nil, existingTags: [StoredTag]? = nil
    ) throws -> (request: PolicyRequest, operation: S3Operation, alsoRequired: [String]) {
        let parts = httpLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, let method = HTTPRequest.Method(String(parts[0]).uppercased()) else {
            throw S3Error(.invalidRequest, "--http takes \"METHOD /bucket/key[?query]\", e.g. \"PUT /reports/2026.csv\"")
        }
        var fields = HTTPFields()
        var authority = "localhost"
        for (name, value) in headers {
            guard let fieldName = HTTPField.Name(name) else { throw S3Error(.invalidArgument, "invalid header name '\(name)'") }
            if name.lowercased() == "host" { authority = value } else { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        let request = try S3RequestParser(domains: domains).parse(
            method: method, target: String(parts[1]), authority: authority, headers: fields, secure: secure, sourceIP: sourceIP)
        let operation = try S3Operation.parse(request)
        let kms = request.header(.xAmzServerSideEncryptionAwsKmsKeyId).map { kmsKeyArn($0, region: region, accountId: accountId) }
        // A signed caller signed the way the request's own authentication says (an Authorization
        // header or presigned-URL parameters, SigV4 or SigV2); by default with a SigV4 header.
        let presented = (try? SignatureMechanism.presented(by: request.sigV4Request)) ?? nil
        let authentication: PolicyAuthentication? = caller.principal == .anonymous ? nil
            : PolicyAuthentication(presented ?? SignatureMechanism(.v4, .header), signedAt: nil)
        let existing = operation.spec.existingObjectTags ? existingTags : nil
        let tags = requestTags(request, operation: operation, body: body)
        let made = make(request, operation: operation, caller: caller, authentication: authentication, now: now, kmsKeyArn: kms,
                        requestTags: tags, existingTags: existing, body: operation.spec.readsBodyFirst ? body : nil)
        return (made, operation, alsoRequired(request, operation: operation, requestTags: tags))
    }

    /// `2026-11-25T12:00:00Z` (AmzDate's arithmetic: a formatter per request would cost more
    /// than the policy evaluation).
    static func iso8601(_ date: Date) -> String { AmzDate(date).iso8601Extended }
}
