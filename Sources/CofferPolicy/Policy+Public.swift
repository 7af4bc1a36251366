/// Whether a bucket policy makes the bucket public, in the sense of S3's GetBucketPolicyStatus:
/// an Allow (or NotPrincipal-Allow) that reaches everyone (`*`, `{"AWS": "*"}`) without a
/// condition that pins the grant to fixed values of the keys S3 treats as non-public (source
/// IPs, VPCs, accounts, organisations, ARNs, user ids, access points).
extension Policy {
    static let restrictingKeys: Set<String> = [
        "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount", "aws:sourceowner",
        "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn", "aws:userid",
        "aws:sourceorgid", "aws:sourceorgpaths", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
    ]

    public var grantsPublicAccess: Bool {
        statements.contains { statement in
            guard statement.effect == .allow else { return false }
            let everyone = statement.isNotPrincipal || (statement.principals ?? []).contains { entry in
                switch entry {
                case .everyone: true
                case .aws(let value): value == "*"
                default: false
                }
            }
            guard everyone else { return false }
            let pinned = statement.conditions.contains { condition in
                Self.restrictingKeys.contains(condition.key.lowercased())
                    && !condition.values.contains { $0.contains("*") || $0 == "0.0.0.0/0" || $0 == "::/0" }
            }
            return !pinned
        }
    }
}
