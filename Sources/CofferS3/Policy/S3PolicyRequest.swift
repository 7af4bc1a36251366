import CofferPolicy
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

/// How a request was authenticated, for `s3:authType`, `s3:signatureversion`, `s3:signatureAge`.
public struct PolicyAuthentication: Sendable, Equatable {
    /// `REST-HEADER` or `REST-QUERY-STRING`.
    public var authType: String
    public var signedAt: Date?

    public init(authType: String, signedAt: Date? = nil) {
        self.authType = authType
        self.signedAt = signedAt
    }
}

/// The IAM request the server authorises for an S3 request: the action, the resource ARN and
/// the condition keys S3 documents for the operation. One function for the server and for
/// `coffer policy simulate --http`, so the dry run answers exactly as the server would.
public enum S3PolicyRequest {
    /// The ARN of the bucket or object the operation acts on (`*` for ListBuckets).
    public static func resource(bucket: String?, key: String?, operation: S3Operation) -> String {
        guard let bucket, operation != .listBuckets else { return "*" }
        if let key, !bucketLevel.contains(operation) { return "arn:aws:s3:::\(bucket)/\(key)" }
        return "arn:aws:s3:::\(bucket)"
    }

    static let bucketLevel: Set<S3Operation> = [
        .createBucket, .headBucket, .deleteBucket, .getBucketLocation, .getBucketAcl, .putBucketAcl, .getBucketVersioning,
        .getBucketOwnershipControls, .putBucketEncryption, .getBucketEncryption, .deleteBucketEncryption, .listObjects,
        .listObjectsV2, .listObjectVersions, .listMultipartUploads, .deleteObjects, .putBucketPolicy, .getBucketPolicy,
        .deleteBucketPolicy, .getBucketPolicyStatus,
    ]

    /// `x-amz-server-side-encryption-aws-kms-key-id` as S3 puts it in the request context: the
    /// key's ARN. Bare key ids become key ARNs here; aliases are resolved by `resolveAlias`
    /// (the key service) and otherwise stay alias ARNs.
    public static func kmsKeyArn(_ header: String, region: String, accountId: String, resolveAlias: (String) -> String? = { _ in nil }) -> String {
        if header.hasPrefix("arn:") { return header }
        if header.hasPrefix("alias/") { return resolveAlias(header) ?? "arn:aws:kms:\(region):\(accountId):\(header)" }
        return "arn:aws:kms:\(region):\(accountId):key/\(header)"
    }

    /// Builds the request. `action` overrides the operation's own (a copy's source is read with
    /// `s3:GetObject`); `kmsKeyArn` is the normalised key id header, if any.
    public static func make(
        _ request: S3Request, operation: S3Operation, caller: PolicyCaller, authentication: PolicyAuthentication?, now: Date,
        kmsKeyArn: String?, action: String? = nil, bucket: String? = nil, key: String? = nil
    ) -> PolicyRequest {
        var context: [String: [String]] = [:]
        context["aws:SecureTransport"] = [request.secure ? "true" : "false"]
        context["aws:CurrentTime"] = [iso8601(now)]
        context["aws:EpochTime"] = [String(Int64(now.timeIntervalSince1970))]
        if let ip = request.sourceIP { context["aws:SourceIp"] = [ip] }
        if let agent = request.header("user-agent") { context["aws:UserAgent"] = [agent] }
        if let referer = request.header("referer") { context["aws:Referer"] = [referer] }
        if let name = caller.userName { context["aws:username"] = [name] }
        if let id = caller.userId { context["aws:userid"] = [id] }
        if request.secure { context["s3:TlsVersion"] = ["1.2"] }
        if let authentication {
            context["s3:authType"] = [authentication.authType]
            context["s3:signatureversion"] = ["AWS4-HMAC-SHA256"]
            if let signedAt = authentication.signedAt {
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
        if let ifMatch = request.header("if-match") { context["s3:if-match"] = [ifMatch] }
        if let ifNoneMatch = request.header("if-none-match") { context["s3:if-none-match"] = [ifNoneMatch] }
        if [.listObjects, .listObjectsV2, .listObjectVersions, .headBucket].contains(operation) {
            // S3 sets s3:prefix, s3:delimiter and s3:max-keys for ListBucket requests that send them.
            if let prefix = request.queryValue("prefix") { context["s3:prefix"] = [prefix] }
            if let delimiter = request.queryValue("delimiter") { context["s3:delimiter"] = [delimiter] }
            if let maxKeys = request.queryValue("max-keys") { context["s3:max-keys"] = [maxKeys] }
        }
        let resourceBucket = bucket ?? request.bucket
        let resourceKey = key ?? request.key
        return PolicyRequest(principal: caller.principal, action: action ?? operation.iamAction,
                             resource: resource(bucket: resourceBucket, key: resourceKey, operation: action == nil ? operation : .getObject),
                             context: context)
    }

    /// `coffer policy simulate --http "PUT /bucket/key"`: parses the request line and headers with
    /// the server's parser and derives action, resource and context with ``make``.
    public static func simulate(
        httpLine: String, headers: [(name: String, value: String)], secure: Bool, sourceIP: String?, caller: PolicyCaller,
        now: Date, region: String = "us-east-1", accountId: String, domains: [String] = ["localhost"]
    ) throws -> (request: PolicyRequest, operation: S3Operation) {
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
        let kms = request.header("x-amz-server-side-encryption-aws-kms-key-id").map { kmsKeyArn($0, region: region, accountId: accountId) }
        let authentication: PolicyAuthentication? = caller.principal == .anonymous ? nil
            : PolicyAuthentication(authType: request.query.contains { $0.name == "X-Amz-Signature" } ? "REST-QUERY-STRING" : "REST-HEADER")
        return (make(request, operation: operation, caller: caller, authentication: authentication, now: now, kmsKeyArn: kms), operation)
    }

    /// `2026-11-25T12:00:00Z`, by arithmetic (a formatter per request would cost more than the
    /// policy evaluation).
    static func iso8601(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
