import CofferCrypto
import CofferSigV4
import HTTPTypes
import Testing

/// The error document of every S3 error code Coffer answers that a request can provoke in
/// process: status, `Code`, `Message`, `Resource`, the code's own elements, and `RequestId`
/// equal to the `x-amz-request-id` header. Each case runs against bucket `bkt` holding `k`
/// ("hello"). Messages are S3's where S3's text is fixed.
@Suite struct ErrorResponseTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var code: String
        var status: HTTPResponse.Status
        var resource: String
        var message: String?
        var elements: [(String, String)] = []
        var region = "us-east-1"
        var provoke: @Sendable (S3TestClient) async throws -> S3Reply
        var testDescription: String { code }
    }

    static let wrongSecret = Credential(accessKeyId: Harness.Identities.root.accessKeyId, secretAccessKey: "not-the-secret-key", userName: "root")
    static let unknownKey = Credential(accessKeyId: "NOSUCHACCESSKEY", secretAccessKey: "whatever-secret", userName: "nobody")

    static func complete(_ s3: S3TestClient, parts: [(Int, String)]) async throws -> S3Reply {
        let uploadId = try await s3.createUpload("bkt", "mp")
        var listed: [(Int, String)] = []
        for (number, text) in parts { listed.append((number, try await s3.uploadPart("bkt", "mp", uploadId: uploadId, number: number, text))) }
        return try await completeListing(s3, uploadId: uploadId, listed)
    }

    static func completeListing(_ s3: S3TestClient, uploadId: String, _ parts: [(Int, String)]) async throws -> S3Reply {
        let xml = parts.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\($0.1)</ETag></Part>" }.joined()
        return try await s3.send(.post, "/bkt/mp", query: "uploadId=\(uploadId)", body: Array("<CompleteMultipartUpload>\(xml)</CompleteMultipartUpload>".utf8))
    }

    static let cases: [Case] = [
        Case(code: "NoSuchBucket", status: .notFound, resource: "/nobucket", message: "The specified bucket does not exist",
             elements: [("BucketName", "nobucket")]) { try await $0.send(.get, "/nobucket") },
        Case(code: "NoSuchKey", status: .notFound, resource: "/bkt/missing", message: "The specified key does not exist.",
             elements: [("Key", "missing")]) { try await $0.send(.get, "/bkt/missing") },
        Case(code: "AccessDenied", status: .forbidden, resource: "/bkt/k", message: "Access Denied") { try await $0.send(.get, "/bkt/k", as: .alice) },
        Case(code: "InvalidBucketName", status: .badRequest, resource: "/Bad_Bucket", message: "The specified bucket is not valid.",
             elements: [("BucketName", "Bad_Bucket")]) { try await $0.send(.put, "/Bad_Bucket", body: []) },
        Case(code: "BucketAlreadyExists", status: .conflict, resource: "/bkt", elements: [("BucketName", "bkt")]) {
            try await $0.send(.put, "/bkt", body: [], as: .alice)
        },
        // Outside us-east-1 S3 refuses to create your own bucket again.
        Case(code: "BucketAlreadyOwnedByYou", status: .conflict, resource: "/bkt", elements: [("BucketName", "bkt")], region: "eu-west-1") { s3 in
            try await s3.send(.put, "/bkt", body: s3.bucketConfiguration)
        },
        Case(code: "BucketNotEmpty", status: .conflict, resource: "/bkt", message: "The bucket you tried to delete is not empty",
             elements: [("BucketName", "bkt")]) { try await $0.send(.delete, "/bkt") },
        Case(code: "MalformedXML", status: .badRequest, resource: "/bkt",
             message: "The XML you provided was not well-formed or did not validate against our published schema") { s3 in
            let body = Array("<Delete><Object>".utf8)
            return try await s3.send(.post, "/bkt", query: "delete", headers: [S3TestClient.contentMD5(body)], body: body)
        },
        Case(code: "InvalidArgument", status: .badRequest, resource: "/bkt", elements: [("ArgumentName", "max-keys"), ("ArgumentValue", "-1")]) {
            try await $0.send(.get, "/bkt", query: "list-type=2&max-keys=-1")
        },
        Case(code: "InvalidRange", status: .rangeNotSatisfiable, resource: "/bkt/k", message: "The requested range is not satisfiable",
             elements: [("RangeRequested", "bytes=100-200"), ("ActualObjectSize", "5")]) { try await $0.send(.get, "/bkt/k", headers: [("Range", "bytes=100-200")]) },
        Case(code: "PreconditionFailed", status: .preconditionFailed, resource: "/bkt/k",
             message: "At least one of the pre-conditions you specified did not hold", elements: [("Condition", "If-Match")]) {
            try await $0.send(.get, "/bkt/k", headers: [("If-Match", "\"0123\"")])
        },
        Case(code: "MethodNotAllowed", status: .methodNotAllowed, resource: "/bkt", message: "The specified method is not allowed against this resource.") {
            try await $0.send(.post, "/bkt", body: [])
        },
        Case(code: "NotImplemented", status: .notImplemented, resource: "/bkt") { try await $0.send(.get, "/bkt", query: "cors") },
        Case(code: "SignatureDoesNotMatch", status: .forbidden, resource: "/bkt/k",
             message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.") {
            try await $0.send(.get, "/bkt/k", as: .credential(wrongSecret))
        },
        Case(code: "InvalidAccessKeyId", status: .forbidden, resource: "/bkt/k", message: "The AWS Access Key Id you provided does not exist in our records.",
             elements: [("AWSAccessKeyId", "NOSUCHACCESSKEY")]) {
            try await $0.send(.get, "/bkt/k", as: .credential(unknownKey))
        },
        Case(code: "RequestTimeTooSkewed", status: .forbidden, resource: "/bkt/k",
             message: "The difference between the request time and the current time is too large.",
             elements: [("RequestTime", "20260302T094400Z"), ("ServerTime", "2026-03-02T10:00:00Z"), ("MaxAllowedSkewMilliseconds", "900000")]) { s3 in
            try await s3.send(.get, "/bkt/k", signedAt: s3.clock.now.addingTimeInterval(-16 * 60))
        },
        Case(code: "AuthorizationHeaderMalformed", status: .badRequest, resource: "/bkt/k",
             message: "The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'", elements: [("Region", "us-east-1")]) {
            try await $0.send(.get, "/bkt/k", region: "us-west-2")
        },
        Case(code: "MalformedPolicy", status: .badRequest, resource: "/bkt") { try await $0.send(.put, "/bkt", query: "policy", body: Array("not json".utf8)) },
        Case(code: "NoSuchBucketPolicy", status: .notFound, resource: "/bkt", message: "The bucket policy does not exist",
             elements: [("BucketName", "bkt")]) { try await $0.send(.get, "/bkt", query: "policy") },
        Case(code: "NoSuchUpload", status: .notFound, resource: "/bkt/k", elements: [("UploadId", "nope")]) {
            try await $0.send(.get, "/bkt/k", query: "uploadId=nope")
        },
        Case(code: "InvalidPart", status: .badRequest, resource: "/bkt/mp", elements: [("PartNumber", "1")]) { s3 in
            let uploadId = try await s3.createUpload("bkt", "mp")
            _ = try await s3.uploadPart("bkt", "mp", uploadId: uploadId, number: 1)
            return try await completeListing(s3, uploadId: uploadId, [(1, "\"00000000000000000000000000000000\"")])
        },
        Case(code: "InvalidPartOrder", status: .badRequest, resource: "/bkt/mp") { s3 in
            let uploadId = try await s3.createUpload("bkt", "mp")
            return try await completeListing(s3, uploadId: uploadId, [(2, "\"a\""), (1, "\"b\"")])
        },
        Case(code: "EntityTooSmall", status: .badRequest, resource: "/bkt/mp",
             message: "Your proposed upload is smaller than the minimum allowed object size.",
             elements: [("ProposedSize", "1"), ("MinSizeAllowed", "5242880"), ("PartNumber", "1")]) { try await complete($0, parts: [(1, "a"), (2, "b")]) },
        Case(code: "XAmzContentSHA256Mismatch", status: .badRequest, resource: "/bkt/k2", message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
             elements: [("ClientComputedContentSHA256", Hex.encode(SHA256.hash("other"))), ("S3ComputedContentSHA256", Hex.encode(SHA256.hash("hello")))]) {
            try await $0.send(.put, "/bkt/k2", body: Array("hello".utf8), payloadHash: Hex.encode(SHA256.hash("other")))
        },
        Case(code: "MissingContentLength", status: .lengthRequired, resource: "/bkt/k3", message: "You must provide the Content-Length HTTP header.") {
            try await $0.send(.put, "/bkt/k3", body: nil)
        },
        Case(code: "BadDigest", status: .badRequest, resource: "/bkt/k4") {
            try await $0.send(.put, "/bkt/k4", headers: [S3TestClient.contentMD5(Array("other".utf8))], body: Array("hello".utf8))
        },
        Case(code: "InvalidDigest", status: .badRequest, resource: "/bkt/k4", message: "The Content-MD5 you specified is not valid.") {
            try await $0.send(.put, "/bkt/k4", headers: [("Content-MD5", "not-base64-md5")], body: Array("hello".utf8))
        },
        Case(code: "KeyTooLongError", status: .badRequest, resource: "/bkt/" + String(repeating: "x", count: 1025), message: "Your key is too long") {
            try await $0.send(.put, "/bkt/" + String(repeating: "x", count: 1025), body: [])
        },
        Case(code: "NoSuchTagSet", status: .notFound, resource: "/bkt", message: "The TagSet does not exist",
             elements: [("BucketName", "bkt")]) { try await $0.send(.get, "/bkt", query: "tagging") },
        Case(code: "InvalidTag", status: .badRequest, resource: "/bkt/k", message: "The TagValue you have provided is invalid",
             elements: [("TagKey", "Key1"), ("TagValue", "Val1,Val2")]) { s3 in
            let body = tagging("<Tag><Key>Key1</Key><Value>Val1,Val2</Value></Tag>")
            return try await s3.send(.put, "/bkt/k", query: "tagging", headers: [S3TestClient.contentMD5(body)], body: body)
        },
        Case(code: "BadRequest", status: .badRequest, resource: "/bkt/k", message: "Object tags cannot be greater than 10") { s3 in
            let body = tagging((1...11).map { "<Tag><Key>k\($0)</Key><Value>v</Value></Tag>" }.joined())
            return try await s3.send(.put, "/bkt/k", query: "tagging", headers: [S3TestClient.contentMD5(body)], body: body)
        },
    ]

    static func tagging(_ tags: String) -> [UInt8] { Array("<Tagging><TagSet>\(tags)</TagSet></Tagging>".utf8) }

    @Test(arguments: cases)
    func errorDocument(_ test: Case) async throws {
        try await Harness.run(region: test.region) { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k", "hello")
            let reply = try await test.provoke(s3)
            #expect(reply.status == test.status, "\(reply.status.code) \(reply.text.prefix(300))")
            #expect(reply.header("content-type") == "application/xml")
            let error = try #require(reply.xml)
            #expect(error.name == "Error")
            #expect(error.childText("Code") == test.code)
            #expect(!(error.childText("Message") ?? "").isEmpty)
            if let message = test.message { #expect(error.childText("Message") == message) }
            #expect(error.childText("Resource") == test.resource)
            for (name, value) in test.elements { #expect(error.childText(name) == value, "\(name)") }
            let requestId = try #require(reply.requestId)
            #expect(error.childText("RequestId") == requestId)
            #expect(error.childText("HostId") == reply.header("x-amz-id-2"))
            #expect(reply.header("content-length") == String(reply.body.count))
        }
    }

    @Test func methodNotAllowedNamesTheMethodAndResourceType() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let reply = try await s3.send(.post, "/bkt", body: []).expect(.methodNotAllowed)
            // S3's MethodNotAllowed document names the method and the kind of resource.
            #expect(reply.xml?.childText("Method") == "POST")
            #expect(reply.xml?.childText("ResourceType") == "BUCKET")
            let onKey = try await s3.send(.post, "/bkt/k", body: []).expect(.methodNotAllowed)
            #expect(onKey.xml?.childText("Method") == "POST")
            #expect(onKey.xml?.childText("ResourceType") == "OBJECT")
        }
    }

    @Test func headAnswersErrorsWithoutABody() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            for (path, caller, status) in [("/bkt/missing", Caller.root, HTTPResponse.Status.notFound), ("/nobucket", .root, .notFound),
                                           ("/nobucket/k", .root, .notFound), ("/bkt/k", .alice, .forbidden), ("/bkt", .anonymous, .forbidden)] {
                let reply = try await s3.send(.head, path, as: caller)
                #expect(reply.status == status, "\(path)")
                #expect(reply.body.isEmpty, "\(path)")
                #expect(reply.requestId != nil, "\(path)")
            }
        }
    }

    @Test func aSkewWithinFifteenMinutesIsAccepted() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.send(.get, "/bkt", signedAt: s3.clock.now.addingTimeInterval(-14 * 60)).expect(.ok)
            try await s3.send(.get, "/bkt", signedAt: s3.clock.now.addingTimeInterval(14 * 60)).expect(.ok)
            // The server's clock moves, the signature's time does not.
            let signedAt = s3.clock.now
            s3.clock.advance(by: 16 * 60)
            let reply = try await s3.send(.get, "/bkt", signedAt: signedAt).expect(.forbidden)
            #expect(reply.code == "RequestTimeTooSkewed")
        }
    }

    @Test func notModifiedHasNoBody() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let etag = try #require(try await s3.putObject("bkt", "k").header("etag"))
            let reply = try await s3.send(.get, "/bkt/k", headers: [("If-None-Match", etag)]).expect(.notModified)
            #expect(reply.body.isEmpty)
            #expect(reply.header("etag") == etag)
            #expect(reply.requestId != nil)
        }
    }
}
