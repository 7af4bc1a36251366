@testable import CofferPolicy
import Testing

/// NotPrincipal as IAM evaluates it (IAM User Guide, "AWS JSON policy elements: NotPrincipal"): a
/// request escapes a Deny + NotPrincipal statement only when every principal it carries is
/// listed. An IAM user carries its user ARN and its account, a role session its session ARN,
/// its role and its account, the root user its account, a service its name. ARNs compare
/// case-sensitively.
@Suite struct NotPrincipalTests {
    static let account = "444455556666"
    static let bobArn = "arn:aws:iam::444455556666:user/Bob"
    static let rootArn = "arn:aws:iam::444455556666:root"
    let bob = PolicyPrincipal.user("Bob", account: account)
    let lowerBob = PolicyPrincipal.user("bob", account: account)
    let alice = PolicyPrincipal.user("Alice", account: account)
    let root = PolicyPrincipal.root(account: account)
    let outsider = PolicyPrincipal.user("Bob", account: "111122223333")
    let session = PolicyPrincipal.aws(AWSPrincipal(
        arn: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app", accountId: account))
    let otherSession = PolicyPrincipal.aws(AWSPrincipal(
        arn: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other-app", accountId: account))

    /// The AWS example's statement with `notPrincipal` as its NotPrincipal, then an Allow for everyone, so
    /// a request the Deny exempts is allowed.
    func policy(_ notPrincipal: String, effect: String = "Deny") throws -> Policy {
        try Policy.parse(#"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "\#(effect)", "NotPrincipal": \#(notPrincipal), "Action": "s3:*",
               "Resource": ["arn:aws:s3:::BUCKETNAME", "arn:aws:s3:::BUCKETNAME/*"]},
              {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKETNAME/*"}]}
            """#, bucket: "BUCKETNAME")
    }

    /// One Allow of s3:GetObject on the bucket's objects, with `principal` as written (a
    /// `"Principal": ...` or `"NotPrincipal": ...` member).
    func allowing(_ principal: String) throws -> Policy {
        try Policy.parse(#"""
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", \#(principal),
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKETNAME/*"}]}
            """#, bucket: "BUCKETNAME")
    }

    func decision(_ policy: Policy, _ principal: PolicyPrincipal) -> PolicyDecision.Decision {
        let request = PolicyRequest(principal: principal, action: "s3:GetObject", resource: "arn:aws:s3:::BUCKETNAME/report.csv")
        let decision = policy.evaluate(request).decision
        #expect(policy.decide(request) == decision, "decide and evaluate disagree for \(principal)")
        return decision
    }

    @Test func awsExampleExemptsBobOnly() throws {
        let p = try policy(#"{"AWS": ["\#(Self.bobArn)", "\#(Self.rootArn)"]}"#)
        #expect(decision(p, bob) == .allow)
        // Alice carries the listed account, but not a listed user ARN: denied.
        #expect(decision(p, alice) == .explicitDeny)
        // The account's root user carries only the account, which is listed.
        #expect(decision(p, root) == .allow)
        #expect(decision(p, outsider) == .explicitDeny)
        #expect(decision(p, .anonymous) == .explicitDeny)
        #expect(decision(p, .service("logging.s3.amazonaws.com")) == .explicitDeny)
        let explained = p.evaluate(PolicyRequest(principal: bob, action: "s3:GetObject", resource: "arn:aws:s3:::BUCKETNAME/k"))
        #expect(explained.statements[0].reason?.element == .notPrincipal)
    }

    @Test func userArnAloneDoesNotExemptTheUser() throws {
        // Bob's account is not listed, and his requests carry it: the Deny applies to him.
        let p = try policy(#"{"AWS": "\#(Self.bobArn)"}"#)
        #expect(decision(p, bob) == .explicitDeny)
        #expect(decision(p, alice) == .explicitDeny)
        #expect(decision(p, root) == .explicitDeny)
    }

    @Test func accountAloneExemptsOnlyItsRootUser() throws {
        for entry in [Self.account, Self.rootArn] {
            let p = try policy(#"{"AWS": "\#(entry)"}"#)
            #expect(decision(p, root) == .allow, "\(entry)")
            #expect(decision(p, alice) == .explicitDeny, "\(entry)")
            #expect(decision(p, bob) == .explicitDeny, "\(entry)")
            #expect(decision(p, session) == .explicitDeny, "\(entry)")
            #expect(decision(p, PolicyPrincipal.root(account: "111122223333")) == .explicitDeny, "\(entry)")
        }
    }

    @Test func arnsAreCaseSensitive() throws {
        let p = try policy(#"{"AWS": ["\#(Self.bobArn)", "\#(Self.rootArn)"]}"#)
        #expect(decision(p, lowerBob) == .explicitDeny)
        let lower = try policy(#"{"AWS": ["arn:aws:iam::444455556666:user/bob", "\#(Self.rootArn)"]}"#)
        #expect(decision(lower, lowerBob) == .allow)
        #expect(decision(lower, bob) == .explicitDeny)
        // Principal compares the same way.
        let allowBob = try allowing(#""Principal": {"AWS": "\#(Self.bobArn)"}"#)
        #expect(decision(allowBob, bob) == .allow)
        #expect(decision(allowBob, lowerBob) == .implicitDeny)
    }

    @Test func roleSessionNeedsSessionRoleAndAccount() throws {
        let sessionArn = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
        let roleArn = "arn:aws:iam::444455556666:role/cross-account-read-only-role"
        let all = try policy(#"{"AWS": ["\#(sessionArn)", "\#(roleArn)", "\#(Self.rootArn)"]}"#)
        #expect(decision(all, session) == .allow)
        #expect(decision(all, otherSession) == .explicitDeny)
        #expect(decision(all, alice) == .explicitDeny)
        for partial in [[roleArn, Self.rootArn], [sessionArn, Self.rootArn], [sessionArn, roleArn]] {
            let p = try policy(#"{"AWS": [\#(partial.map { "\"\($0)\"" }.joined(separator: ", "))]}"#)
            #expect(decision(p, session) == .explicitDeny, "\(partial)")
        }
    }

    @Test func everyoneAndServiceEntries() throws {
        let everyone = try policy(#""*""#)
        for p in [bob, alice, root, session, PolicyPrincipal.anonymous, .service("logging.s3.amazonaws.com")] {
            #expect(decision(everyone, p) == .allow, "\(p)")
        }
        let service = try policy(#"{"Service": "logging.s3.amazonaws.com"}"#)
        #expect(decision(service, .service("logging.s3.amazonaws.com")) == .allow)
        #expect(decision(service, .service("cloudtrail.amazonaws.com")) == .explicitDeny)
        #expect(decision(service, bob) == .explicitDeny)
        #expect(decision(service, root) == .explicitDeny)
        let mixed = try policy(#"{"Service": "logging.s3.amazonaws.com", "AWS": ["\#(Self.bobArn)", "\#(Self.account)"]}"#)
        #expect(decision(mixed, .service("logging.s3.amazonaws.com")) == .allow)
        #expect(decision(mixed, bob) == .allow)
        #expect(decision(mixed, alice) == .explicitDeny)
    }

    /// NotPrincipal with Allow (which IAM no longer supports) grants only callers none of whose
    /// principals is listed: listing an account keeps every principal of it out.
    @Test func allowGrantsOnlyWhenNothingIsListed() throws {
        let p = try allowing(#""NotPrincipal": {"AWS": ["\#(Self.bobArn)", "\#(Self.account)"]}"#)
        #expect(decision(p, bob) == .implicitDeny)
        #expect(decision(p, alice) == .implicitDeny)
        #expect(decision(p, root) == .implicitDeny)
        #expect(decision(p, outsider) == .allow)
        #expect(decision(p, .anonymous) == .allow)
        let userOnly = try allowing(#""NotPrincipal": {"AWS": "\#(Self.bobArn)"}"#)
        #expect(decision(userOnly, bob) == .implicitDeny)
        #expect(decision(userOnly, alice) == .allow)
    }

    @Test func lintFlagsExemptionsThatExemptNobody() throws {
        func findings(_ notPrincipal: String) throws -> [PolicyWarning] {
            try policy(notPrincipal).lint().filter { $0.code == .notPrincipalStillDenies }
        }
        #expect(try findings(#"{"AWS": ["\#(Self.bobArn)", "\#(Self.rootArn)"]}"#).isEmpty)
        #expect(try findings(#""*""#).isEmpty)
        #expect(try findings(#"{"Service": "logging.s3.amazonaws.com"}"#).isEmpty)

        let userOnly = try findings(#"{"AWS": "\#(Self.bobArn)"}"#)
        #expect(userOnly.count == 1)
        #expect(userOnly.first?.message.contains(Self.bobArn) == true)
        #expect(userOnly.first?.suggestion == "add \(Self.rootArn) to NotPrincipal")

        let accountOnly = try findings(#"{"AWS": "\#(Self.account)"}"#)
        #expect(accountOnly.count == 1)
        #expect(accountOnly.first?.message.contains("account \(Self.account) alone") == true)

        let sessionArn = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
        let sessionWithoutRole = try findings(#"{"AWS": ["\#(sessionArn)", "\#(Self.rootArn)"]}"#)
        #expect(sessionWithoutRole.map(\.message) == ["the Deny still applies to \(sessionArn): its requests also carry its role "
            + "cross-account-read-only-role, which NotPrincipal does not list"])
        #expect(sessionWithoutRole.map(\.suggestion) == [
            "add arn:aws:iam::444455556666:role/cross-account-read-only-role (with the role's path, if any) to NotPrincipal"])
        #expect(try findings(#"{"AWS": "\#(sessionArn)"}"#).map(\.message) == ["the Deny still applies to \(sessionArn): its requests "
            + "also carry its role cross-account-read-only-role and its account 444455556666, which NotPrincipal does not list"])
        let roleWithoutSession = try findings(#"{"AWS": ["arn:aws:iam::444455556666:role/team/reader", "\#(Self.rootArn)"]}"#)
        #expect(roleWithoutSession.count == 1)
        #expect(roleWithoutSession.first?.message.contains("every session of arn:aws:iam::444455556666:role/team/reader") == true)

        // Allow + NotPrincipal has its own finding.
        let allow = try policy(#"{"AWS": "\#(Self.bobArn)"}"#, effect: "Allow").lint().map(\.code)
        #expect(allow.contains(.notPrincipalWithAllow) && !allow.contains(.notPrincipalStillDenies))
    }
}
