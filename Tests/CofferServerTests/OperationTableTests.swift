@testable import CofferS3
import HTTPTypes
import Testing

/// Every row of the operation table, through the whole pipeline: the row's facts, the
/// operation its representative request parses to, and who may do it: the owner, another user
/// (alice) and anonymous, without a bucket policy; with a bucket policy granting alice, or
/// everyone, exactly the row's action on the row's resource ARN (allowed), or on every resource
/// but that ARN (refused); with an explicit Deny for the owner (refused, except for the bucket-policy
/// management rows). Each scenario works on its own bucket, and each refusal is audited.
@Suite struct OperationTableTests {
    enum Scenario: String, CaseIterable, Sendable {
        case owner, alice, anonymous
        case aliceGranted = "alice-granted", anonymousGranted = "anon-granted", aliceElsewhere = "alice-elsewhere"
        case ownerDenied = "owner-denied"
        /// Identity rows only: bob's identity policy denies the action.
        case bobIdentityDenied = "bob-denied"

        var caller: Caller {
            switch self {
            case .owner, .ownerDenied: .root
            case .alice, .aliceGranted, .aliceElsewhere: .alice
            case .anonymous, .anonymousGranted: .anonymous
            case .bobIdentityDenied: .bob
            }
        }
    }

    enum Outcome: Equatable { case allowed(HTTPResponse.Status), denied }

    /// Bob's identity policy in these tests: no ListBuckets, no CreateBucket.
    static let bobPolicy = Policies.statement("Deny", .none, actions: ["s3:ListAllMyBuckets", "s3:CreateBucket"], resources: ["*"])
    static let dataEventRows: Set<S3Operation> = [
        .deleteObjects, .putObject, .getObject, .headObject, .getObjectAttributes, .deleteObject, .copyObject, .uploadPartCopy,
        .createMultipartUpload, .uploadPart, .completeMultipartUpload, .abortMultipartUpload, .listParts,
        .putObjectTagging, .getObjectTagging, .deleteObjectTagging,
        .putObjectLockConfiguration, .putObjectRetention, .getObjectRetention, .putObjectLegalHold, .getObjectLegalHold,
    ]
    /// Reads of a key whose absence is revealed only to callers with s3:ListBucket.
    static let missingKeyRows: Set<S3Operation> = [
        .getObject, .headObject, .getObjectAttributes, .putObjectTagging, .getObjectTagging, .deleteObjectTagging,
        .putObjectRetention, .getObjectRetention, .putObjectLegalHold, .getObjectLegalHold,
    ]
    /// Operations evaluated with the object's tags (s3:ExistingObjectTag/<key>).
    static let existingTagRows: Set<S3Operation> = [
        .getObject, .headObject, .getObjectAttributes, .getObjectAcl, .putObjectAcl, .putObjectTagging, .getObjectTagging, .deleteObjectTagging,
    ]
    /// Where each operation that sets tags takes them from.
    static let requestTagRows: [S3Operation: OperationSpec.RequestTags] = [
        .putObject: .header, .createMultipartUpload: .header, .copyObject: .header, .putObjectTagging: .body,
    ]

    @Test func theRowsCoverEveryOperationInOrder() {
        #expect(Row.all.map(\.operation) == S3Operation.allCases)
    }

    /// A request that names a version is authorised with the version form of every object
    /// action its row names (S3's `s3:GetObjectVersion` and friends); bucket rows and writes
    /// keep theirs.
    @Test(arguments: [
        ("GET", "/b/k?versionId=null", "s3:GetObjectVersion", [String](), "s3:GetObjectVersionTagging"),
        ("HEAD", "/b/k?versionId=null", "s3:GetObjectVersion", [], "s3:GetObjectVersionTagging"),
        ("GET", "/b/k?attributes&versionId=null", "s3:GetObjectVersionAttributes", ["s3:GetObjectVersion"], nil),
        ("DELETE", "/b/k?versionId=null", "s3:DeleteObjectVersion", [], nil),
        ("GET", "/b/k?tagging&versionId=null", "s3:GetObjectVersionTagging", [], nil),
        ("PUT", "/b/k?tagging&versionId=null", "s3:PutObjectVersionTagging", [], nil),
        ("DELETE", "/b/k?tagging&versionId=null", "s3:DeleteObjectVersionTagging", [], nil),
        ("GET", "/b/k?acl&versionId=null", "s3:GetObjectVersionAcl", [], nil),
        ("GET", "/b/k", "s3:GetObject", [], "s3:GetObjectTagging"),
        ("PUT", "/b/k?versionId=null", "s3:PutObject", [], nil),
        ("GET", "/b?versions&versionId=null", "s3:ListBucketVersions", [], nil),
    ] as [(String, String, String, [String], String?)])
    func versionActions(method: String, target: String, action: String, alsoRequires: [String], tagCount: String?) throws {
        let request = try S3RequestParser(domains: ["localhost"]).parse(
            method: HTTPRequest.Method(method)!, target: target, authority: "localhost", headers: [:], secure: false, sourceIP: nil)
        let spec = try S3Operation.parse(request).spec(for: request)
        #expect(spec.action == action)
        #expect(spec.alsoRequires == alsoRequires)
        #expect(spec.tagCountRevealedBy == tagCount)
    }

    @Test(arguments: Row.all)
    func row(_ row: Row) async throws {
        // The production row says what this test's row says.
        let spec = row.operation.spec
        #expect(spec.action == row.action)
        #expect(spec.resource == row.resource)
        #expect(spec.authorization == row.authorization)
        #expect(spec.audit == (Self.dataEventRows.contains(row.operation) ? .dataEvent : .whenRefused))
        #expect(spec.missingKeyRevealedBy == (Self.missingKeyRows.contains(row.operation) ? "s3:ListBucket" : nil))
        #expect(spec.existingObjectTags == Self.existingTagRows.contains(row.operation))
        #expect(spec.requestTags == Self.requestTagRows[row.operation])
        #expect(spec.tagCountRevealedBy == ([.getObject, .headObject].contains(row.operation) ? "s3:GetObjectTagging" : nil))
        #expect(spec.alsoRequires == (row.operation == .getObjectAttributes ? ["s3:GetObject"] : []))
        #expect(spec.copySourceAction == (row.copySourceARN(bucket: "b") != nil ? "s3:GetObject" : nil))
        // The representative request is that operation.
        let sample = row.request(Row.Made(bucket: "sample", uploadId: "upload", partETag: "\"etag\""))
        var fields = HTTPFields()
        for (name, value) in sample.headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let parsed = try S3RequestParser(domains: ["localhost"]).parse(
            method: sample.method, target: sample.query.isEmpty ? sample.path : sample.path + "?" + sample.query,
            authority: "localhost", headers: fields, secure: false, sourceIP: nil)
        #expect(try S3Operation.parse(parsed) == row.operation)

        let scenarios: [Scenario] = row.authorization == .identity
            ? [.owner, .alice, .anonymous, .bobIdentityDenied]
            : [.owner, .alice, .anonymous, .aliceGranted, .anonymousGranted, .aliceElsewhere, .ownerDenied]
        try await Harness.run(bobPolicy: Policies.document(Self.bobPolicy)) { s3 in
            for scenario in scenarios {
                try await check(row, scenario, s3)
            }
        }
    }

    func expected(_ row: Row, _ scenario: Scenario) -> Outcome {
        switch scenario {
        case .owner: .allowed(row.allowed)
        case .alice: row.authorization == .identity ? .allowed(row.allowed) : .denied
        case .anonymous, .aliceElsewhere, .bobIdentityDenied: .denied
        case .aliceGranted, .anonymousGranted: .allowed(row.allowedWithPolicy)
        case .ownerDenied: row.authorization == .bucketPolicyManagement ? .allowed(row.allowedWithPolicy) : .denied
        }
    }

    /// The bucket policy a scenario puts on its bucket.
    func policy(_ row: Row, _ scenario: Scenario, bucket: String, account: String) -> String? {
        let alice = Policies.Principal.user("alice", account: account)
        var statements: [String]
        switch scenario {
        case .owner, .alice, .anonymous, .bobIdentityDenied: return nil
        case .aliceGranted: statements = [Policies.statement(alice, actions: [row.action], resources: [row.arn(bucket: bucket)])]
        case .anonymousGranted: statements = [Policies.statement(.anyone, actions: [row.action], resources: [row.arn(bucket: bucket)])]
        case .aliceElsewhere:
            // The action on every resource but the row's: a grant on the bucket ARN for an object
            // row, or on the objects for a bucket row. (A grant of the action on only the other
            // kind of ARN is MalformedPolicy, as on S3: the action applies to no resource.)
            statements = [Policies.statement("Allow", alice, actions: [row.action], resources: [row.arn(bucket: bucket)], notResources: true)]
        case .ownerDenied: return Policies.document(Policies.statement("Deny", .anyone, actions: [row.action], resources: [row.arn(bucket: bucket)]))
        }
        // Actions the operation also needs (GetObjectAttributes: s3:GetObject) are granted
        // beside the row's own, so the row's action alone decides.
        let also = row.operation.spec.alsoRequires
        if !also.isEmpty {
            statements.append(Policies.statement(scenario == .anonymousGranted ? .anyone : alice, actions: also, resources: [row.arn(bucket: bucket)]))
        }
        if let source = row.copySourceARN(bucket: bucket) {
            statements.append(Policies.statement(scenario == .anonymousGranted ? .anyone : alice, actions: ["s3:GetObject"], resources: [source]))
        }
        return Policies.document(statements)
    }

    func check(_ row: Row, _ scenario: Scenario, _ s3: S3TestClient) async throws {
        let context = Comment(rawValue: "\(row.operation.rawValue) / \(scenario.rawValue)")
        var made = Row.Made(bucket: (row.fixture == .none ? "new-" : "row-") + scenario.rawValue)
        if row.fixture == .lockedObjects {
            try await s3.send(.put, "/\(made.bucket)", headers: [("x-amz-bucket-object-lock-enabled", "true")], body: s3.bucketConfiguration).expect(.ok)
            let body = Array("locked".utf8)
            try await s3.putObject(made.bucket, "k", "locked", headers: Row.md5(body) + [
                ("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", Row.fixtureRetainUntil),
                ("x-amz-object-lock-legal-hold", "OFF"),
            ])
        } else if row.fixture != .none {
            try await s3.createBucket(made.bucket)
        }
        if row.fixture == .objects || row.fixture == .upload {
            try await s3.putObject(made.bucket, "k")
            try await s3.putObject(made.bucket, "src")
        }
        if row.fixture == .upload {
            made.uploadId = try await s3.createUpload(made.bucket, "k")
            made.partETag = try await s3.uploadPart(made.bucket, "k", uploadId: made.uploadId, number: 1)
        }
        let policy = policy(row, scenario, bucket: made.bucket, account: s3.accountId)
        if let policy { try await s3.putPolicy(made.bucket, policy) }

        var request = row.request(made)
        if row.operation == .putBucketPolicy {
            request.body = Array((policy ?? Policies.document(Policies.statement(.anyone, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::\(made.bucket)/*"]))).utf8)
        }
        let auditBefore = try s3.harness.auditEvents().count
        let reply = try await s3.send(request.method, request.path, query: request.query, headers: request.headers, body: request.body, as: scenario.caller)
        let outcome = expected(row, scenario)
        if scenario == .anonymousGranted, row.authorization == .bucketPolicyManagement {
            // S3 answers a caller outside the bucket owner's account (anonymous here) that a
            // bucket policy grants s3:Put/Get/DeleteBucketPolicy with 405 MethodNotAllowed ("If
            // you have the correct permissions, but you're not using an identity that belongs to
            // the bucket owner's account, Amazon S3 returns a 405 Method Not Allowed error",
            // PutBucketPolicy API reference).
            #expect(reply.status == .methodNotAllowed, context)
            #expect(reply.code == "MethodNotAllowed", context)
            return
        }
        let refusedKey = reply.xml?.child("Error")?.childText("Code")
        switch (outcome, row.authorization) {
        case (.allowed, .perKey):
            #expect(reply.status == .ok && reply.xml?.all("Deleted").count == 1, context)
        case (.denied, .perKey):
            #expect(reply.status == .ok && refusedKey == "AccessDenied", context)
        case (.allowed(let status), _):
            #expect(reply.status == status, "\(context): \(reply.status.code) \(reply.text.prefix(200))")
        case (.denied, _):
            #expect(reply.status == .forbidden, context)
            #expect(reply.code == (request.method == .head ? nil : "AccessDenied"), context)
        }
        // The audit trail: every refusal, and every request of a data-event row.
        let events = try s3.harness.auditEvents().dropFirst(auditBefore)
        let refused = outcome == .denied && row.authorization != .perKey
        if refused || Self.dataEventRows.contains(row.operation) {
            #expect(events.count == 1, context)
            #expect(events.first?.eventName == row.operation.rawValue, context)
            // A DeleteObjects key is audited on its own, refused or deleted.
            #expect(events.first?.errorCode == (outcome == .denied ? "AccessDenied" : nil), context)
        } else {
            #expect(events.isEmpty, context)
        }
    }
}
