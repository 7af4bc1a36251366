import CofferPolicy
import CofferStorage
import Foundation
import Testing

@testable import CofferS3

/// The tag condition keys S3 puts in a request's context, derived as the server and
/// `coffer policy simulate --http` derive them (`S3PolicyRequest.simulate`, `make`).
@Suite struct TagConditionKeyTests {
    static let alice = PolicyCaller(principal: .user("alice", account: "123456789012"), userName: "alice")

    static func context(
        _ line: String, headers: [(name: String, value: String)] = [], body: String? = nil, existing: [StoredTag]? = nil
    ) throws -> (operation: S3Operation, action: String, context: [String: [String]]) {
        let (request, operation, _) = try S3PolicyRequest.simulate(
            httpLine: line, headers: headers, secure: true, sourceIP: nil, caller: alice, now: Date(timeIntervalSince1970: 1_767_225_600),
            accountId: "123456789012", body: body.map { Array($0.utf8) }, existingTags: existing)
        return (operation, request.action, request.context.filter { $0.key.contains("objecttag") })
    }

    static let existing = [StoredTag(key: "visibility", value: "public"), StoredTag(key: "team", value: "blue")]

    @Test func requestTagsOfPutObjectAndMultipart() throws {
        let put = try Self.context("PUT /b/k", headers: [("x-amz-tagging", "classification=internal&team=")])
        #expect(put.context == ["s3:requestobjecttagkeys": ["classification", "team"], "s3:requestobjecttag/classification": ["internal"], "s3:requestobjecttag/team": [""]])
        let upload = try Self.context("POST /b/k?uploads", headers: [("x-amz-tagging", "a=1")])
        #expect(upload.context == ["s3:requestobjecttagkeys": ["a"], "s3:requestobjecttag/a": ["1"]])
        // No header, an empty one, or one S3 would refuse: no request tags.
        #expect(try Self.context("PUT /b/k").context.isEmpty)
        #expect(try Self.context("PUT /b/k", headers: [("x-amz-tagging", "")]).context.isEmpty)
        #expect(try Self.context("PUT /b/k", headers: [("x-amz-tagging", "a=1&a=2")]).context.isEmpty)
        #expect(try Self.context("PUT /b/k", headers: [("x-amz-tagging", "aws:x=1")]).context.isEmpty)
        // Parts and completion carry none, whatever headers they send.
        #expect(try Self.context("PUT /b/k?partNumber=1&uploadId=u", headers: [("x-amz-tagging", "a=1")]).context.isEmpty)
    }

    @Test func requestTagsOfCopies() throws {
        let copy = [(name: "x-amz-copy-source", value: "/b/src"), (name: "x-amz-tagging", value: "a=1")]
        #expect(try Self.context("PUT /b/k", headers: copy).context.isEmpty, "COPY: the source's tags, which the request does not name")
        #expect(try Self.context("PUT /b/k", headers: copy + [("x-amz-tagging-directive", "COPY")]).context.isEmpty)
        let replaced = try Self.context("PUT /b/k", headers: copy + [("x-amz-tagging-directive", "REPLACE")])
        #expect(replaced.context == ["s3:requestobjecttagkeys": ["a"], "s3:requestobjecttag/a": ["1"]])
    }

    @Test func requestTagsOfPutObjectTaggingComeFromItsBody() throws {
        let body = #"<Tagging><TagSet><Tag><Key>team</Key><Value>red</Value></Tag><Tag><Key>x</Key><Value></Value></Tag></TagSet></Tagging>"#
        let put = try Self.context("PUT /b/k?tagging", body: body, existing: Self.existing)
        #expect(put.operation == .putObjectTagging && put.action == "s3:PutObjectTagging")
        #expect(put.context == [
            "s3:requestobjecttagkeys": ["team", "x"], "s3:requestobjecttag/team": ["red"], "s3:requestobjecttag/x": [""],
            "s3:existingobjecttag/visibility": ["public"], "s3:existingobjecttag/team": ["blue"],
        ])
        // A body S3 would refuse sets no tags; the object's tags are still there.
        let bad = try Self.context("PUT /b/k?tagging", body: "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", existing: Self.existing)
        #expect(bad.context.keys.sorted() == ["s3:existingobjecttag/team", "s3:existingobjecttag/visibility"])
    }

    @Test func existingTagsOnlyForTheActionsThatCarryThem() throws {
        let expected = ["s3:existingobjecttag/visibility": ["public"], "s3:existingobjecttag/team": ["blue"]]
        for line in ["GET /b/k", "HEAD /b/k", "GET /b/k?tagging", "DELETE /b/k?tagging", "GET /b/k?acl", "PUT /b/k?acl"] {
            #expect(try Self.context(line, existing: Self.existing).context == expected, "\(line)")
        }
        // S3 does not evaluate existing tags for writes and deletes of the object itself.
        for line in ["PUT /b/k", "DELETE /b/k", "POST /b/k?uploads", "GET /b?list-type=2"] {
            #expect(try Self.context(line, existing: Self.existing).context.isEmpty, "\(line)")
        }
    }

    @Test func tagKeysThatDifferInCaseShareOneContextKey() {
        var context: [String: [String]] = [:]
        S3PolicyRequest.addTags(to: &context, action: "s3:GetObject", requestTags: nil,
                                existingTags: [StoredTag(key: "Class", value: "public"), StoredTag(key: "class", value: "secret")])
        #expect(context == ["s3:ExistingObjectTag/Class": ["public", "secret"]])
        let request = PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: context)
        #expect(request.values("s3:ExistingObjectTag/class") == ["public", "secret"])
    }
}
