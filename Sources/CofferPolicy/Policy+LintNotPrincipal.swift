/// Lint of `Deny` + `NotPrincipal`: a request escapes such a statement only when every principal
/// it carries is listed (IAM User Guide, "AWS JSON policy elements: NotPrincipal"): an IAM user
/// carries its user ARN and its account, a role session its session ARN, its role and its
/// account. An exemption that lists only some of them exempts nobody. Flagged
/// `not-principal-still-denies`, once per entry concerned.
extension Policy {
    func lintNotPrincipal(_ s: PolicyStatement, _ out: inout [PolicyWarning]) {
        guard s.isNotPrincipal, s.effect == .deny else { return }
        var accounts: [String] = []
        var roles: [(account: String, name: String, arn: String)] = []
        var named: [(arn: String, partition: Substring, account: String, sessionRole: String?)] = []
        for m in s.principalMatchers {
            switch m {
            case .everyone: return
            case let .account(a): accounts.append(a)
            case let .role(arn, account, name): roles.append((account, name, arn))
            case let .arn(arn):
                let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
                guard parts.count == 6 else { continue }
                let account = String(parts[4])
                named.append((arn, parts[1], account, AWSPrincipal(arn: arn, accountId: account).assumedRoleName))
            default: continue
            }
        }
        func warn(_ message: String, _ suggestion: String) {
            out.append(PolicyWarning(.warning, .notPrincipalStillDenies, statement: s, message, suggestion: suggestion))
        }
        for n in named {
            var missing: [(what: String, arn: String)] = []
            if let role = n.sessionRole, !roles.contains(where: { $0.account == n.account && $0.name == role }) {
                missing.append(("its role \(role)", "arn:\(n.partition):iam::\(n.account):role/\(role) (with the role's path, if any)"))
            }
            if !accounts.contains(n.account) { missing.append(("its account \(n.account)", "arn:\(n.partition):iam::\(n.account):root")) }
            guard !missing.isEmpty else { continue }
            warn("the Deny still applies to \(n.arn): its requests also carry "
                    + missing.map(\.what).joined(separator: " and ") + ", which NotPrincipal does not list",
                 "add " + missing.map(\.arn).joined(separator: " and ") + " to NotPrincipal")
        }
        for r in roles where !named.contains(where: { $0.account == r.account && $0.sessionRole == r.name }) {
            warn("the Deny still applies to every session of \(r.arn): a session's requests carry its session ARN too, "
                    + "which NotPrincipal must list",
                 "list each exempt session (arn:aws:sts::\(r.account):assumed-role/\(r.name)/SESSION), or deny with "
                    + "ArnNotEquals on aws:PrincipalArn instead")
        }
        for a in accounts where !named.contains(where: { $0.account == a }) && !roles.contains(where: { $0.account == a }) {
            warn("NotPrincipal lists account \(a) alone: only its root user is exempt; the Deny still applies to its users and "
                    + "role sessions",
                 "list each exempt user with the account, or deny with StringNotEquals on aws:PrincipalAccount instead")
        }
    }
}
