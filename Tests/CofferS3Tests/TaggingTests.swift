import CofferStorage
import Testing

@testable import CofferS3

/// S3's tag rules (`TagRules`), the `Tagging` document (`TaggingXML`), `x-amz-tagging`
/// (`TaggingHeader`) and `x-amz-tagging-directive`, with the error S3 answers for each fault.
@Suite struct TaggingTests {
    static func tags(_ pairs: (String, String)...) -> [StoredTag] { pairs.map { StoredTag(key: $0.0, value: $0.1) } }

    /// The code and extra elements of the error `body` throws, or nil when it does not throw.
    static func failure(_ body: () throws -> Void) -> (code: String, message: String, extra: [String: String])? {
        do {
            try body()
            return nil
        } catch let error as S3Error {
            return (error.code.rawValue, error.message, Dictionary(error.extra.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
        } catch {
            return ("not an S3Error: \(error)", "", [:])
        }
    }

    // MARK: Rules

    @Test func acceptsWhatS3Accepts() throws {
        let good = Self.tags(
            ("project", "alpha"), ("empty", ""), ("spaces in key", "spaces in value"), ("+-=._:/@", "+-=._:/@"),
            ("é日本語", "ünïcödé ١٢٣"), (String(repeating: "k", count: 128), String(repeating: "v", count: 256)),
            ("key", "\u{00A0}no-break space"), ("Ⅻ", "½"))
        try TagRules.validate(Array(good.prefix(8)), for: .object)
        // Lengths count Unicode characters, not bytes.
        try TagRules.validate(Self.tags((String(repeating: "é", count: 128), String(repeating: "日", count: 256))), for: .object)
        try TagRules.validate([], for: .object)
    }

    @Test func countLimits() {
        let ten = (1...10).map { StoredTag(key: "k\($0)", value: "v") }
        #expect(Self.failure { try TagRules.validate(ten, for: .object) } == nil)
        let eleven = ten + [StoredTag(key: "k11", value: "v")]
        let object = Self.failure { try TagRules.validate(eleven, for: .object) }
        #expect(object?.code == "BadRequest")
        #expect(object?.message == "Object tags cannot be greater than 10")
        let fifty = (1...50).map { StoredTag(key: "k\($0)", value: "v") }
        #expect(Self.failure { try TagRules.validate(fifty, for: .bucket) } == nil)
        let bucket = Self.failure { try TagRules.validate(fifty + [StoredTag(key: "k51", value: "v")], for: .bucket) }
        #expect(bucket?.code == "BadRequest")
        #expect(bucket?.message == "Bucket tag count cannot be greater than 50")
    }

    @Test func refusesWhatS3Refuses() {
        func refused(_ tags: [StoredTag], _ subject: TagRules.Subject = .object) -> (code: String, message: String, extra: [String: String])? {
            Self.failure { try TagRules.validate(tags, for: subject) }
        }
        let duplicate = refused(Self.tags(("Key1", "a"), ("Key1", "b")))
        #expect(duplicate?.code == "InvalidTag")
        #expect(duplicate?.message == "Cannot provide multiple Tags with the same key")
        #expect(duplicate?.extra == ["TagKey": "Key1"])
        // Keys are case-sensitive: these are two tags.
        #expect(refused(Self.tags(("key", "a"), ("Key", "b"))) == nil)

        let badKey = refused(Self.tags(("Key1,Key2", "v")))
        #expect(badKey?.message == "The TagKey you have provided is invalid")
        #expect(badKey?.extra == ["TagKey": "Key1,Key2"])
        for key in ["", String(repeating: "k", count: 129), "a?b", "a*b", "a#b", "a!b", "tab\there", "new\nline", "emoji🔐", "quote\"", "<x>"] {
            #expect(refused(Self.tags((key, "v")))?.message == "The TagKey you have provided is invalid", "key \(key.debugDescription)")
        }
        let badValue = refused(Self.tags(("Key1", "Val1,Val2")))
        #expect(badValue?.message == "The TagValue you have provided is invalid")
        #expect(badValue?.extra == ["TagKey": "Key1", "TagValue": "Val1,Val2"])
        for value in [String(repeating: "v", count: 257), "a$b", "a(b)", "a%b", "🔐"] {
            #expect(refused(Self.tags(("k", value)))?.message == "The TagValue you have provided is invalid", "value \(value.debugDescription)")
        }

        let objectPrefix = refused(Self.tags(("aws:prefixed", "v")))
        #expect(objectPrefix?.code == "InvalidTag")
        #expect(objectPrefix?.message == "Your TagKey cannot be prefixed with aws:")
        #expect(objectPrefix?.extra == ["TagKey": "aws:prefixed"])
        #expect(refused(Self.tags(("AWS:Prefixed", "v")))?.message == "Your TagKey cannot be prefixed with aws:")
        let bucketPrefix = refused(Self.tags(("aws:prefixed", "v")), .bucket)
        #expect(bucketPrefix?.message == "System tags cannot be added/updated by requester")
        // "aws" without the colon is an ordinary key.
        #expect(refused(Self.tags(("aws-team", "v"))) == nil)
    }

    // MARK: The Tagging document

    static func document(_ tags: String) -> [UInt8] {
        Array(#"<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#.utf8) + Array(tags.utf8) + Array("</Tagging>".utf8)
    }

    @Test func parsesTheTaggingDocumentInOrder() throws {
        let body = Self.document("<TagSet><Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value></Value></Tag><Tag><Key>c &amp; d</Key><Value> x </Value></Tag></TagSet>")
        #expect(throws: S3Error.self) { try TaggingXML.parse(body, for: .object) }  // "&" is not an allowed character
        let ok = Self.document("<TagSet><Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value></Value></Tag><Tag><Key>c d</Key><Value> x </Value></Tag></TagSet>")
        #expect(try TaggingXML.parse(ok, for: .object) == Self.tags(("b", "2"), ("a", ""), ("c d", " x ")))
        // What SDKs send for an empty tag set, with and without the TagSet.
        #expect(try TaggingXML.parse(Self.document("<TagSet/>"), for: .object) == [])
        #expect(try TaggingXML.parse(Array(#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/" />"#.utf8), for: .bucket) == [])
    }

    @Test func malformedDocumentsAreMalformedXML() {
        let malformed: [[UInt8]] = [
            [], Array("not xml".utf8), Array("<Tagging><TagSet>".utf8),
            Array("<Other><TagSet/></Other>".utf8),
            Self.document("<TagSet/><TagSet/>"),
            Self.document("<Unknown/>"),
            Self.document("<TagSet><Tag/></TagSet>"),
            Self.document("<TagSet><Tag><Key>k</Key></Tag></TagSet>"),
            Self.document("<TagSet><Tag><Value>v</Value></Tag></TagSet>"),
            Self.document("<TagSet><Tag><Key>k</Key><Value>v</Value><Value>w</Value></Tag></TagSet>"),
            Self.document("<TagSet><Tag><Key>k</Key><Key>l</Key></Tag></TagSet>"),
            Self.document("<TagSet><NotATag><Key>k</Key><Value>v</Value></NotATag></TagSet>"),
            Self.document("<TagSet><Tag><Key><b>k</b></Key><Value>v</Value></Tag></TagSet>"),
            Array("<!DOCTYPE x [<!ENTITY e \"k\">]><Tagging><TagSet><Tag><Key>&e;</Key><Value>v</Value></Tag></TagSet></Tagging>".utf8),
        ]
        for body in malformed {
            #expect(Self.failure { _ = try TaggingXML.parse(body, for: .object) }?.code == "MalformedXML", "\(String(decoding: body, as: UTF8.self))")
        }
    }

    @Test func writesTheTaggingDocument() throws {
        let xml = TaggingXML.write(Self.tags(("b", "2"), ("a", ""))).document
        #expect(xml == #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value></Value></Tag></TagSet></Tagging>"#)
        #expect(TaggingXML.write([]).document.hasSuffix("<TagSet></TagSet></Tagging>"))
        // What is written reads back.
        let tags = Self.tags(("é 日", "+-=._:/@"), ("k", ""))
        #expect(try TaggingXML.parse(Array(TaggingXML.write(tags).document.utf8), for: .object) == tags)
    }

    // MARK: x-amz-tagging

    @Test func parsesTheHeaderAsS3Does() throws {
        #expect(try TaggingHeader.parse("tag1=tag1&tag2=tag2&tag=") == Self.tags(("tag1", "tag1"), ("tag2", "tag2"), ("tag", "")))
        #expect(try TaggingHeader.parse("wrongquery&wrongagain") == Self.tags(("wrongquery", ""), ("wrongagain", "")))
        #expect(try TaggingHeader.parse("key1&&&key2") == Self.tags(("key1", ""), ("key2", "")))
        #expect(try TaggingHeader.parse("") == [])
        #expect(try TaggingHeader.parse("&") == [])
        #expect(try TaggingHeader.parse("key%2E=value%2F&key++key=value%20value") == Self.tags(("key.", "value/"), ("key  key", "value value")))
        #expect(try TaggingHeader.parse("%C3%A9t%C3%A9=%E6%97%A5") == Self.tags(("été", "日")))
    }

    @Test func badHeadersAreInvalidArgument() {
        for header in ["key1=val1&key1=val2", "key1=val1,key2=val2", "=", "=v", "key%", "key=%zz", "k=%FF", "a=b=c"] {
            let error = Self.failure { _ = try TaggingHeader.parse(header) }
            #expect(error?.code == "InvalidArgument", "header \(header)")
            #expect(error?.message == "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
            #expect(error?.extra == ["ArgumentName": "x-amz-tagging", "ArgumentValue": header])
        }
        // Well-encoded tags that break a rule get the rule's error.
        #expect(Self.failure { _ = try TaggingHeader.parse("key?=val") }?.message == "The TagKey you have provided is invalid")
        #expect(Self.failure { _ = try TaggingHeader.parse("key=val%21") }?.message == "The TagValue you have provided is invalid")
        #expect(Self.failure { _ = try TaggingHeader.parse("aws%3Ax=1") }?.message == "Your TagKey cannot be prefixed with aws:")
        let eleven = (1...11).map { "k\($0)=v" }.joined(separator: "&")
        #expect(Self.failure { _ = try TaggingHeader.parse(eleven) }?.code == "BadRequest")
    }

    @Test func encodesTheHeaderForm() throws {
        let tags = Self.tags(("a b", "c/d"), ("é", ""), ("x=y", "+"))
        #expect(TaggingHeader.encode(tags) == "a%20b=c%2Fd&%C3%A9=&x%3Dy=%2B")
        #expect(try TaggingHeader.parse(TaggingHeader.encode(tags)) == tags)
    }

    @Test func taggingDirective() {
        #expect(TaggingDirective.parse(nil) == .copy)
        #expect(TaggingDirective.parse("COPY") == .copy)
        #expect(TaggingDirective.parse("REPLACE") == .replace)
        #expect(TaggingDirective.parse("replace") == nil)
    }
}
