/// Who makes a request, as policies see it.
public enum PolicyPrincipal: Sendable, Hashable, CustomStringConvertible {
    /// An unsigned request. Only `"Principal": "*"` (or `{"AWS": "*"}`) matches it.
    case anonymous
    /// A signed request by an IAM identity (root, user, role session).
    case aws(AWSPrincipal)
    /// An AWS service principal (`logging.s3.amazonaws.com`), acting for a resource of its own.
    /// `{"Service": ...}` entries name it; its request carries `aws:PrincipalIsAWSService` true
    /// and `aws:PrincipalServiceName`, no ARN or account keys, and, from the service,
    /// `aws:SourceArn` and `aws:SourceAccount` (give them in the context).
    case service(String)

    /// `arn:aws:iam::<account>:root`.
    public static func root(account: String) -> PolicyPrincipal {
        .aws(AWSPrincipal(arn: "arn:aws:iam::\(account):root", accountId: account))
    }

    /// `arn:aws:iam::<account>:user/<name>`.
    public static func user(_ name: String, account: String, canonicalUserId: String? = nil) -> PolicyPrincipal {
        .aws(AWSPrincipal(arn: "arn:aws:iam::\(account):user/\(name)", accountId: account, canonicalUserId: canonicalUserId))
    }

    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case let .aws(p): p.arn
        case let .service(s): "service \(s)"
        }
    }

    var accountId: String? {
        if case let .aws(p) = self { return p.accountId }
        return nil
    }

    /// The principals a request by this caller carries, as IAM weighs them against NotPrincipal
    /// (IAM User Guide, "AWS JSON policy elements: NotPrincipal"): an IAM user its user ARN and
    /// its account, a role session its session ARN, its role and its account, the root user
    /// its account, a service its service name.
    var facets: [PrincipalFacet] {
        switch self {
        case .anonymous, .service: return PrincipalFacet.ownOnly
        case let .aws(p):
            if p.principalType == "Account" { return PrincipalFacet.rootOnly }
            return p.assumedRoleName == nil ? PrincipalFacet.ownAndAccount : PrincipalFacet.session
        }
    }
}

/// One of the principals a request carries.
enum PrincipalFacet: Sendable {
    /// The caller itself: its IAM or STS ARN (or canonical user id), its service name.
    case own
    /// A role session's role.
    case role
    /// The account of a user, role or session.
    case account
    /// The account as the root user, the one principal a root user's request carries.
    case root

    static let ownOnly: [PrincipalFacet] = [.own]
    static let rootOnly: [PrincipalFacet] = [.root]
    static let ownAndAccount: [PrincipalFacet] = [.own, .account]
    static let session: [PrincipalFacet] = [.own, .role, .account]
}

/// An IAM identity: its ARN, its account and, when S3 knows one, its canonical user id.
public struct AWSPrincipal: Sendable, Hashable {
    public var arn: String
    public var accountId: String
    public var canonicalUserId: String?

    public init(arn: String, accountId: String, canonicalUserId: String? = nil) {
        self.arn = arn
        self.accountId = accountId
        self.canonicalUserId = canonicalUserId
    }

    /// The part after the fifth colon (`user/alice`) and the service (`iam`), without copying
    /// more than those two strings.
    private var parts: (service: Substring, resource: Substring)? {
        var colons: [String.Index] = []
        var i = arn.startIndex
        while i < arn.endIndex, colons.count < 5 {
            if arn.utf8[i] == UInt8(ascii: ":") { colons.append(i) }
            i = arn.utf8.index(after: i)
        }
        guard colons.count == 5, arn.hasPrefix("arn:") else { return nil }
        return (arn[arn.index(after: colons[1])..<colons[2]], arn[arn.index(after: colons[4])...])
    }

    /// For a role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`): the role's
    /// name, which `arn:aws:iam::<account>:role/<path/><role>` in a policy matches.
    var assumedRoleName: String? {
        guard let (service, r) = parts, service == "sts", r.hasPrefix("assumed-role/") else { return nil }
        let rest = r.dropFirst("assumed-role/".count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return String(rest[..<slash])
    }

    /// `Account`, `User`, `AssumedRole` or `FederatedUser`, as `aws:PrincipalType` reports it.
    var principalType: String {
        guard let (_, r) = parts else { return "User" }
        if r == "root" { return "Account" }
        if r.hasPrefix("assumed-role/") { return "AssumedRole" }
        if r.hasPrefix("federated-user/") { return "FederatedUser" }
        return "User"
    }

    /// The user name of an IAM user ARN (the last path component), as `aws:username` reports it.
    var userName: String? {
        guard let (service, r) = parts, service == "iam", r.hasPrefix("user/") else { return nil }
        guard let slash = r.lastIndex(of: "/") else { return nil }
        return String(r[r.index(after: slash)...])
    }
}

/// One request to decide: who, which IAM action, on which resource ARN, with which context.
///
/// Context keys are case-insensitive (IAM: "Context key names are not case-sensitive"); they are
/// lowercased once here so evaluation never folds case. Values stay as given: a key may hold
/// several values (`aws:TagKeys`); a key with no values counts as absent.
public struct PolicyRequest: Sendable {
    public let principal: PolicyPrincipal
    /// The IAM action, `s3:PutObject`.
    public var action: String
    /// The resource ARN, `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    public var resource: String
    /// The request context with lowercased keys.
    public private(set) var context: [String: [String]]
    /// The role name when the principal is an assumed-role session, found once here.
    let sessionRole: String?
    /// The principals the request carries (`PolicyPrincipal.facets`), found once here.
    let principalFacets: [PrincipalFacet]

    /// - Parameter derivePrincipalKeys: when true (the default) the keys IAM derives from the
    ///   principal are added unless the caller already gave them: `aws:PrincipalArn`,
    ///   `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:username` (IAM users),
    ///   `aws:PrincipalServiceName` and `aws:PrincipalIsAWSService` (services).
    public init(
        principal: PolicyPrincipal, action: String, resource: String, context: [String: [String]] = [:],
        derivePrincipalKeys: Bool = true
    ) {
        self.principal = principal
        self.action = action
        self.resource = resource
        var c: [String: [String]] = [:]
        c.reserveCapacity(context.count + 6)
        for (k, v) in context where !v.isEmpty { c[Self.lower(k)] = v }
        if derivePrincipalKeys {
            func add(_ k: String, _ v: String) { if c[k] == nil { c[k] = [v] } }
            switch principal {
            case .anonymous:
                add("aws:principaltype", "Anonymous")
            case let .aws(p):
                add("aws:principalarn", p.arn)
                add("aws:principalaccount", p.accountId)
                add("aws:principaltype", p.principalType)
                if let u = p.userName { add("aws:username", u) }
                add("aws:principalisawsservice", "false")
            case let .service(s):
                add("aws:principalservicename", s)
                add("aws:principalisawsservice", "true")
                add("aws:principaltype", "Service")
            }
        }
        self.context = c
        if case let .aws(p) = principal { sessionRole = p.assumedRoleName } else { sessionRole = nil }
        principalFacets = principal.facets
    }

    /// The values of `key` (any case), or nil when the request lacks it.
    public func values(_ key: String) -> [String]? { context[Self.lower(key)] }

    /// Lowercasing that allocates nothing when the key is already lowercase ASCII.
    @inline(__always) static func lower(_ s: String) -> String {
        for b in s.utf8 where b >= 0x41 && b <= 0x5A || b >= 0x80 { return s.lowercased() }
        return s
    }
}
