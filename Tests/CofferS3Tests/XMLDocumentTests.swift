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
}
