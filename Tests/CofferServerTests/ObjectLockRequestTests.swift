@testable import CofferS3
import CofferAudit
import Foundation
import HTTPTypes
import Testing

/// Object Lock through the whole pipeline, with the harness's `TestClock` as the only clock:
/// retentions end when the clock passes them, never by waiting. GOVERNANCE and COMPLIANCE
/// retention, the bypass (header and permission), legal holds, a bucket's default retention,
/// S3's errors, and the audit records of lock changes and refused deletions.
@Suite struct ObjectLockRequestTests {
    static let day: TimeInterval = 86_400
    static let lockedMessage = "Access Denied because object protected by object lock."

    static func iso(_ date: Date) -> String { S3Date.iso8601(date) }

    /// Creates `bucket` with Object Lock (and so versioning).
    static func lockBucket(_ s3: S3TestClient, _ bucket: String = "lock") async throws {
        try await s3.send(.put, "/\(bucket)", headers: [("x-amz-bucket-object-lock-enabled", "true")], body: s3.bucketConfiguration).expect(.ok)
    }

    /// PUTs `key` with the lock headers given (and Content-MD5, which S3 requires with them);
    /// returns the new version's id.
    static func put(_ s3: S3TestClient, _ key: String, mode: String? = nil, until: Date? = nil, legalHold: String? = nil,
                    bucket: String = "lock", sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let body = Array("locked \(key)".utf8)
        var headers = [S3TestClient.contentMD5(body)]
        if let mode { headers.append(("x-amz-object-lock-mode", mode)) }
        if let until { headers.append(("x-amz-object-lock-retain-until-date", iso(until))) }
        if let legalHold { headers.append(("x-amz-object-lock-legal-hold", legalHold)) }
        let reply = try await s3.send(.put, "/\(bucket)/\(key)", headers: headers, body: body).expect(.ok, sourceLocation: sourceLocation)
        return try #require(reply.header("x-amz-version-id"), sourceLocation: sourceLocation)
    }

    static func deleteVersion(_ s3: S3TestClient, _ key: String, _ version: String, bypass: Bool = false, as caller: Caller = .root) async throws -> S3Reply {
        try await s3.send(.delete, "/lock/\(key)", query: "versionId=\(version)",
                          headers: bypass ? [("x-amz-bypass-governance-retention", "true")] : [], as: caller)
    }

    static func retentionXML(_ mode: String, _ until: Date) -> [UInt8] {
        Array(#"<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>\#(mode)</Mode><RetainUntilDate>\#(iso(until))</RetainUntilDate></Retention>"#.utf8)
    }

    static func putRetention(_ s3: S3TestClient, _ key: String, _ version: String, _ body: [UInt8], bypass: Bool = false, md5: Bool = true) async throws -> S3Reply {
        var headers = md5 ? [S3TestClient.contentMD5(body)] : []
        if bypass { headers.append(("x-amz-bypass-governance-retention", "true")) }
        return try await s3.send(.put, "/lock/\(key)", query: "retention&versionId=\(version)", headers: headers, body: body)
    }

    static func putLegalHold(_ s3: S3TestClient, _ key: String, _ version: String, _ status: String) async throws -> S3Reply {
        let body = Array(#"<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>\#(status)</Status></LegalHold>"#.utf8)
        return try await s3.send(.put, "/lock/\(key)", query: "legal-hold&versionId=\(version)", headers: [S3TestClient.contentMD5(body)], body: body)
    }

    static func expectLocked(_ reply: S3Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == .forbidden, sourceLocation: sourceLocation)
        #expect(reply.code == "AccessDenied", sourceLocation: sourceLocation)
        #expect(reply.xml?.childText("Message") == lockedMessage, sourceLocation: sourceLocation)
    }

    @Test func governanceIsBypassedOnlyWithHeaderAndPermissionAndEndsWithTheClock() async throws {
        // Alice may delete versions and read them, but not bypass governance retention.
        let alicePolicy = Policies.statement("Allow", .none, actions: ["s3:DeleteObjectVersion", "s3:GetObjectVersion"], resources: ["*"])
        try await Harness.run(alicePolicy: Policies.document(alicePolicy)) { s3 in
            try await Self.lockBucket(s3)
            let until = s3.clock.now.addingTimeInterval(Self.day)
            let first = try await Self.put(s3, "k", mode: "GOVERNANCE", until: until)
            Self.expectLocked(try await Self.deleteVersion(s3, "k", first))
            // Asking without s3:BypassGovernanceRetention bypasses nothing.
            Self.expectLocked(try await Self.deleteVersion(s3, "k", first, bypass: true, as: .alice))
            let head = try await s3.send(.head, "/lock/k", query: "versionId=\(first)").expect(.ok)
            #expect(head.header("x-amz-object-lock-mode") == "GOVERNANCE")
            #expect(head.header("x-amz-object-lock-retain-until-date") == Self.iso(until))
            // Root has every permission: with the header, the version goes.
            let bypassed = try await Self.deleteVersion(s3, "k", first, bypass: true).expect(.noContent)
            #expect(bypassed.header("x-amz-version-id") == first)
            #expect(try await s3.send(.head, "/lock/k", query: "versionId=\(first)").status == .notFound)

            // Without the bypass, the version goes once the clock passes its retain-until date,
            // and not a millisecond before.
            let second = try await Self.put(s3, "k", mode: "GOVERNANCE", until: until)
            s3.clock.advance(by: Self.day - 1)
            Self.expectLocked(try await Self.deleteVersion(s3, "k", second, as: .alice))
            s3.clock.advance(by: 1)
            try await Self.deleteVersion(s3, "k", second, as: .alice).expect(.noContent)
        }
    }

    @Test func complianceIsNeverBypassedNorShortenedOnlyExtended() async throws {
        try await Harness.run { s3 in
            try await Self.lockBucket(s3)
            let now = s3.clock.now
            let version = try await Self.put(s3, "k", mode: "COMPLIANCE", until: now.addingTimeInterval(Self.day))
            Self.expectLocked(try await Self.deleteVersion(s3, "k", version))
            Self.expectLocked(try await Self.deleteVersion(s3, "k", version, bypass: true))
            // Shortened, weakened to GOVERNANCE or removed: refused, even with the bypass.
            Self.expectLocked(try await Self.putRetention(s3, "k", version, Self.retentionXML("COMPLIANCE", now.addingTimeInterval(3600))))
            Self.expectLocked(try await Self.putRetention(s3, "k", version, Self.retentionXML("GOVERNANCE", now.addingTimeInterval(2 * Self.day)), bypass: true))
            let empty = Array("<Retention/>".utf8)
            Self.expectLocked(try await Self.putRetention(s3, "k", version, empty, bypass: true))
            // Extended: allowed.
            let extended = now.addingTimeInterval(2 * Self.day)
            try await Self.putRetention(s3, "k", version, Self.retentionXML("COMPLIANCE", extended)).expect(.ok)
            let got = try await s3.send(.get, "/lock/k", query: "retention&versionId=\(version)").expect(.ok)
            #expect(got.xml?.name == "Retention")
            #expect(got.xml?.childText("Mode") == "COMPLIANCE")
            #expect(got.xml?.childText("RetainUntilDate") == Self.iso(extended))

            s3.clock.advance(by: Self.day + 1)
            Self.expectLocked(try await Self.deleteVersion(s3, "k", version, bypass: true))
            s3.clock.advance(by: Self.day)
            try await Self.deleteVersion(s3, "k", version).expect(.noContent)
        }
    }

    @Test func legalHoldBlocksDeletionWhateverTheClockUntilReleased() async throws {
        try await Harness.run { s3 in
            try await Self.lockBucket(s3)
            let version = try await Self.put(s3, "k")
            #expect(try await s3.send(.get, "/lock/k", query: "legal-hold").expect(.notFound).code == "NoSuchObjectLockConfiguration")
            try await Self.putLegalHold(s3, "k", version, "ON").expect(.ok)
            let got = try await s3.send(.get, "/lock/k", query: "legal-hold&versionId=\(version)").expect(.ok)
            #expect(got.xml?.name == "LegalHold" && got.xml?.childText("Status") == "ON")
            Self.expectLocked(try await Self.deleteVersion(s3, "k", version, bypass: true))
            s3.clock.advance(by: 100 * 365 * Self.day)
            Self.expectLocked(try await Self.deleteVersion(s3, "k", version))
            try await Self.putLegalHold(s3, "k", version, "OFF").expect(.ok)
            #expect(try await s3.send(.get, "/lock/k", query: "legal-hold").expect(.ok).xml?.childText("Status") == "OFF")
            try await Self.deleteVersion(s3, "k", version).expect(.noContent)

            // The header sets it on PUT as well, and an expired retention does not lift it.
            let held = try await Self.put(s3, "h", mode: "GOVERNANCE", until: s3.clock.now.addingTimeInterval(60), legalHold: "ON")
            #expect(try await s3.send(.head, "/lock/h").expect(.ok).header("x-amz-object-lock-legal-hold") == "ON")
            s3.clock.advance(by: 120)
            Self.expectLocked(try await Self.deleteVersion(s3, "h", held))
        }
    }

    @Test func defaultRetentionCountsFromTheWriteAndExpiresWithTheClock() async throws {
        try await Harness.run { s3 in
            try await Self.lockBucket(s3)
            let none = try await s3.send(.get, "/lock", query: "object-lock").expect(.ok)
            #expect(none.xml?.name == "ObjectLockConfiguration" && none.xml?.childText("ObjectLockEnabled") == "Enabled")
            #expect(none.xml?.child("Rule") == nil)
            let configuration = Array(#"<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#.utf8)
            try await s3.send(.put, "/lock", query: "object-lock", headers: [S3TestClient.contentMD5(configuration)], body: configuration).expect(.ok)
            let rule = try await s3.send(.get, "/lock", query: "object-lock").expect(.ok).xml?.child("Rule")?.child("DefaultRetention")
            #expect(rule?.childText("Mode") == "GOVERNANCE" && rule?.childText("Days") == "1" && rule?.childText("Years") == nil)

            let written = s3.clock.now
            let put = try await s3.send(.put, "/lock/k", body: Array("plain".utf8)).expect(.ok)
            let version = try #require(put.header("x-amz-version-id"))
            let retention = try await s3.send(.get, "/lock/k", query: "retention&versionId=\(version)").expect(.ok)
            #expect(retention.xml?.childText("Mode") == "GOVERNANCE")
            #expect(retention.xml?.childText("RetainUntilDate") == Self.iso(written.addingTimeInterval(Self.day)))

            // A multipart upload's default retention counts from CreateMultipartUpload.
            let started = s3.clock.now
            let upload = try await s3.createUpload("lock", "mp")
            let etag = try await s3.uploadPart("lock", "mp", uploadId: upload, number: 1)
            s3.clock.advance(by: 3600)
            let complete = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>".utf8)
            try await s3.send(.post, "/lock/mp", query: "uploadId=\(upload)", body: complete).expect(.ok)
            let multipart = try await s3.send(.get, "/lock/mp", query: "retention").expect(.ok)
            #expect(multipart.xml?.childText("RetainUntilDate") == Self.iso(started.addingTimeInterval(Self.day)))

            Self.expectLocked(try await Self.deleteVersion(s3, "k", version))
            s3.clock.advance(by: Self.day)
            try await Self.deleteVersion(s3, "k", version).expect(.noContent)
        }
    }

    @Test func deleteWithoutVersionIdAddsAMarkerWhileLocked() async throws {
        try await Harness.run { s3 in
            try await Self.lockBucket(s3)
            let version = try await Self.put(s3, "k", mode: "COMPLIANCE", until: s3.clock.now.addingTimeInterval(Self.day), legalHold: "ON")
            // S3 has no DeleteObjectRetention: 405, never a DeleteObject.
            #expect(try await s3.send(.delete, "/lock/k", query: "retention").expect(.methodNotAllowed).code == "MethodNotAllowed")
            #expect(try await s3.send(.delete, "/lock/k", query: "legal-hold").expect(.methodNotAllowed).code == "MethodNotAllowed")
            try await s3.send(.get, "/lock/k").expect(.ok)
            let deleted = try await s3.send(.delete, "/lock/k").expect(.noContent)
            #expect(deleted.header("x-amz-delete-marker") == "true")
            #expect(try await s3.send(.get, "/lock/k").status == .notFound)
            #expect(try await s3.send(.get, "/lock/k", query: "versionId=\(version)").expect(.ok).text == "locked k")
        }
    }

    @Test func errorsAsS3AnswersThem() async throws {
        try await Harness.run { s3 in
            try await Self.lockBucket(s3)
            try await s3.createBucket("plain")
            let now = s3.clock.now
            let configuration = Array("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>".utf8)
            // Object Lock is only for buckets created with it.
            let existing = try await s3.send(.put, "/plain", query: "object-lock", headers: [S3TestClient.contentMD5(configuration)], body: configuration)
                .expect(.conflict)
            #expect(existing.code == "InvalidBucketState")
            #expect(try await s3.send(.get, "/plain", query: "object-lock").expect(.notFound).code == "ObjectLockConfigurationNotFoundError")
            // A lock bucket stays versioned.
            let suspend = Array("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>".utf8)
            let suspended = try await s3.send(.put, "/lock", query: "versioning", headers: [S3TestClient.contentMD5(suspend)], body: suspend).expect(.conflict)
            #expect(suspended.code == "InvalidBucketState")
            #expect(try await s3.send(.get, "/lock", query: "versioning").expect(.ok).xml?.childText("Status") == "Enabled")

            let version = try await Self.put(s3, "k")
            #expect(try await s3.send(.get, "/lock/k", query: "retention").expect(.notFound).code == "NoSuchObjectLockConfiguration")
            let future = Self.retentionXML("GOVERNANCE", now.addingTimeInterval(Self.day))
            #expect(try await Self.putRetention(s3, "k", version, future, md5: false).expect(.badRequest).code == "InvalidRequest")
            let past = try await Self.putRetention(s3, "k", version, Self.retentionXML("GOVERNANCE", now.addingTimeInterval(-1))).expect(.badRequest)
            #expect(past.code == "InvalidArgument")
            #expect(try await Self.putRetention(s3, "k", version, Array("<Retention><Mode>FOREVER</Mode></Retention>".utf8)).expect(.badRequest).code == "MalformedXML")
            let pastHeader = try await s3.send(.put, "/lock/p", headers: [
                S3TestClient.contentMD5(Array("x".utf8)), ("x-amz-object-lock-mode", "GOVERNANCE"),
                ("x-amz-object-lock-retain-until-date", Self.iso(now.addingTimeInterval(-1))),
            ], body: Array("x".utf8)).expect(.badRequest)
            #expect(pastHeader.code == "InvalidArgument")
            let noDigest = try await s3.send(.put, "/lock/p", headers: [
                ("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", Self.iso(now.addingTimeInterval(Self.day))),
            ], body: Array("x".utf8)).expect(.badRequest)
            #expect(noDigest.code == "InvalidRequest")
            let modeOnly = try await s3.send(.put, "/lock/p", headers: [S3TestClient.contentMD5(Array("x".utf8)), ("x-amz-object-lock-mode", "GOVERNANCE")],
                                             body: Array("x".utf8)).expect(.badRequest)
            #expect(modeOnly.code == "InvalidArgument")
            #expect(try await s3.send(.head, "/lock/p").status == .notFound, "a refused PUT stores nothing")
            // Lock headers, or a retention, on a bucket without Object Lock: 400 InvalidRequest.
            let plainBody = Array("x".utf8)
            let plainPut = try await s3.send(.put, "/plain/p", headers: [
                S3TestClient.contentMD5(plainBody), ("x-amz-object-lock-legal-hold", "ON"),
            ], body: plainBody).expect(.badRequest)
            #expect(plainPut.code == "InvalidRequest")
            try await s3.putObject("plain", "k")
            let plainRetention = try await s3.send(.put, "/plain/k", query: "retention", headers: [S3TestClient.contentMD5(future)], body: future)
                .expect(.badRequest)
            #expect(plainRetention.code == "InvalidRequest")
            // No retention nor legal hold was set by any of these.
            #expect(try await s3.send(.get, "/lock/k", query: "retention").status == .notFound)
            try await Self.deleteVersion(s3, "k", version).expect(.noContent)
        }
    }

    @Test func lockChangesAndRefusedDeletionsAreAudited() async throws {
        try await Harness.run { s3 in
            try await Self.lockBucket(s3)
            let until = s3.clock.now.addingTimeInterval(Self.day)
            let version = try await Self.put(s3, "k", mode: "GOVERNANCE", until: until, legalHold: "OFF")
            let written = try #require(try s3.harness.auditEvents().last)
            #expect(written.eventName == "PutObject")
            #expect(written.requestParameters?["x-amz-object-lock-mode"]?.stringValue == "GOVERNANCE")
            #expect(written.requestParameters?["x-amz-object-lock-retain-until-date"]?.stringValue == Self.iso(until))
            #expect(written.requestParameters?["x-amz-object-lock-legal-hold"]?.stringValue == "OFF")
            let before = try s3.harness.auditEvents().count

            let configuration = Array("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>".utf8)
            try await s3.send(.put, "/lock", query: "object-lock", headers: [S3TestClient.contentMD5(configuration)], body: configuration).expect(.ok)
            let extended = until.addingTimeInterval(Self.day)
            try await Self.putRetention(s3, "k", version, Self.retentionXML("GOVERNANCE", extended)).expect(.ok)
            Self.expectLocked(try await Self.putRetention(s3, "k", version, Self.retentionXML("GOVERNANCE", until)))
            try await Self.putLegalHold(s3, "k", version, "ON").expect(.ok)
            Self.expectLocked(try await Self.deleteVersion(s3, "k", version, bypass: true))
            try await Self.putLegalHold(s3, "k", version, "OFF").expect(.ok)
            try await Self.deleteVersion(s3, "k", version, bypass: true).expect(.noContent)

            let events = Array(try s3.harness.auditEvents().dropFirst(before))
            #expect(events.map(\.eventName) == [
                "PutObjectLockConfiguration", "PutObjectRetention", "PutObjectRetention", "PutObjectLegalHold", "DeleteObject",
                "PutObjectLegalHold", "DeleteObject",
            ])
            guard events.count == 7 else { return }
            #expect(events[0].errorCode == nil)
            let set = events[1].requestParameters
            #expect(set?["retention"]?["mode"]?.stringValue == "GOVERNANCE")
            #expect(set?["retention"]?["retainUntilDate"]?.stringValue == Self.iso(extended))
            #expect(set?["bypassGovernanceRetention"] == .bool(false))
            #expect(set?["versionId"]?.stringValue == version)
            #expect(events[1].errorCode == nil)
            #expect(events[2].errorCode == "AccessDenied" && events[2].errorMessage == Self.lockedMessage)
            // The refused change names what it asked for.
            #expect(events[2].requestParameters?["retention"]?["retainUntilDate"]?.stringValue == Self.iso(until))
            #expect(events[2].requestParameters?["bypassGovernanceRetention"] == .bool(false))
            #expect(events[3].requestParameters?["legalHold"]?["status"]?.stringValue == "ON")
            #expect(events[4].errorCode == "AccessDenied" && events[4].errorMessage == Self.lockedMessage)
            #expect(events[4].requestParameters?["versionId"]?.stringValue == version)
            // A bypass as asked; it was in effect, but the legal hold protected the version.
            #expect(events[4].requestParameters?["x-amz-bypass-governance-retention"]?.stringValue == "true")
            #expect(events[4].requestParameters?["bypassGovernanceRetention"] == .bool(true))
            #expect(events[5].requestParameters?["legalHold"]?["status"]?.stringValue == "OFF")
            #expect(events[6].errorCode == nil)
            #expect(events[6].requestParameters?["bypassGovernanceRetention"] == .bool(true))
            #expect(events[6].requestParameters?["x-amz-bypass-governance-retention"]?.stringValue == "true")
        }
    }
}
