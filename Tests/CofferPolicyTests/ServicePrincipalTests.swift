@testable import CofferPolicy
import Testing

/// Service principals (`"Principal": {"Service": "logging.s3.amazonaws.com"}`) and the global
/// condition keys of a service's request (IAM User Guide, "AWS global condition context keys"):
/// `aws:PrincipalIsAWSService` true and `aws:PrincipalServiceName` for a service, false and
/// absent for IAM principals; `aws:SourceArn` and `aws:SourceAccount` as the service gives them.
@Suite struct ServicePrincipalTests {
    static let logging = "logging.s3.amazonaws.com"
    let service = PolicyPrincipal.service(logging)
    let user = PolicyPrincipal.user("alice", account: "111122223333")
    let source = ["aws:SourceArn": ["arn:aws:s3:::source-bucket"], "aws:SourceAccount": ["111122223333"]]

    /// The policy S3 server access logging asks for on the target bucket.
    static let loggingPolicy = #"""
        {"Version": "2012-10-17", "Statement": [
          {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
           "Action": "s3:PutObject", "Resource": "arn:aws:s3:::log-bucket/logs/*",
           "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::source-bucket"},
                         "StringEquals": {"aws:SourceAccount": "111122223333"}}}]}
        """#

    func request(_ principal: PolicyPrincipal, _ context: [String: [String]] = [:], action: String = "s3:PutObject") -> PolicyRequest {
        PolicyRequest(principal: principal, action: action, resource: "arn:aws:s3:::log-bucket/logs/2026-01-01", context: context)
    }

    @Test func parsesWithoutWarningsAboutThePrincipal() throws {
        let policy = try Policy.parse(Self.loggingPolicy, bucket: "log-bucket")
        #expect(policy.statements[0].principals == [.service(Self.logging)])
        #expect(policy.lint() == [])
        for entry in [#""Service": ["logging.s3.amazonaws.com", "cloudtrail.amazonaws.com"]"#, #""Service": "logging.s3.amazonaws.com""#] {
            #expect(throws: Never.self) {
                try Policy.parse(#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotPrincipal": {\#(entry)}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]}"#, bucket: "b")
            }
        }
    }

    @Test func allowForTheServiceWithSourceConditions() throws {
        let policy = try Policy.parse(Self.loggingPolicy, bucket: "log-bucket")
        #expect(policy.evaluate(request(service, source)).decision == .allow)
        // Another source bucket, another account, or none at all: the Allow does not apply.
        #expect(policy.evaluate(request(service, ["aws:SourceArn": ["arn:aws:s3:::other"], "aws:SourceAccount": ["111122223333"]])).decision == .implicitDeny)
        #expect(policy.evaluate(request(service, ["aws:SourceArn": ["arn:aws:s3:::source-bucket"], "aws:SourceAccount": ["999999999999"]])).decision == .implicitDeny)
        let bare = policy.evaluate(request(service))
        #expect(bare.decision == .implicitDeny)
        #expect(bare.missingContextKeys == ["aws:SourceAccount", "aws:SourceArn"])
        // Another service, or an IAM user with the same context, is not the service.
        #expect(policy.evaluate(request(.service("cloudtrail.amazonaws.com"), source)).decision == .implicitDeny)
        #expect(policy.evaluate(request(user, source)).decision == .implicitDeny)
        #expect(policy.evaluate(request(.anonymous, source)).decision == .implicitDeny)
        #expect(policy.decide(request(service, source)) == .allow)
    }

    @Test func denyForTheService() throws {
        let policy = try Policy.parse(#"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Deny", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::log-bucket/*"},
              {"Effect": "Allow", "Principal": "*", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::log-bucket/*"}]}
            """#, bucket: "log-bucket")
        #expect(policy.evaluate(request(service, action: "s3:DeleteObject")).decision == .explicitDeny)
        #expect(policy.evaluate(request(service, action: "s3:PutObject")).decision == .allow)
        #expect(policy.evaluate(request(user, action: "s3:DeleteObject")).decision == .allow)
        #expect(policy.evaluate(request(.service("cloudtrail.amazonaws.com"), action: "s3:DeleteObject")).decision == .allow)
    }

    @Test func conditionKeysOfAServiceRequest() {
        let r = request(service, source)
        #expect(r.values("aws:PrincipalIsAWSService") == ["true"])
        #expect(r.values("aws:PrincipalServiceName") == [Self.logging])
        #expect(r.values("aws:SourceArn") == ["arn:aws:s3:::source-bucket"])
        #expect(r.values("aws:SourceAccount") == ["111122223333"])
        // A service has no ARN, account or user name of its own.
        #expect(r.values("aws:PrincipalArn") == nil)
        #expect(r.values("aws:PrincipalAccount") == nil)
        #expect(r.values("aws:username") == nil)
    }

    @Test func conditionKeysOfIAMAndAnonymousRequests() {
        for p in [user, PolicyPrincipal.root(account: "111122223333")] {
            let r = request(p)
            #expect(r.values("aws:PrincipalIsAWSService") == ["false"], "\(p)")
            #expect(r.values("aws:PrincipalServiceName") == nil, "\(p)")
            #expect(r.values("aws:SourceArn") == nil, "\(p)")
            #expect(r.values("aws:SourceAccount") == nil, "\(p)")
        }
        #expect(request(.anonymous).values("aws:PrincipalIsAWSService") == nil)
        #expect(request(.anonymous).values("aws:PrincipalServiceName") == nil)
    }

    /// The usual guard: deny everyone but AWS services outside a network, with
    /// `aws:PrincipalIsAWSService`; and a per-service rule with `aws:PrincipalServiceName`.
    @Test func conditionsOnTheServiceKeys() throws {
        let policy = try Policy.parse(#"""
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "DenyOutsideNetwork", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::log-bucket/*",
               "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
              {"Sid": "OnlyLogging", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::log-bucket/logs/*",
               "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalServiceName": "logging.s3.amazonaws.com"},
                             "Bool": {"aws:PrincipalIsAWSService": "true"}}},
              {"Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::log-bucket/*"}]}
            """#, bucket: "log-bucket")
        let outside = ["aws:SourceIp": ["198.51.100.7"]]
        let inside = ["aws:SourceIp": ["192.0.2.7"]]
        #expect(policy.evaluate(request(service, outside)).decision == .allow)
        #expect(policy.evaluate(request(user, outside)).decision == .explicitDeny)
        #expect(policy.evaluate(request(user, inside)).decision == .allow)
        // Anonymous requests lack aws:PrincipalIsAWSService: BoolIfExists holds, so they are denied.
        #expect(policy.evaluate(request(.anonymous, outside)).decision == .explicitDeny)
        let cloudtrail = PolicyPrincipal.service("cloudtrail.amazonaws.com")
        let d = policy.evaluate(request(cloudtrail, outside))
        #expect(d.decision == .explicitDeny)
        #expect(d.matchedStatements.map(\.sid) == ["OnlyLogging"])
    }
}
