import HTTPTypes
import Testing

@testable import CofferS3

@Suite struct RequestParsingTests {
    let parser = S3RequestParser(domains: ["localhost"])

    func parse(_ method: HTTPRequest.Method, _ target: String, host: String = "127.0.0.1:9000", headers: HTTPFields = [:]) throws -> S3Request {
        try parser.parse(method: method, target: target, authority: host, headers: headers, secure: false, sourceIP: "127.0.0.1")
    }

    @Test func pathStyleSplitsBucketAndKeyKeepingSlashes() throws {
        let request = try parse(.get, "/bucket/a//b/%20c%2B%26?x=1")
        #expect(request.bucket == "bucket")
        #expect(request.key == "a//b/ c+&")
        #expect(request.addressing == .path)
        #expect(request.queryValue("x") == "1")
    }

    @Test func trailingSlashKeyAndBucketOnly() throws {
        #expect(try parse(.get, "/bucket/dir/").key == "dir/")
        let bucketOnly = try parse(.get, "/bucket")
        #expect(bucketOnly.bucket == "bucket" && bucketOnly.key == nil)
        let slash = try parse(.get, "/bucket/")
        #expect(slash.bucket == "bucket" && slash.key == nil)
        let root = try parse(.get, "/")
        #expect(root.bucket == nil && root.key == nil)
    }

    @Test func virtualHostStyle() throws {
        let request = try parse(.put, "/photos/2024/x.jpg", host: "my-bucket.localhost:9000")
        #expect(request.bucket == "my-bucket")
        #expect(request.key == "photos/2024/x.jpg")
        #expect(request.addressing == .virtualHost)
        #expect(try parse(.get, "/", host: "my-bucket.localhost").key == nil)
    }

    @Test func queryDecodingTreatsPlusAsSpaceAndKeepsEmptyValues() throws {
        let request = try parse(.get, "/b?prefix=a+b%2Fc&uploads&delimiter=%2F")
        #expect(request.queryValue("prefix") == "a b/c")
        #expect(request.hasQuery("uploads"))
        #expect(request.queryValue("uploads") == "")
        #expect(request.queryValue("delimiter") == "/")
    }

    @Test func malformedEscapesAreInvalidURI() {
        #expect(throws: S3Error.self) { try parse(.get, "/b/%zz") }
        #expect(throws: S3Error.self) { try parse(.get, "/b/%C3") }  // not UTF-8
        #expect(throws: S3Error.self) { try parse(.get, "/b?x=%4") }
    }

    @Test(arguments: [
        ("GET", "/", S3Operation.listBuckets),
        ("PUT", "/b", .createBucket), ("HEAD", "/b", .headBucket), ("DELETE", "/b", .deleteBucket),
        ("GET", "/b?location", .getBucketLocation), ("GET", "/b?acl", .getBucketAcl), ("PUT", "/b?acl", .putBucketAcl),
        ("GET", "/b?uploads", .listMultipartUploads), ("GET", "/b?versions", .listObjectVersions),
        ("GET", "/b?list-type=2", .listObjectsV2), ("GET", "/b", .listObjects), ("POST", "/b?delete", .deleteObjects),
        ("PUT", "/b/k", .putObject), ("GET", "/b/k", .getObject), ("HEAD", "/b/k", .headObject), ("DELETE", "/b/k", .deleteObject),
        ("POST", "/b/k?uploads", .createMultipartUpload), ("PUT", "/b/k?partNumber=1&uploadId=u", .uploadPart),
        ("POST", "/b/k?uploadId=u", .completeMultipartUpload), ("DELETE", "/b/k?uploadId=u", .abortMultipartUpload),
        ("GET", "/b/k?uploadId=u", .listParts), ("GET", "/b/k?acl", .getObjectAcl),
        ("PUT", "/b/k?tagging", .putObjectTagging), ("GET", "/b/k?tagging", .getObjectTagging), ("DELETE", "/b/k?tagging", .deleteObjectTagging),
        ("GET", "/b/k?tagging&versionId=null", .getObjectTagging),
        ("PUT", "/b?tagging", .putBucketTagging), ("GET", "/b?tagging", .getBucketTagging), ("DELETE", "/b?tagging", .deleteBucketTagging),
        ("PUT", "/b?object-lock", .putObjectLockConfiguration), ("GET", "/b?object-lock", .getObjectLockConfiguration),
        ("PUT", "/b/k?retention", .putObjectRetention), ("GET", "/b/k?retention", .getObjectRetention),
        ("PUT", "/b/k?retention&versionId=v", .putObjectRetention),
        ("PUT", "/b/k?legal-hold", .putObjectLegalHold), ("GET", "/b/k?legal-hold", .getObjectLegalHold),
    ])
    func operationDispatch(method: String, target: String, expected: S3Operation) throws {
        let request = try parse(HTTPRequest.Method(method)!, target)
        #expect(try S3Operation.parse(request) == expected)
    }

    @Test func copySourceSelectsCopyOperations() throws {
        let headers: HTTPFields = [HTTPField.Name("x-amz-copy-source")!: "/src/key"]
        #expect(try S3Operation.parse(parse(.put, "/b/k", headers: headers)) == .copyObject)
        #expect(try S3Operation.parse(parse(.put, "/b/k?partNumber=2&uploadId=u", headers: headers)) == .uploadPartCopy)
    }

    @Test func unsupportedSubresourcesAreNotImplementedNotMisrouted() throws {
        for target in ["/b?lifecycle", "/b?cors", "/b/k?restore", "/b?metadataTable", "/b?someFutureThing"] {
            #expect(throws: S3Error.self) { try S3Operation.parse(parse(.put, target)) }
        }
        // A DELETE with any sub-resource must never become DeleteBucket.
        for target in ["/b?ownershipControls", "/b?metadataTable", "/b?whatever=1", "/b?replication", "/b?lifecycle"] {
            #expect(throws: S3Error.self) { try S3Operation.parse(parse(.delete, target)) }
        }
        #expect(try S3Operation.parse(parse(.get, "/b?versioning")) == .getBucketVersioning)
        #expect(try S3Operation.parse(parse(.put, "/b?versioning")) == .putBucketVersioning)
        #expect(throws: S3Error.self) { try S3Operation.parse(parse(.delete, "/b?versioning")) }
        // Object Lock configuration is never deleted (S3 has no DeleteObjectLockConfiguration).
        #expect(throws: S3Error.self) { try S3Operation.parse(parse(.delete, "/b?object-lock")) }
        // Nor are an object's retention and legal hold: never misread as DeleteObject.
        #expect(throws: S3Error.self) { try S3Operation.parse(parse(.delete, "/b/k?retention")) }
        #expect(throws: S3Error.self) { try S3Operation.parse(parse(.delete, "/b/k?legal-hold&versionId=v")) }
        #expect(try S3Operation.parse(parse(.delete, "/b?policy")) == .deleteBucketPolicy)
        #expect(try S3Operation.parse(parse(.delete, "/b?x-id=DeleteBucket")) == .deleteBucket)
    }
}

@Suite struct BucketNameTests {
    @Test(arguments: ["abc", "my-bucket", "my.bucket.1", String(repeating: "a", count: 63)])
    func valid(name: String) { #expect(BucketName.isValid(name)) }

    @Test(arguments: ["ab", "ABC", "-abc", "abc-", "a..b", "192.168.5.4", "xn--abc", "abc-s3alias", "a_b", "_coffer", String(repeating: "a", count: 64)])
    func invalid(name: String) { #expect(!BucketName.isValid(name)) }
}

@Suite struct ByteRangeTests {
    @Test func forms() {
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .satisfiable(0...9))
        #expect(ByteRange.parse("bytes=90-", size: 100) == .satisfiable(90...99))
        #expect(ByteRange.parse("bytes=-10", size: 100) == .satisfiable(90...99))
        #expect(ByteRange.parse("bytes=-1000", size: 100) == .satisfiable(0...99))
        #expect(ByteRange.parse("bytes=50-1000", size: 100) == .satisfiable(50...99))
    }

    @Test func unsatisfiableAndIgnored() {
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=100-200", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,5-6", size: 100) == .none)
        #expect(ByteRange.parse("bytes=9-1", size: 100) == .none)
        #expect(ByteRange.parse("items=0-1", size: 100) == .none)
        #expect(ByteRange.parse("bytes=a-b", size: 100) == .none)
    }
}

@Suite struct XMLTests {
    @Test func writerEscapes() {
        var xml = XMLWriter(declaration: false)
        xml.element("Key", "a<b>&\"c'")
        #expect(xml.document == "<Key>a&lt;b&gt;&amp;&quot;c&apos;</Key>")
    }

    /// Characters XML 1.0 forbids: replaced in documents that only echo a request (errors),
    /// character references where S3 writes keys (listings); tab, LF and CR are references.
    @Test func charactersXMLForbidsAreReplacedOrReferenced() {
        var replaced = XMLWriter(declaration: false)
        replaced.element("UploadId", "a\u{0}b\u{1F}c\u{FFFF}d\te")
        #expect(replaced.document == "<UploadId>a\u{FFFD}b\u{FFFD}c\u{FFFD}d&#9;e</UploadId>")
        var referenced = XMLWriter(declaration: false, invalidCharacters: .referenced)
        referenced.element("Key", "ctrl\u{1}char\u{FFFE}\n")
        #expect(referenced.document == "<Key>ctrl&#x1;char&#xFFFE;&#10;</Key>")
        #expect(XMLWriter.escape("caf\u{E9} \u{FFFD} \u{EFFF}") == "caf\u{E9} \u{FFFD} \u{EFFF}")
    }

    @Test func parserReadsNestedDocumentsAndRejectsDTDs() {
        let doc = XMLElementNode.parse(Array(#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object><Quiet>true</Quiet></Delete>"#.utf8))
        #expect(doc?.name == "Delete")
        #expect(doc?.all("Object").first?.childText("Key") == "a&b")
        #expect(doc?.childText("Quiet") == "true")
        #expect(XMLElementNode.parse(Array(#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#.utf8)) == nil)
        #expect(XMLElementNode.parse(Array("<a><b></a>".utf8)) == nil)
        let hidden = "<?xml version=\"1.0\"?><!--" + String(repeating: "x", count: 8000) + "--><!DOCTYPE d [<!ENTITY e \"boom\">]><Delete><Object><Key>&e;</Key></Object></Delete>"
        #expect(XMLElementNode.parse(Array(hidden.utf8)) == nil)
        #expect(XMLElementNode.parse(Array("<a><!-- fine --><b><![CDATA[<x>]]></b></a>".utf8))?.childText("b") == "<x>")
        #expect(XMLElementNode.parse([]) == nil)
    }
}
