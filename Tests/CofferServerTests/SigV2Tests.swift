import CofferAudit
import CofferCrypto
import CofferSigV4
import Foundation
import HTTPTypes
import Testing

/// AWS Signature Version 2 through the whole pipeline: header-signed and presigned requests,
/// authorised like SigV4 ones (same users, same policies), `s3:signatureversion` and
/// `s3:authType` in the policy context, `--sigv2 deny`, the error documents, and the audit
/// record's `additionalEventData`. Requests are signed here with a string to sign written out
/// by hand, never with the server's canonicaliser.
@Suite struct SigV2Tests {
    static func rfc1123(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    static func sign(_ stringToSign: String, _ credential: Credential) -> String {
        Base64.encode(HMACSHA1.authenticate(stringToSign, key: Array(credential.secretAccessKey.utf8)))
    }

    static func deny(_ key: String, _ value: String) -> String {
        #"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"], "Condition": {"StringEquals": {"\#(key)": "\#(value)"}}}]}"#
    }

    @Test func headerSignedPutGetAndList() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.sendV2(.put, "/bkt/k", headers: [("Content-Type", "text/plain"), ("x-amz-meta-color", "blue")],
                                body: Array("hello".utf8)).expect(.ok)
            let get = try await s3.sendV2(.get, "/bkt/k").expect(.ok)
            #expect(get.text == "hello")
            #expect(get.header("x-amz-meta-color") == "blue")
            #expect(get.header("content-type") == "text/plain")
            // A path-style request to the bucket itself signs `/bkt/`, as botocore does.
            let list = try await s3.sendV2(.get, "/bkt", query: "list-type=2", resource: "/bkt/").expect(.ok)
            #expect(list.xml?.child("Contents")?.childText("Key") == "k")
            // A sub-resource is part of the signed resource.
            try await s3.sendV2(.get, "/bkt", query: "acl", resource: "/bkt/?acl").expect(.ok)
            try await s3.sendV2(.get, "/bkt", query: "acl", resource: "/bkt/").expect(.forbidden)
        }
    }

    @Test func presignedGetAndHead() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k", "hello")
            let expires = Int(s3.clock.now.timeIntervalSince1970) + 60
            let get = try await s3.sendPresignedV2(.get, "/bkt/k", expires: expires).expect(.ok)
            #expect(get.text == "hello")
            let head = try await s3.sendPresignedV2(.head, "/bkt/k", expires: expires).expect(.ok)
            #expect(head.header("content-length") == "5")
            // A URL presigned for GET does not sign a HEAD.
            let url = s3.presignedV2Query(.get, "/bkt/k", expires: expires)
            let wrongMethod = try await s3.sendRaw(.head, "/bkt/k", query: url).expect(.forbidden)
            #expect(wrongMethod.body.isEmpty)
        }
    }

    @Test func anExpiredPresignedURLIsRefused() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k", "hello")
            let expires = Int(s3.clock.now.timeIntervalSince1970) + 60
            try await s3.sendPresignedV2(.get, "/bkt/k", expires: expires).expect(.ok)
            s3.clock.advance(by: 61)
            let reply = try await s3.sendPresignedV2(.get, "/bkt/k", expires: expires).expect(.forbidden)
            #expect(reply.code == "AccessDenied")
            #expect(reply.xml?.childText("Message") == "Request has expired")
            #expect(reply.xml?.childText("Expires") == "2026-03-02T10:01:00Z")
            #expect(reply.xml?.childText("ServerTime") == "2026-03-02T10:01:01Z")
        }
    }

    @Test func aTamperedSignatureShowsTheStringToSign() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k", "hello")
            let expires = Int(s3.clock.now.timeIntervalSince1970) + 60
            let good = s3.presignedV2Query(.get, "/bkt/k", expires: expires)
            let tampered = good.replacingOccurrences(of: "Signature=", with: "Signature=A")
            let reply = try await s3.sendRaw(.get, "/bkt/k", query: tampered).expect(.forbidden)
            #expect(reply.code == "SignatureDoesNotMatch")
            #expect(reply.xml?.childText("AWSAccessKeyId") == Harness.Identities.root.accessKeyId)
            #expect(reply.xml?.childText("StringToSign") == "GET\n\n\n\(expires)\n/bkt/k")
            #expect(reply.xml?.childText("SignatureProvided")?.hasPrefix("A") == true)
            #expect(reply.xml?.childText("StringToSignBytes")?.hasPrefix("47 45 54 0a") == true)
            // A header-signed request with the wrong secret: the same code.
            let wrongSecret = Credential(accessKeyId: Harness.Identities.root.accessKeyId, secretAccessKey: "wrong", userName: "root")
            let header = try await s3.sendV2(.get, "/bkt/k", as: .credential(wrongSecret)).expect(.forbidden)
            #expect(header.code == "SignatureDoesNotMatch")
        }
    }

    @Test func headerErrors() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let unknown = Credential(accessKeyId: "NOSUCHACCESSKEY", secretAccessKey: "x", userName: "nobody")
            let invalid = try await s3.sendV2(.get, "/bkt", resource: "/bkt/", as: .credential(unknown)).expect(.forbidden)
            #expect(invalid.code == "InvalidAccessKeyId")
            #expect(invalid.xml?.childText("AWSAccessKeyId") == "NOSUCHACCESSKEY")
            let skewed = try await s3.sendV2(.get, "/bkt", resource: "/bkt/", date: s3.clock.now.addingTimeInterval(-16 * 60)).expect(.forbidden)
            #expect(skewed.code == "RequestTimeTooSkewed")
            #expect(skewed.xml?.childText("MaxAllowedSkewMilliseconds") == "900000")
            let malformed = try await s3.sendRaw(.get, "/bkt", headers: [("Authorization", "AWS ROOTACCESSKEY"), ("Date", Self.rfc1123(s3.clock.now))])
                .expect(.badRequest)
            #expect(malformed.code == "InvalidArgument")
            #expect(malformed.xml?.childText("ArgumentName") == "Authorization")
            let both = try await s3.sendRaw(.get, "/bkt", query: "AWSAccessKeyId=ROOTACCESSKEY&Expires=1&Signature=x",
                                            headers: [("Authorization", "AWS ROOTACCESSKEY:x")]).expect(.badRequest)
            #expect(both.code == "InvalidArgument")
        }
    }

    /// SigV2 callers are the same users under the same policies: alice may not read root's
    /// bucket until a bucket policy allows her.
    @Test func authorizedLikeSigV4() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            #expect(try await s3.sendV2(.get, "/bkt/k", as: .alice).isAccessDenied)
            let alice = Policies.Principal.user("alice", account: s3.accountId)
            try await s3.putPolicy("bkt", Policies.document(Policies.statement(alice, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bkt/*"])))
            try await s3.sendV2(.get, "/bkt/k", as: .alice).expect(.ok)
            try await s3.sendPresignedV2(.get, "/bkt/k", expires: Int(s3.clock.now.timeIntervalSince1970) + 60, as: .alice).expect(.ok)
            #expect(try await s3.sendV2(.put, "/bkt/k", body: [], as: .alice).isAccessDenied)
        }
    }

    /// AWS's documented way to refuse SigV2 for a bucket: Deny when `s3:signatureversion` is `AWS`.
    @Test func aBucketPolicyCanDenySigV2() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            try await s3.putPolicy("bkt", Self.deny("s3:signatureversion", "AWS"))
            #expect(try await s3.sendV2(.get, "/bkt/k").isAccessDenied)
            #expect(try await s3.sendPresignedV2(.get, "/bkt/k", expires: Int(s3.clock.now.timeIntervalSince1970) + 60).isAccessDenied)
            try await s3.send(.get, "/bkt/k").expect(.ok)
        }
    }

    @Test func aBucketPolicyCanDenyPresignedURLs() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            try await s3.putPolicy("bkt", Self.deny("s3:authType", "REST-QUERY-STRING"))
            #expect(try await s3.sendPresignedV2(.get, "/bkt/k", expires: Int(s3.clock.now.timeIntervalSince1970) + 60).isAccessDenied)
            try await s3.sendV2(.get, "/bkt/k").expect(.ok)
            try await s3.send(.get, "/bkt/k").expect(.ok)
        }
    }

    @Test func sigV2CanBeDisabled() async throws {
        try await Harness.run(allowSigV2: false) { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            for reply in [try await s3.sendV2(.get, "/bkt/k"),
                          try await s3.sendPresignedV2(.get, "/bkt/k", expires: Int(s3.clock.now.timeIntervalSince1970) + 60)] {
                #expect(reply.isAccessDenied)
                #expect(reply.xml?.childText("Message")?.contains("Signature Version 2 is disabled on this server") == true)
            }
            // Refused before any key is looked up: an unknown key gets the same answer.
            let unknown = Credential(accessKeyId: "NOSUCHACCESSKEY", secretAccessKey: "x", userName: "nobody")
            #expect(try await s3.sendV2(.get, "/bkt/k", as: .credential(unknown)).isAccessDenied)
            let refused = try #require(try s3.harness.auditEvents().last)
            #expect(refused.errorCode == "AccessDenied")
            #expect(refused.additionalEventData == ["SignatureVersion": "SigV2", "AuthenticationMethod": "AuthHeader"])
            try await s3.send(.get, "/bkt/k").expect(.ok)
        }
    }

    @Test func auditRecordsNameTheSignatureVersion() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let signedV4 = try await s3.putObject("bkt", "k")
            let signedV2 = try await s3.sendV2(.get, "/bkt/k").expect(.ok)
            let presigned = try await s3.sendPresignedV2(.get, "/bkt/k", expires: Int(s3.clock.now.timeIntervalSince1970) + 60).expect(.ok)
            let anonymous = try await s3.send(.get, "/bkt/k", as: .anonymous).expect(.forbidden)
            let events = try s3.harness.auditEvents()
            func data(_ reply: S3Reply) throws -> AuditJSON? {
                try #require(events.first { $0.requestID == reply.requestId }).additionalEventData
            }
            #expect(try data(signedV4) == ["SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"])
            #expect(try data(signedV2) == ["SignatureVersion": "SigV2", "AuthenticationMethod": "AuthHeader"])
            #expect(try data(presigned) == ["SignatureVersion": "SigV2", "AuthenticationMethod": "QueryString"])
            #expect(try data(anonymous) == nil)
        }
    }
}

extension S3TestClient {
    /// Sends a request signed with SigV2 in the header (`Authorization: AWS AKID:signature`).
    /// The string to sign is written out here: method, Content-MD5, Content-Type, the Date
    /// header, the `x-amz-*` headers (lower-cased, sorted; one value each), then `resource`
    /// (default: the path, which must need no sub-resource).
    func sendV2(
        _ method: HTTPRequest.Method, _ path: String, query: String = "", resource: String? = nil, headers: [(String, String)] = [],
        body: [UInt8]? = nil, as caller: Caller = .root, date: Date? = nil
    ) async throws -> S3Reply {
        let credential = try #require(caller.credential)
        let dateText = SigV2Tests.rfc1123(date ?? clock.now)
        func value(_ name: String) -> String { headers.first { $0.0.lowercased() == name }?.1 ?? "" }
        let amz = headers.filter { $0.0.lowercased().hasPrefix("x-amz-") }.map { "\($0.0.lowercased()):\($0.1)\n" }.sorted().joined()
        let stringToSign = "\(method.rawValue)\n\(value("content-md5"))\n\(value("content-type"))\n\(dateText)\n\(amz)\(resource ?? path)"
        let authorization = "AWS \(credential.accessKeyId):\(SigV2Tests.sign(stringToSign, credential))"
        return try await sendRaw(method, path, query: query, headers: headers + [("Date", dateText), ("Authorization", authorization)], body: body)
    }

    /// The query of a SigV2 presigned URL for `method path`, valid until `expires` (seconds since 1970).
    func presignedV2Query(_ method: HTTPRequest.Method, _ path: String, expires: Int, as caller: Caller = .root) -> String {
        let credential = caller.credential!
        let signature = SigV2Tests.sign("\(method.rawValue)\n\n\n\(expires)\n\(path)", credential)
        return "AWSAccessKeyId=\(credential.accessKeyId)&Expires=\(expires)&Signature=\(PercentEncoding.encode(signature, keepSlash: false))"
    }

    func sendPresignedV2(_ method: HTTPRequest.Method, _ path: String, expires: Int, as caller: Caller = .root) async throws -> S3Reply {
        try await sendRaw(method, path, query: presignedV2Query(method, path, expires: expires, as: caller))
    }
}
