@testable import CofferS3
import CofferSigV4
import Testing

/// Listing and its paging: ListObjectsV2 (max-keys, continuation-token, start-after, prefix,
/// delimiter and common prefixes), ListObjects v1 (marker, NextMarker), ListMultipartUploads
/// (key-marker, upload-id-marker) and ListParts (part-number-marker), each page followed to
/// the end.
@Suite struct ListingTests {
    static let keys = ["a/1", "a/2", "b", "c/x/1", "c/y", "d", "e"]

    func populated(_ s3: S3TestClient) async throws {
        try await s3.createBucket("bkt")
        for key in Self.keys { try await s3.putObject("bkt", key) }
    }

    /// Keys then common prefixes of one page.
    func entries(_ page: XMLElementNode) -> [String] {
        page.all("Contents").compactMap { $0.childText("Key") } + page.all("CommonPrefixes").compactMap { $0.childText("Prefix") }
    }

    func page(_ s3: S3TestClient, _ query: String) async throws -> XMLElementNode {
        let reply = try await s3.send(.get, "/bkt", query: query).expect(.ok)
        return try #require(reply.xml)
    }

    @Test func v2PagesThroughEveryKeyWithContinuationTokens() async throws {
        try await Harness.run { s3 in
            try await populated(s3)
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let query = "list-type=2&max-keys=3" + (token.map { "&continuation-token=" + PercentEncoding.encode($0, keepSlash: false) } ?? "")
                let page = try await page(s3, query)
                pages += 1
                #expect(page.childText("MaxKeys") == "3")
                #expect(page.childText("KeyCount") == String(entries(page).count))
                #expect(page.childText("ContinuationToken") == token)
                seen += entries(page)
                token = page.childText("NextContinuationToken")
                #expect((page.childText("IsTruncated") == "true") == (token != nil))
            } while token != nil && pages < 10
            #expect(seen == Self.keys)
            #expect(pages == 3)
        }
    }

    @Test func v2StartAfterAndPrefix() async throws {
        try await Harness.run { s3 in
            try await populated(s3)
            let after = try await page(s3, "list-type=2&start-after=b")
            #expect(entries(after) == ["c/x/1", "c/y", "d", "e"])
            #expect(after.childText("StartAfter") == "b")
            let prefixed = try await page(s3, "list-type=2&prefix=c/")
            #expect(entries(prefixed) == ["c/x/1", "c/y"])
            #expect(prefixed.childText("Prefix") == "c/")
            #expect(entries(try await page(s3, "list-type=2&prefix=zz")).isEmpty)
            let badToken = try await s3.send(.get, "/bkt", query: "list-type=2&continuation-token=bm90LWEtdG9rZW4%3D").expect(.badRequest)
            #expect(badToken.code == "InvalidArgument")
        }
    }

    @Test func v2DelimiterGroupsCommonPrefixesAndCountsThemInMaxKeys() async throws {
        try await Harness.run { s3 in
            try await populated(s3)
            let all = try await page(s3, "list-type=2&delimiter=/")
            #expect(all.all("Contents").compactMap { $0.childText("Key") } == ["b", "d", "e"])
            #expect(all.all("CommonPrefixes").compactMap { $0.childText("Prefix") } == ["a/", "c/"])
            #expect(all.childText("KeyCount") == "5")
            #expect(all.childText("Delimiter") == "/")
            // Under a prefix, the next level groups.
            let c = try await page(s3, "list-type=2&delimiter=/&prefix=c/")
            #expect(entries(c) == ["c/y", "c/x/"])
            // max-keys counts a common prefix as one entry; paging never repeats one.
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let query = "list-type=2&delimiter=/&max-keys=2" + (token.map { "&continuation-token=" + PercentEncoding.encode($0, keepSlash: false) } ?? "")
                let page = try await page(s3, query)
                pages += 1
                #expect(entries(page).count <= 2)
                seen += entries(page)
                token = page.childText("NextContinuationToken")
            } while token != nil && pages < 10
            #expect(seen.sorted() == ["a/", "b", "c/", "d", "e"])
            #expect(pages == 3)
        }
    }

    @Test func v1MarkerAndNextMarker() async throws {
        try await Harness.run { s3 in
            try await populated(s3)
            // Without a delimiter S3 gives no NextMarker: the next marker is the last key.
            let first = try await page(s3, "max-keys=2")
            #expect(entries(first) == ["a/1", "a/2"])
            #expect(first.childText("IsTruncated") == "true")
            #expect(first.childText("NextMarker") == nil)
            #expect(first.childText("Marker") == "")
            let second = try await page(s3, "max-keys=2&marker=a/2")
            #expect(entries(second) == ["b", "c/x/1"])
            #expect(second.childText("Marker") == "a/2")
            let last = try await page(s3, "marker=d")
            #expect(entries(last) == ["e"])
            #expect(last.childText("IsTruncated") == "false")
            // With a delimiter, NextMarker names where to go on, a common prefix included.
            let grouped = try await page(s3, "max-keys=2&delimiter=/")
            #expect(entries(grouped) == ["b", "a/"])
            #expect(grouped.childText("NextMarker") == "b")
            let next = try await page(s3, "max-keys=2&delimiter=/&marker=b")
            #expect(entries(next) == ["d", "c/"])
            #expect(next.childText("NextMarker") == "d")
            let end = try await page(s3, "max-keys=2&delimiter=/&marker=d")
            #expect(entries(end) == ["e"])
            #expect(end.childText("IsTruncated") == "false")
            #expect(end.childText("NextMarker") == nil)
        }
    }

    @Test func multipartUploadsPageByKeyAndUploadIdMarkers() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            var ids: [String] = []
            for key in ["x", "y", "y", "z"] {
                ids.append(try await s3.createUpload("bkt", key))
                s3.clock.advance(by: 1)  // uploads of one key list in the order they were initiated
            }
            var seen: [String] = []
            var keyMarker: String?
            var uploadMarker: String?
            var pages = 0
            repeat {
                var query = "uploads&max-uploads=1"
                if let keyMarker, let uploadMarker { query += "&key-marker=\(keyMarker)&upload-id-marker=\(uploadMarker)" }
                let page = try await page(s3, query)
                pages += 1
                #expect(page.childText("MaxUploads") == "1")
                let uploads = page.all("Upload")
                #expect(uploads.count == 1)
                seen += uploads.compactMap { $0.childText("UploadId") }
                let truncated = page.childText("IsTruncated") == "true"
                keyMarker = truncated ? page.childText("NextKeyMarker") : nil
                uploadMarker = truncated ? page.childText("NextUploadIdMarker") : nil
            } while keyMarker != nil && pages < 10
            #expect(seen == ids)
            // key-marker alone starts after every upload of that key.
            let afterY = try await page(s3, "uploads&key-marker=y")
            #expect(afterY.all("Upload").compactMap { $0.childText("Key") } == ["z"])
        }
    }

    @Test func partsPageByPartNumberMarker() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let uploadId = try await s3.createUpload("bkt", "k")
            var etags: [String] = []
            for number in [1, 2, 3, 5] { etags.append(try await s3.uploadPart("bkt", "k", uploadId: uploadId, number: number, "part \(number)")) }
            var seen: [String] = []
            var marker: String?
            var pages = 0
            repeat {
                let query = "uploadId=\(uploadId)&max-parts=3" + (marker.map { "&part-number-marker=\($0)" } ?? "")
                let page = try #require(try await s3.send(.get, "/bkt/k", query: query).expect(.ok).xml)
                pages += 1
                #expect(page.childText("PartNumberMarker") == (marker ?? "0"))
                seen += page.all("Part").compactMap { $0.childText("PartNumber") }
                #expect(page.all("Part").compactMap { $0.childText("ETag") } == Array(etags[(pages - 1) * 3 ..< min(pages * 3, etags.count)]))
                marker = page.childText("IsTruncated") == "true" ? page.childText("NextPartNumberMarker") : nil
            } while marker != nil && pages < 10
            #expect(seen == ["1", "2", "3", "5"])
            #expect(pages == 2)
        }
    }
}
