import Testing

@testable import CofferS3

/// Request documents that once crashed the server (docs/fuzzing.md).
@Suite struct XMLDocumentTests {
    /// Finding F2: an element name that is not UTF-8 made Foundation's XMLParser trap.
    @Test func invalidUTF8IsMalformedNotACrash() {
        let body: [UInt8] = Array("<Delete><Object".utf8) + [0xC2, 0xC3, 0xB4, 0xDC] + Array("13;</Key><-Object></Delete>".utf8)
        #expect(XMLElementNode.parse(body) == nil)
        #expect(XMLElementNode.parse(Array("<Delete><Key>".utf8) + [0xFF] + Array("</Key></Delete>".utf8)) == nil)
        #expect(XMLElementNode.parse(Array("<Delete><Key>\u{E9}</Key></Delete>".utf8))?.childText("Key") == "\u{E9}")
    }

    /// Finding F3: a processing instruction without data made Foundation's XMLParser read NULL.
    @Test func processingInstructionsAreMalformedNotACrash() {
        #expect(XMLElementNode.parse(Array("<?xio?>\n<Delete><Quiet>true</Quiet></Delete>".utf8)) == nil)
        #expect(XMLElementNode.parse(Array("<Delete><?pi?><Quiet>true</Quiet></Delete>".utf8)) == nil)
        #expect(XMLElementNode.parse(Array("<?xml-stylesheet href=\"a\"?><Delete/>".utf8)) == nil)
        // The XML declaration stays allowed, with or without a byte order mark.
        #expect(XMLElementNode.parse(Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet></Delete>".utf8))?.childText("Quiet") == "true")
        #expect(XMLElementNode.parse([0xEF, 0xBB, 0xBF] + Array("<?xml version=\"1.0\"?><Delete/>".utf8))?.name == "Delete")
    }
}
