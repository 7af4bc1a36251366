/// An IAM policy document (a bucket policy or an identity policy), validated and compiled once:
/// wildcards precompiled, keys lowercased, typed condition values parsed. Evaluating it is pure
/// and allocation-light (`Policy+Evaluate.swift`).
///
/// ```swift
/// let policy = try Policy.parse(json, bucket: "reports")
/// let decision = policy.evaluate(PolicyRequest(principal: .anonymous, action: "s3:GetObject",
///                                              resource: "arn:aws:s3:::reports/q1.pdf"))
/// ```
public struct Policy: Sendable {
    public enum Version: String, Sendable, Codable {
        case v2012_10_17 = "2012-10-17"
        case v2008_10_17 = "2008-10-17"

        /// Policy variables exist only in the 2012-10-17 language.
        public var supportsVariables: Bool { self == .v2012_10_17 }
    }

    /// The language version; a document without `Version` is read as 2008-10-17.
    public let version: Version
    /// Whether the document named its version.
    public let versionGiven: Bool
    public let id: String?
    public let statements: [PolicyStatement]
    /// The bucket the policy was validated against, if any.
    public let bucket: String?

    /// The maximum size of a bucket policy: 20 KB.
    public static let maximumSize = 20480
}

public enum Effect: String, Sendable, Codable {
    case allow = "Allow"
    case deny = "Deny"
}

/// One entry of a Principal or NotPrincipal element, as the policy writes it.
public enum PrincipalEntry: Sendable, Hashable, CustomStringConvertible {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    case everyone
    /// An account id, or an IAM ARN (`arn:aws:iam::123456789012:root`, `...:user/alice`,
    /// `...:role/admin`, `arn:aws:sts::...:assumed-role/admin/session`).
    case aws(String)
    case service(String)
    case canonicalUser(String)
    case federated(String)

    public var description: String {
        switch self {
        case .everyone: "*"
        case let .aws(s): "AWS:" + s
        case let .service(s): "Service:" + s
        case let .canonicalUser(s): "CanonicalUser:" + s
        case let .federated(s): "Federated:" + s
        }
    }
}

/// One statement: the policy's text for it and its compiled matchers. A class so evaluation
/// walks the statements without copying (and retaining) each field.
public final class PolicyStatement: Sendable {
    public let index: Int
    public let sid: String?
    public let effect: Effect
    /// Nil for identity policies (no Principal element).
    public let principals: [PrincipalEntry]?
    public let isNotPrincipal: Bool
    public let actions: [String]
    public let isNotAction: Bool
    public let resources: [String]
    public let isNotResource: Bool
    /// In document order: operators in the order written, keys in the order written.
    public let conditions: [PolicyCondition]

    let principalMatchers: [PrincipalMatcher]
    /// `principals` as text, made once for explanations.
    let principalTexts: [String]
    let actionGlobs: [Glob]
    let resourcePatterns: [ResourcePattern]
    let readKeys: [(lookup: String, written: String)]

    init(
        index: Int, sid: String?, effect: Effect, principals: [PrincipalEntry]?, isNotPrincipal: Bool,
        actions: [String], isNotAction: Bool, resources: [String], isNotResource: Bool, conditions: [PolicyCondition],
        principalMatchers: [PrincipalMatcher], actionGlobs: [Glob], resourcePatterns: [ResourcePattern]
    ) {
        self.index = index
        self.sid = sid
        self.effect = effect
        self.principals = principals
        self.isNotPrincipal = isNotPrincipal
        self.actions = actions
        self.isNotAction = isNotAction
        self.resources = resources
        self.isNotResource = isNotResource
        self.conditions = conditions
        self.principalMatchers = principalMatchers
        self.principalTexts = principals?.map(\.description) ?? []
        self.actionGlobs = actionGlobs
        self.resourcePatterns = resourcePatterns
        self.readKeys = Self.readKeys(conditions, resourcePatterns)
    }
}

/// A Principal entry compiled for matching. An entry names one principal the request may carry
/// (`PrincipalFacet`): an account id or root ARN names the account, an IAM or STS ARN the
/// principal itself (compared case-sensitively, as IAM compares ARNs), a role ARN the role (and
/// so its sessions). Principal matches when an entry names any principal the request carries;
/// NotPrincipal weighs them all (`PolicyStatement.principalApplies`).
enum PrincipalMatcher: Sendable {
    case everyone
    case account(String)
    case arn(String)
    /// `arn:aws:iam::<account>:role/<path/><name>`: the role itself and its sessions.
    case role(arn: String, account: String, name: String)
    case service(String)
    case canonicalUser(String)
    case federated(String)

    /// Whether the entry names the principal `p` carries as `facet`. `sessionRole` is the role
    /// name of an assumed-role session principal (see `PolicyRequest`).
    func matches(_ p: PolicyPrincipal, _ facet: PrincipalFacet, sessionRole: String?) -> Bool {
        switch (self, p) {
        case (.everyone, _): return true
        case let (.account(a), .aws(q)): return (facet == .account || facet == .root) && q.accountId == a
        case let (.arn(a), .aws(q)): return facet == .own && q.arn == a
        case let (.role(arn, account, name), .aws(q)):
            switch facet {
            case .own: return q.arn == arn
            case .role: return sessionRole == name && q.accountId == account
            default: return false
            }
        case let (.service(s), .service(q)): return PolicyRequest.lower(q) == s
        case let (.canonicalUser(c), .aws(q)):
            return (facet == .own || facet == .root) && q.canonicalUserId.map(PolicyRequest.lower) == c
        default: return false
        }
    }
}

/// A Resource entry: `*`, a compiled ARN pattern, or a template with policy variables.
enum ResourcePattern: Sendable {
    case glob(Glob)
    case template(Template)

    func matches(_ resource: UnsafeBufferPointer<UInt8>, _ context: [String: [String]]) -> Bool {
        switch self {
        case let .glob(g): return g.matches(resource)
        case let .template(t):
            guard let units = t.resolveUnits(in: context, wildcards: true) else { return false }
            return Glob(units: units, arnSegments: true).matches(resource)
        }
    }
}
