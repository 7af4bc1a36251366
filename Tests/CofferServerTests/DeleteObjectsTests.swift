@testable import CofferS3
import Testing

/// DeleteObjects is authorised key by key (the table's `.perKey` rule): a key the caller may
/// not delete is reported as an `<Error>` with AccessDenied, and stays; the others are deleted,
/// in the same 200 answer, as on S3.
@Suite struct DeleteObjectsTests {
    static let keys = ["a", "protected/x", "b", "protected/y/z"]

    static func deleteBody(_ keys: [String], quiet: Bool = false) -> [UInt8] {
        let objects = keys.map { "<Object><Key>\($0)</Key></Object>" }.joined()
        return Array("<Delete>\(quiet ? "<Quiet>true</Quiet>" : "")\(objects)</Delete>".utf8)
    }

    func deleteObjects(_ s3: S3TestClient, _ keys: [String], quiet: Bool = false, as caller: Caller) async throws -> S3Reply {
        let body = Self.deleteBody(keys, quiet: quiet)
        return try await s3.send(.post, "/bkt", query: "delete", headers: [S3TestClient.contentMD5(body)], body: body, as: caller)
    }

    func populate(_ s3: S3TestClient) async throws {
        try await s3.createBucket("bkt")
        for key in Self.keys { try await s3.putObject("bkt", key) }
    }

    func remainingKeys(_ s3: S3TestClient) async throws -> [String] {
        let list = try await s3.send(.get, "/bkt", query: "list-type=2").expect(.ok)
        return list.xml?.all("Contents").compactMap { $0.childText("Key") } ?? []
    }

    @Test(arguments: [Caller.root, .alice])
    func aDenyOnAPrefixRefusesThoseKeysOnly(_ caller: Caller) async throws {
        try await Harness.run { s3 in
            try await populate(s3)
            let alice = Policies.Principal.user("alice", account: s3.accountId)
            try await s3.putPolicy("bkt", Policies.document(
                Policies.statement(alice, actions: ["s3:DeleteObject", "s3:ListBucket"], resources: ["arn:aws:s3:::bkt/*", "arn:aws:s3:::bkt"]),
                Policies.statement("Deny", .anyone, actions: ["s3:DeleteObject"], resources: ["arn:aws:s3:::bkt/protected/*"])))

            let reply = try await deleteObjects(s3, Self.keys, as: caller).expect(.ok)
            let result = try #require(reply.xml)
            #expect(result.name == "DeleteResult")
            #expect(result.all("Deleted").compactMap { $0.childText("Key") } == ["a", "b"])
            let errors = result.all("Error")
            #expect(errors.compactMap { $0.childText("Key") } == ["protected/x", "protected/y/z"])
            #expect(errors.allSatisfy { $0.childText("Code") == "AccessDenied" && $0.childText("Message") == "Access Denied" })
            #expect(try await remainingKeys(s3) == ["protected/x", "protected/y/z"])
        }
    }

    @Test func quietModeReportsOnlyTheRefusedKeys() async throws {
        try await Harness.run { s3 in
            try await populate(s3)
            try await s3.putPolicy("bkt", Policies.document(
                Policies.statement("Deny", .anyone, actions: ["s3:DeleteObject"], resources: ["arn:aws:s3:::bkt/protected/*"])))
            let result = try #require(try await deleteObjects(s3, Self.keys, quiet: true, as: .root).expect(.ok).xml)
            #expect(result.all("Deleted").isEmpty)
            #expect(result.all("Error").compactMap { $0.childText("Key") } == ["protected/x", "protected/y/z"])
        }
    }

    @Test func aCallerWithoutAnyGrantIsRefusedEveryKey() async throws {
        try await Harness.run { s3 in
            try await populate(s3)
            for caller in [Caller.alice, .anonymous] {
                let result = try #require(try await deleteObjects(s3, ["a", "b"], as: caller).expect(.ok).xml)
                #expect(result.all("Error").map { $0.childText("Code") } == ["AccessDenied", "AccessDenied"], "\(caller)")
            }
            #expect(try await remainingKeys(s3) == ["a", "b", "protected/x", "protected/y/z"])
            // Each key is audited on its own: here each one's refusal.
            let events = try s3.harness.auditEvents().filter { $0.eventName == "DeleteObjects" }
            #expect(events.count == 4)
            #expect(events.allSatisfy { $0.errorCode == "AccessDenied" })
        }
    }

    @Test func aMissingKeyIsReportedDeleted() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let result = try #require(try await deleteObjects(s3, ["never-written"], as: .root).expect(.ok).xml)
            #expect(result.all("Deleted").compactMap { $0.childText("Key") } == ["never-written"])
        }
    }
}
