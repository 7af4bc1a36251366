/// The decision for a request that both an identity policy (the caller's) and a bucket policy
/// may speak to, after IAM's rules for identity-based plus resource-based policies:
/// - an explicit Deny in either wins;
/// - in the same account, an Allow in either is enough ("the request is allowed if the
///   identity-based policy or the resource-based policy allows it");
/// - across accounts, both must allow: the caller's account must allow the call and the bucket
///   owner's policy must allow the caller.
///
/// A nil identity decision means no identity policy applies (an anonymous caller, a service
/// principal): the bucket policy decides alone. A nil bucket decision means the bucket has no
/// policy: the identity policy decides alone in the same account, and nothing allows a
/// cross-account call.
public struct CombinedDecision: Sendable, Codable, Equatable {
    public var decision: PolicyDecision.Decision
    public var sameAccount: Bool
    public var identity: PolicyDecision?
    public var bucket: PolicyDecision?

    public init(identity: PolicyDecision?, bucket: PolicyDecision?, sameAccount: Bool = true) {
        self.identity = identity
        self.bucket = bucket
        self.sameAccount = sameAccount
        let i = identity?.decision, b = bucket?.decision
        if i == .explicitDeny || b == .explicitDeny {
            decision = .explicitDeny
        } else if identity == nil {
            decision = b ?? .implicitDeny
        } else if sameAccount {
            decision = i == .allow || b == .allow ? .allow : .implicitDeny
        } else {
            decision = i == .allow && b == .allow ? .allow : .implicitDeny
        }
    }

    enum CodingKeys: String, CodingKey { case decision, sameAccount, identity, bucket }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decision, forKey: .decision)
        try c.encode(sameAccount, forKey: .sameAccount)
        try c.encode(identity, forKey: .identity)
        try c.encode(bucket, forKey: .bucket)
    }

    /// The combined verdict followed by each policy's explanation.
    public func text() -> String {
        var out = "decision: \(decision.rawValue)\(sameAccount ? "" : " (cross-account: both policies must allow)")\n"
        if let identity {
            out += "\nidentity policy:\n" + identity.text().split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
        }
        if let bucket {
            out += "\nbucket policy:\n" + bucket.text().split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
        }
        return out
    }
}

extension PolicyDecision {
    /// Combines an identity-policy decision and a bucket-policy decision (see `CombinedDecision`).
    public static func combine(identity: PolicyDecision?, bucket: PolicyDecision?, sameAccount: Bool = true) -> CombinedDecision {
        CombinedDecision(identity: identity, bucket: bucket, sameAccount: sameAccount)
    }
}

extension Policy {
    /// Evaluates an identity policy and a bucket policy for one request and combines them.
    /// `sameAccount` defaults to whether the caller's account is `bucketOwnerAccount`.
    public static func evaluate(
        identity: Policy?, bucket: Policy?, request: PolicyRequest, bucketOwnerAccount: String
    ) -> CombinedDecision {
        let same = request.principal.accountId == bucketOwnerAccount
        let identityDecision: PolicyDecision? = request.principal.accountId == nil ? nil
            : (identity?.evaluate(request) ?? PolicyDecision(decision: .implicitDeny, matchedStatements: [], missingContextKeys: [], statements: []))
        return CombinedDecision(identity: identityDecision, bucket: bucket?.evaluate(request), sameAccount: same)
    }
}
