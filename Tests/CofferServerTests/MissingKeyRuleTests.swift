import HTTPTypes
import Testing

/// The 404-or-403 rule for a missing key (issue 9): GET and HEAD of a key that does not exist
/// answer 404 NoSuchKey to a caller who may list the bucket (`s3:ListBucket` on the *bucket*
/// ARN `arn:aws:s3:::bkt`), and 403 AccessDenied to anyone else, whether the grants come from
/// the bucket policy or from the caller's identity policy.
@Suite struct MissingKeyRuleTests {
    enum Source: String, Sendable { case bucketPolicy = "bucket policy", identityPolicy = "identity policy" }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var grants: [(action: String, resource: String)]
        var source: Source
        var missingKeyStatus: HTTPResponse.Status

        var testDescription: String { "\(name) (\(source.rawValue))" }

    }

    static let getObject = (action: "s3:GetObject", resource: "arn:aws:s3:::bkt/*")
    static let cases: [Case] = [Source.bucketPolicy, .identityPolicy].flatMap { source in
        [
            Case(name: "GetObject on bkt/* and ListBucket on the bucket ARN", grants: [getObject, ("s3:ListBucket", "arn:aws:s3:::bkt")],
                 source: source, missingKeyStatus: .notFound),
            Case(name: "GetObject only", grants: [getObject], source: source, missingKeyStatus: .forbidden),
            // `s3:ListBucket` alone on bkt/* is MalformedPolicy (it applies to no resource there,
            // `theClassicMistakeIsMalformedPolicy`): `s3:List*` grants it on the object ARN.
            Case(name: "ListBucket on the object ARN bkt/* (the wrong ARN)", grants: [getObject, ("s3:List*", "arn:aws:s3:::bkt/*")],
                 source: source, missingKeyStatus: .forbidden),
        ]
    }

    @Test func theOwnerLearnsThatAKeyIsMissing() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let get = try await s3.send(.get, "/bkt/missing").expect(.notFound)
            #expect(get.code == "NoSuchKey")
            #expect(get.xml?.childText("Key") == "missing")
            let head = try await s3.send(.head, "/bkt/missing").expect(.notFound)
            #expect(head.body.isEmpty)
        }
    }

    @Test(arguments: cases)
    func aliceOnAMissingKey(_ test: Case) async throws {
        let identity = test.source == .identityPolicy
            ? Policies.document(test.grants.map { Policies.statement(.none, actions: [$0.action], resources: [$0.resource]) })
            : nil
        try await Harness.run(alicePolicy: identity) { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "present", "here")
            if test.source == .bucketPolicy {
                let alice = Policies.Principal.user("alice", account: s3.accountId)
                try await s3.putPolicy("bkt", Policies.document(test.grants.map { Policies.statement(alice, actions: [$0.action], resources: [$0.resource]) }))
            }
            // The grant of s3:GetObject works on a key that exists, whatever the case.
            #expect(try await s3.send(.get, "/bkt/present", as: .alice).expect(.ok).text == "here")
            try await s3.send(.head, "/bkt/present", as: .alice).expect(.ok)

            let get = try await s3.send(.get, "/bkt/missing", as: .alice).expect(test.missingKeyStatus)
            #expect(get.code == (test.missingKeyStatus == .notFound ? "NoSuchKey" : "AccessDenied"))
            let head = try await s3.send(.head, "/bkt/missing", as: .alice).expect(test.missingKeyStatus)
            #expect(head.body.isEmpty)
            // A refusal is audited as one; a 404 is an answered read.
            let last = try s3.harness.auditEvents().last
            #expect(last?.eventName == "HeadObject")
            #expect(last?.errorCode == (test.missingKeyStatus == .notFound ? "NoSuchKey" : "AccessDenied"))
        }
    }

    @Test func theClassicMistakeIsMalformedPolicy() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let alice = Policies.Principal.user("alice", account: s3.accountId)
            let mistake = Policies.document(Policies.statement(alice, actions: ["s3:GetObject", "s3:ListBucket"], resources: ["arn:aws:s3:::bkt/*"]))
            let reply = try await s3.send(.put, "/bkt", query: "policy", body: Array(mistake.utf8)).expect(.badRequest)
            #expect(reply.code == "MalformedPolicy")
            #expect(reply.xml?.childText("Message") == "Action does not apply to any resource(s) in statement")
        }
    }

    @Test func anonymousWithoutListBucketGetsAccessDenied() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putPolicy("bkt", Policies.document(Policies.statement(.anyone, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bkt/*"])))
            #expect(try await s3.send(.get, "/bkt/missing", as: .anonymous).expect(.forbidden).code == "AccessDenied")
            try await s3.putPolicy("bkt", Policies.document(
                Policies.statement(.anyone, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bkt/*"]),
                Policies.statement(.anyone, actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::bkt"])))
            #expect(try await s3.send(.get, "/bkt/missing", as: .anonymous).expect(.notFound).code == "NoSuchKey")
        }
    }
}
