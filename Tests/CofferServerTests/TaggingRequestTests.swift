@testable import CofferS3
import CofferAudit
import HTTPTypes
import Testing

/// Object and bucket tagging through the whole pipeline: the six operations, `x-amz-tagging`
/// on PutObject, CopyObject (both directives) and multipart uploads, `x-amz-tagging-count`,
/// S3's errors (nothing stored after any of them), the tag condition keys in bucket policies,
/// and the audit records.
@Suite struct TaggingRequestTests {
    static func tagging(_ pairs: [(String, String)]) -> [UInt8] {
        let tags = pairs.map { "<Tag><Key>\($0.0)</Key><Value>\($0.1)</Value></Tag>" }.joined()
        return Array(#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>\#(tags)</TagSet></Tagging>"#.utf8)
    }

    /// The tags a GetObjectTagging or GetBucketTagging answer lists, in order.
    static func tags(_ reply: S3Reply) -> [String] {
        (reply.xml?.child("TagSet")?.all("Tag") ?? []).map { "\($0.childText("Key") ?? "?")=\($0.childText("Value") ?? "?")" }
    }

    static func putTagging(_ s3: S3TestClient, _ path: String, _ pairs: [(String, String)], query: String = "tagging", as caller: Caller = .root) async throws -> S3Reply {
        let body = tagging(pairs)
        return try await s3.send(.put, path, query: query, headers: [S3TestClient.contentMD5(body)], body: body, as: caller)
    }

    @Test func objectTaggingRoundTrip() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let put = try await s3.putObject("bkt", "k", "body")
            let empty = try await s3.send(.get, "/bkt/k", query: "tagging").expect(.ok)
            #expect(Self.tags(empty).isEmpty)
            #expect(empty.xml?.name == "Tagging" && empty.xml?.child("TagSet") != nil)
            #expect(try await s3.send(.head, "/bkt/k").expect(.ok).header("x-amz-tagging-count") == nil)

            let set = try await Self.putTagging(s3, "/bkt/k", [("b", "2"), ("a", ""), ("c d", "e/f")]).expect(.ok)
            #expect(set.body.isEmpty)
            #expect(set.header("x-amz-version-id") == nil, "an unversioned bucket's object has no version id")
            let got = try await s3.send(.get, "/bkt/k", query: "tagging").expect(.ok)
            #expect(Self.tags(got) == ["b=2", "a=", "c d=e/f"])
            #expect(got.header("x-amz-version-id") == nil)
            let head = try await s3.send(.head, "/bkt/k").expect(.ok)
            #expect(head.header("x-amz-tagging-count") == "3")
            let get = try await s3.send(.get, "/bkt/k").expect(.ok)
            #expect(get.header("x-amz-tagging-count") == "3")
            #expect(get.text == "body")
            // A tag change is not a write of the object: same ETag, same Last-Modified.
            #expect(get.header("etag") == put.header("etag"))
            #expect(head.header("last-modified") == (try await s3.send(.head, "/bkt/k", as: .root)).header("last-modified"))

            // Replacing the set replaces it whole.
            try await Self.putTagging(s3, "/bkt/k", [("only", "one")]).expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/k", query: "tagging")) == ["only=one"])
            let deleted = try await s3.send(.delete, "/bkt/k", query: "tagging").expect(.noContent)
            #expect(deleted.body.isEmpty)
            #expect(Self.tags(try await s3.send(.get, "/bkt/k", query: "tagging").expect(.ok)).isEmpty)
            #expect(try await s3.send(.head, "/bkt/k").header("x-amz-tagging-count") == nil)
            // Deleting tags an object does not have is no error.
            try await s3.send(.delete, "/bkt/k", query: "tagging").expect(.noContent)
            // versionId=null names the object of an unversioned bucket.
            try await Self.putTagging(s3, "/bkt/k", [("v", "null")], query: "tagging=&versionId=null").expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/k", query: "tagging=&versionId=null").expect(.ok)) == ["v=null"])
            try await s3.send(.get, "/bkt/k", query: "tagging&versionId=null").expect(.ok)
            // An overwrite starts without tags.
            try await s3.putObject("bkt", "k", "new body")
            #expect(Self.tags(try await s3.send(.get, "/bkt/k", query: "tagging").expect(.ok)).isEmpty)
        }
    }

    @Test func objectTaggingErrorsChangeNothing() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            try await Self.putTagging(s3, "/bkt/k", [("keep", "me")]).expect(.ok)

            let missingGet = try await s3.send(.get, "/bkt/missing", query: "tagging").expect(.notFound)
            #expect(missingGet.code == "NoSuchKey")
            #expect(missingGet.xml?.childText("Key") == "bkt/missing", "S3 names bucket/key for GetObjectTagging")
            let missingPut = try await Self.putTagging(s3, "/bkt/missing", [("a", "b")]).expect(.notFound)
            #expect(missingPut.code == "NoSuchKey" && missingPut.xml?.childText("Key") == "missing")
            let missingDelete = try await s3.send(.delete, "/bkt/missing", query: "tagging").expect(.notFound)
            #expect(missingDelete.code == "NoSuchKey" && missingDelete.xml?.childText("Key") == "missing")
            #expect(try await s3.send(.head, "/bkt/missing").status == .notFound, "a refused tag change creates nothing")
            #expect(try await s3.send(.get, "/nobucket/k", query: "tagging").expect(.notFound).code == "NoSuchBucket")

            func refused(_ body: [UInt8], query: String = "tagging", headers: [(String, String)]? = nil) async throws -> S3Reply {
                try await s3.send(.put, "/bkt/k", query: query, headers: headers ?? [S3TestClient.contentMD5(body)], body: body)
            }
            #expect(try await refused(Array("not xml".utf8)).expect(.badRequest).code == "MalformedXML")
            #expect(try await refused(Array("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>".utf8)).expect(.badRequest).code == "MalformedXML")
            let eleven = try await refused(Self.tagging((1...11).map { ("k\($0)", "v") })).expect(.badRequest)
            #expect(eleven.code == "BadRequest")
            #expect(eleven.xml?.childText("Message") == "Object tags cannot be greater than 10")
            let duplicate = try await refused(Self.tagging([("Key1", "a"), ("Key1", "b")])).expect(.badRequest)
            #expect(duplicate.code == "InvalidTag" && duplicate.xml?.childText("TagKey") == "Key1")
            let badValue = try await refused(Self.tagging([("Key1", "Val1,Val2")])).expect(.badRequest)
            #expect(badValue.code == "InvalidTag" && badValue.xml?.childText("TagValue") == "Val1,Val2")
            let reserved = try await refused(Self.tagging([("aws:prefixed", "v")])).expect(.badRequest)
            #expect(reserved.xml?.childText("Message") == "Your TagKey cannot be prefixed with aws:")
            let tooLong = try await refused(Self.tagging([(String(repeating: "k", count: 129), "v")])).expect(.badRequest)
            #expect(tooLong.code == "InvalidTag")
            let version = try await refused(Self.tagging([("a", "b")]), query: "tagging=&versionId=3HL4kqtJlcpXroDTDmJ").expect(.badRequest)
            #expect(version.code == "InvalidArgument")
            let badDigest = try await refused(Self.tagging([("a", "b")]), headers: [("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")]).expect(.badRequest)
            #expect(badDigest.code == "BadDigest")
            #expect(Self.tags(try await s3.send(.get, "/bkt/k", query: "tagging")) == ["keep=me"])
        }
    }

    @Test func tagsOnPutCopyAndMultipart() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "src", headers: [("x-amz-tagging", "project=alpha&empty=&with%20space=a%2Bb")])
            #expect(Self.tags(try await s3.send(.get, "/bkt/src", query: "tagging")) == ["project=alpha", "empty=", "with space=a+b"])

            let badHeader = try await s3.send(.put, "/bkt/bad", headers: [("x-amz-tagging", "a=1&a=2")], body: Array("x".utf8)).expect(.badRequest)
            #expect(badHeader.code == "InvalidArgument" && badHeader.xml?.childText("ArgumentName") == "x-amz-tagging")
            #expect(try await s3.send(.put, "/bkt/bad", headers: [("x-amz-tagging", "a=b?")], body: Array("x".utf8)).expect(.badRequest).code == "InvalidTag")
            #expect(try await s3.send(.head, "/bkt/bad").status == .notFound)

            // CopyObject: COPY (the default) takes the source's tags and ignores the header.
            let copy = [("x-amz-copy-source", "/bkt/src")]
            try await s3.send(.put, "/bkt/copied", headers: copy + [("x-amz-tagging", "ignored=yes")], body: []).expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/copied", query: "tagging")) == ["project=alpha", "empty=", "with space=a+b"])
            try await s3.send(.put, "/bkt/copy-explicit", headers: copy + [("x-amz-tagging-directive", "COPY")], body: []).expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/copy-explicit", query: "tagging")).count == 3)
            try await s3.send(.put, "/bkt/replaced", headers: copy + [("x-amz-tagging-directive", "REPLACE"), ("x-amz-tagging", "new=tag")], body: []).expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/replaced", query: "tagging")) == ["new=tag"])
            try await s3.send(.put, "/bkt/untagged", headers: copy + [("x-amz-tagging-directive", "REPLACE")], body: []).expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/untagged", query: "tagging")).isEmpty)
            let directive = try await s3.send(.put, "/bkt/x", headers: copy + [("x-amz-tagging-directive", "MERGE")], body: []).expect(.badRequest)
            #expect(directive.code == "InvalidArgument" && directive.xml?.childText("ArgumentName") == "x-amz-tagging-directive")

            // Multipart: the upload keeps the tags until it completes.
            let created = try await s3.send(.post, "/bkt/mp", query: "uploads", headers: [("x-amz-tagging", "stage=upload")], body: []).expect(.ok)
            let uploadId = try #require(created.xml?.childText("UploadId"))
            let etag = try await s3.uploadPart("bkt", "mp", uploadId: uploadId, number: 1)
            let complete = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>".utf8)
            try await s3.send(.post, "/bkt/mp", query: "uploadId=\(uploadId)", body: complete).expect(.ok)
            #expect(Self.tags(try await s3.send(.get, "/bkt/mp", query: "tagging")) == ["stage=upload"])
            #expect(try await s3.send(.head, "/bkt/mp").header("x-amz-tagging-count") == "1")
            #expect(try await s3.send(.post, "/bkt/mp2", query: "uploads", headers: [("x-amz-tagging", "=v")], body: []).expect(.badRequest).code == "InvalidArgument")
        }
    }

    @Test func bucketTagging() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let none = try await s3.send(.get, "/bkt", query: "tagging").expect(.notFound)
            #expect(none.code == "NoSuchTagSet")
            #expect(none.xml?.childText("Message") == "The TagSet does not exist")
            #expect(none.xml?.childText("BucketName") == "bkt")
            try await s3.putPolicy("bkt", Policies.document(Policies.statement(.anyone, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bkt/public/*"])))
            try await Self.putTagging(s3, "/bkt", [("cost-center", "42"), ("owner", "")]).expect(.noContent)
            #expect(Self.tags(try await s3.send(.get, "/bkt", query: "tagging").expect(.ok)) == ["cost-center=42", "owner="])
            // Tags and the policy live side by side in the bucket record.
            try await s3.send(.get, "/bkt", query: "policy").expect(.ok)
            let fifty = (1...50).map { ("k\($0)", "v") }
            try await Self.putTagging(s3, "/bkt", fifty).expect(.noContent)
            #expect(Self.tags(try await s3.send(.get, "/bkt", query: "tagging")).count == 50)
            let fiftyOne = try await Self.putTagging(s3, "/bkt", fifty + [("k51", "v")]).expect(.badRequest)
            #expect(fiftyOne.code == "BadRequest" && fiftyOne.xml?.childText("Message") == "Bucket tag count cannot be greater than 50")
            let reserved = try await Self.putTagging(s3, "/bkt", [("aws:cloudformation:stack-name", "s")]).expect(.badRequest)
            #expect(reserved.code == "InvalidTag" && reserved.xml?.childText("Message") == "System tags cannot be added/updated by requester")
            #expect(Self.tags(try await s3.send(.get, "/bkt", query: "tagging")).count == 50, "a refused set changes nothing")
            // An empty TagSet removes the tags, as DeleteBucketTagging does.
            try await Self.putTagging(s3, "/bkt", []).expect(.noContent)
            #expect(try await s3.send(.get, "/bkt", query: "tagging").expect(.notFound).code == "NoSuchTagSet")
            try await Self.putTagging(s3, "/bkt", [("a", "b")]).expect(.noContent)
            try await s3.send(.delete, "/bkt", query: "tagging").expect(.noContent)
            try await s3.send(.delete, "/bkt", query: "tagging").expect(.noContent)
            #expect(try await s3.send(.get, "/bkt", query: "tagging").expect(.notFound).code == "NoSuchTagSet")
            try await s3.send(.get, "/bkt", query: "policy").expect(.ok)
            #expect(try await s3.send(.get, "/nobucket", query: "tagging").expect(.notFound).code == "NoSuchBucket")
        }
    }

    // MARK: Condition keys

    static func policy(_ statements: String...) -> String { Policies.document(statements) }

    @Test func requestTagsInABucketPolicy() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let alice = Policies.Principal.user("alice", account: s3.accountId)
            try await s3.putPolicy("bkt", Self.policy(
                #"{"Sid": "RequireClassification", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/*", "Condition": {"Null": {"s3:RequestObjectTag/classification": "true"}}}"#,
                Policies.statement(alice, actions: ["s3:PutObject"], resources: ["arn:aws:s3:::bkt/*"]),
                #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::\#(s3.accountId):user/alice"}, "Action": "s3:PutObjectTagging", "Resource": "arn:aws:s3:::bkt/*", "Condition": {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["classification", "team"]}}}"#))
            // The Deny binds the owner too.
            #expect(try await s3.send(.put, "/bkt/plain", body: Array("x".utf8)).isAccessDenied)
            try await s3.send(.put, "/bkt/tagged", headers: [("x-amz-tagging", "classification=internal")], body: Array("x".utf8)).expect(.ok)
            // A malformed header is authorised as carrying no tags: refused, not 400.
            #expect(try await s3.send(.put, "/bkt/bad", headers: [("x-amz-tagging", "classification=a&classification=b")], body: Array("x".utf8)).isAccessDenied)
            // Multipart: the upload names the tags; its parts and completion carry none, so
            // this policy refuses them (as on S3).
            #expect(try await s3.send(.post, "/bkt/mp", query: "uploads", body: []).isAccessDenied)
            try await s3.send(.post, "/bkt/mp", query: "uploads", headers: [("x-amz-tagging", "classification=x")], body: []).expect(.ok)
            // alice: PutObject with tags also needs s3:PutObjectTagging, which she has for these keys only.
            try await s3.send(.put, "/bkt/a1", headers: [("x-amz-tagging", "classification=internal&team=blue")], body: Array("x".utf8), as: .alice).expect(.ok)
            #expect(try await s3.send(.put, "/bkt/a2", headers: [("x-amz-tagging", "classification=internal&project=x")], body: Array("x".utf8), as: .alice).isAccessDenied)
            // PutObjectTagging: the body's tags are the request's.
            try await Self.putTagging(s3, "/bkt/a1", [("team", "red"), ("classification", "public")], as: .alice).expect(.ok)
            #expect(try await Self.putTagging(s3, "/bkt/a1", [("project", "x")], as: .alice).isAccessDenied)
            #expect(Self.tags(try await s3.send(.get, "/bkt/a1", query: "tagging")) == ["team=red", "classification=public"])
            // CopyObject with COPY names no tags (the Deny applies); with REPLACE the header counts.
            let copy = [("x-amz-copy-source", "/bkt/tagged")]
            #expect(try await s3.send(.put, "/bkt/c1", headers: copy + [("x-amz-tagging", "classification=copied")], body: []).isAccessDenied)
            try await s3.send(.put, "/bkt/c2", headers: copy + [("x-amz-tagging-directive", "REPLACE"), ("x-amz-tagging", "classification=copied")], body: []).expect(.ok)
        }
    }

    @Test func existingTagsInABucketPolicy() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "public", "open", headers: [("x-amz-tagging", "visibility=public")])
            try await s3.putObject("bkt", "private", "closed", headers: [("x-amz-tagging", "visibility=private")])
            try await s3.putObject("bkt", "untagged", "none")
            try await s3.putPolicy("bkt", Self.policy(
                #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::\#(s3.accountId):user/alice"}, "Action": ["s3:GetObject", "s3:GetObjectTagging"], "Resource": "arn:aws:s3:::bkt/*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "public"}}}"#,
                #"{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObjectTagging", "Resource": "arn:aws:s3:::bkt/*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "private"}}}"#))
            #expect(try await s3.send(.get, "/bkt/public", as: .alice).expect(.ok).text == "open")
            #expect(try await s3.send(.get, "/bkt/private", as: .alice).isAccessDenied)
            #expect(try await s3.send(.get, "/bkt/untagged", as: .alice).isAccessDenied)
            try await s3.send(.get, "/bkt/public", query: "tagging", as: .alice).expect(.ok)
            #expect(try await s3.send(.get, "/bkt/private", query: "tagging", as: .alice).isAccessDenied)
            // The owner is denied removing the private tag, not the public one.
            #expect(try await s3.send(.delete, "/bkt/private", query: "tagging").isAccessDenied)
            try await s3.send(.delete, "/bkt/public", query: "tagging").expect(.noContent)
            // Untagged now: alice's grant no longer matches.
            #expect(try await s3.send(.get, "/bkt/public", as: .alice).isAccessDenied)
            // A copy reads its source with the source's tags.
            try await Self.putTagging(s3, "/bkt/public", [("visibility", "public")]).expect(.ok)
            try await s3.putPolicy("bkt", Self.policy(
                #"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bkt/*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "private"}}}"#))
            #expect(try await s3.send(.put, "/bkt/copy", headers: [("x-amz-copy-source", "/bkt/private")], body: []).isAccessDenied)
            try await s3.send(.put, "/bkt/copy", headers: [("x-amz-copy-source", "/bkt/public")], body: []).expect(.ok)
            // ExistingObjectTag is not in the context of PutObject: an overwrite is not denied by it.
            try await s3.putObject("bkt", "private", "overwritten")
        }
    }

    @Test func theTagCountNeedsPermissionToReadTags() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k", headers: [("x-amz-tagging", "a=1&b=2")])
            let alice = Policies.Principal.user("alice", account: s3.accountId)
            try await s3.putPolicy("bkt", Self.policy(Policies.statement(alice, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bkt/*"])))
            #expect(try await s3.send(.head, "/bkt/k", as: .alice).expect(.ok).header("x-amz-tagging-count") == nil)
            #expect(try await s3.send(.head, "/bkt/k").expect(.ok).header("x-amz-tagging-count") == "2")
            try await s3.putPolicy("bkt", Self.policy(Policies.statement(alice, actions: ["s3:GetObject", "s3:GetObjectTagging"], resources: ["arn:aws:s3:::bkt/*"])))
            #expect(try await s3.send(.get, "/bkt/k", as: .alice).expect(.ok).header("x-amz-tagging-count") == "2")
        }
    }

    // MARK: Audit

    @Test func taggingCallsAreAudited() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            let before = try s3.harness.auditEvents().count
            try await Self.putTagging(s3, "/bkt/k", [("team", "blue")]).expect(.ok)
            try await s3.send(.get, "/bkt/k", query: "tagging").expect(.ok)
            try await s3.send(.delete, "/bkt/k", query: "tagging").expect(.noContent)
            try await s3.send(.get, "/bkt/missing", query: "tagging").expect(.notFound)
            // Bucket tagging is bucket configuration: audited when refused only.
            try await Self.putTagging(s3, "/bkt", [("a", "b")]).expect(.noContent)
            #expect(try await Self.putTagging(s3, "/bkt", [("a", "b")], as: .alice).isAccessDenied)
            let events = try s3.harness.auditEvents().dropFirst(before)
            #expect(events.map(\.eventName) == ["PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging", "GetObjectTagging", "PutBucketTagging"])
            let put = try #require(events.first)
            #expect(put.readOnly == false && put.errorCode == nil)
            #expect(put.requestParameters?["key"] == .string("k"))
            #expect(put.requestParameters?["tagging"] == .string("team=blue"))
            #expect(events.dropFirst().first?.readOnly == true)
            #expect(events.dropFirst(3).first?.errorCode == "NoSuchKey")
            #expect(events.last?.errorCode == "AccessDenied")
        }
    }
}
