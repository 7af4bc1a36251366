import Testing

@testable import CofferS3

/// Coffer's XML reader (`XMLReader`): what S3 documents use is read as XML 1.0 says; everything
/// a hostile body could use is malformed.
@Suite struct XMLReaderTests {
    private func parse(_ text: String) -> XMLElementNode? { XMLElementNode.parse(Array(text.utf8)) }

    @Test func readsWhatS3DocumentsUse() throws {
        let root = try #require(parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <s3:Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/" xmlns:s3='http://s3.amazonaws.com/doc/2006-03-01/'>
              <Object><Key>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x1F600;</Key></Object>
              <Object><Key><![CDATA[<raw & text>]]></Key><VersionId/></Object>
              <Quiet>
                true
              </Quiet>
            </s3:Delete>
            """))
        #expect(root.name == "Delete")
        #expect(root.all("Object").map { $0.childText("Key") } == ["a & b <c> \"d\" 'e' \u{E9}\u{1F600}", "<raw & text>"])
        #expect(root.all("Object")[1].childText("VersionId") == "")
        #expect(root.childText("Quiet") == "\n    true\n  ")  // a leaf keeps its text as sent
        #expect(root.text == "")
    }

    @Test func normalisesLineEndsAndKeepsLeafWhitespace() {
        #expect(parse("<K>a\r\nb\rc </K>")?.text == "a\nb\nc ")
        #expect(parse("<K>  </K>")?.text == "  ")
    }

    @Test(arguments: [
        "<!DOCTYPE d [<!ENTITY x \"y\">]><d>&x;</d>",  // a DTD and an entity
        "<d>&x;</d>", "<d>&amp</d>", "<d>&#0;</d>", "<d>&#xD800;</d>", "<d>&#-1;</d>",  // unknown or invalid references
        "<d><?pi data?></d>", "<?pi?><d/>",  // processing instructions
        "<d></e>", "<d>", "<d><e></d></e>", "</d>", "<d/><e/>", "text<d/>", "<d/>text",  // structure
        "<d a=\"1\" a=\"2\"/>", "<d a=1/>", "<d a=\"<\"/>", "<da=\"1\"/>",  // attributes
        "<p:d/>", "<d xmlns:p=\"\"/>", "<1d/>", "<d>]]></d>", "<d>\u{01}</d>",  // names, namespaces, characters
        "<!-- a -- b --><d/>", "<d><!-- open</d>", "<d><![CDATA[open</d>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><d/>",
        "", "   ",
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(parse(text) == nil, "\(text)")
    }

    @Test func nestsAtMost32Deep() {
        let deep = { (n: Int) in String(repeating: "<a>", count: n) + String(repeating: "</a>", count: n) }
        #expect(parse(deep(32)) != nil)
        #expect(parse(deep(33)) == nil)
        #expect(parse(deep(100_000)) == nil)
    }
}
