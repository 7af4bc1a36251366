import CofferSigV4
import Foundation
import Testing

/// The front door's other routes: AWS's JSON-protocol APIs on the same endpoint, told apart by
/// `X-Amz-Target` and authenticated with SigV4 for their own service, and the health check.
@Suite struct FrontDoorJSONAPITests {
    static func kms(_ s3: S3TestClient, _ operation: String, _ json: String = "{}", service: String = "kms", as caller: Caller = .root) async throws -> S3Reply {
        try await s3.send(.post, "/", headers: [("X-Amz-Target", operation), ("Content-Type", "application/x-amz-json-1.1")],
                          body: Array(json.utf8), as: caller, service: service)
    }

    static func object(_ reply: S3Reply) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
    }

    @Test func aKMSCallSignedForKMSWorks() async throws {
        try await Harness.run { s3 in
            let created = try await Self.kms(s3, "TrentService.CreateKey", #"{"Description": "in-process"}"#).expect(.ok)
            #expect(created.header("content-type") == "application/x-amz-json-1.1")
            #expect(created.header("x-amzn-requestid") == created.requestId)
            let metadata = try #require(try Self.object(created)["KeyMetadata"] as? [String: Any])
            let keyId = try #require(metadata["KeyId"] as? String)
            #expect(metadata["Arn"] as? String == "arn:aws:kms:us-east-1:\(s3.accountId):key/\(keyId)")
            // The key's creation time is the injected clock's.
            #expect(metadata["CreationDate"] as? Double == TestClock.start.timeIntervalSince1970)

            let listed = try await Self.kms(s3, "TrentService.ListKeys").expect(.ok)
            let keys = try #require(try Self.object(listed)["Keys"] as? [[String: Any]])
            #expect(keys.contains { $0["KeyId"] as? String == keyId })
            // The call is in the audit trail, as root, at the clock's time.
            let event = try #require(try s3.harness.auditEvents().last { $0.eventName == "CreateKey" })
            #expect(event.eventSource == "kms.amazonaws.com")
            #expect(event.eventTime == TestClock.start)
        }
    }

    @Test func aKMSCallSignedForS3IsAnInvalidSignature() async throws {
        try await Harness.run { s3 in
            let reply = try await Self.kms(s3, "TrentService.ListKeys", service: "s3").expect(.badRequest)
            #expect(try Self.object(reply)["__type"] as? String == "InvalidSignatureException")
        }
    }

    @Test func unsignedAndUnknownCallersAreRefused() async throws {
        try await Harness.run { s3 in
            let anonymous = try await Self.kms(s3, "TrentService.ListKeys", as: .anonymous).expect(.badRequest)
            #expect(try Self.object(anonymous)["__type"] as? String == "MissingAuthenticationTokenException")
            let unknown = Credential(accessKeyId: "NOSUCHACCESSKEY", secretAccessKey: "whatever-secret", userName: "nobody")
            let stranger = try await Self.kms(s3, "TrentService.ListKeys", as: .credential(unknown)).expect(.badRequest)
            #expect(try Self.object(stranger)["__type"] as? String == "UnrecognizedClientException")
        }
    }

    @Test func anUnknownTargetIsAnUnknownOperation() async throws {
        try await Harness.run { s3 in
            let reply = try await Self.kms(s3, "NoSuchService_20990101.DoThings").expect(.badRequest)
            #expect(try Self.object(reply)["__type"] as? String == "UnknownOperationException")
            let cloudTrail = try await Self.kms(s3, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StartLogging", service: "cloudtrail")
                .expect(.badRequest)
            #expect(try Self.object(cloudTrail)["__type"] as? String == "UnknownOperationException")
        }
    }

    @Test func cloudTrailLookupEventsReadsTheAuditTrail() async throws {
        try await Harness.run { s3 in
            try await Self.kms(s3, "TrentService.CreateKey").expect(.ok)
            // As on AWS, LookupEvents returns management events (the KMS calls), not S3 data events.
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            for (name, count) in [("CreateKey", 1), ("PutObject", 0)] {
                let reply = try await Self.kms(s3, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
                                               #"{"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "\#(name)"}]}"#,
                                               service: "cloudtrail").expect(.ok)
                let events = try #require(try Self.object(reply)["Events"] as? [[String: Any]])
                #expect(events.count == count, "\(name)")
                #expect(events.allSatisfy { $0["EventName"] as? String == name })
            }
        }
    }

    @Test func theHealthCheckAnswersWithoutSignature() async throws {
        try await Harness.run { s3 in
            let reply = try await s3.send(.get, "/_coffer/health", as: .anonymous).expect(.ok)
            #expect(reply.text == "ok\n")
            #expect(reply.header("x-amz-request-id") != nil)
            #expect(reply.header("server") == "Coffer")
        }
    }
}
