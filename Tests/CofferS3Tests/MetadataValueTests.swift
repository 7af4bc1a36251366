import Testing

@testable import CofferS3

/// User metadata values: the text a client meant, however it sent it, answered mail-safe.
@Suite struct MetadataValueTests {
    @Test func validUTF8IsTakenAsUTF8() {
        #expect(MetadataValue.decode(Array("Zürich é".utf8)) == "Zürich é")
    }

    @Test func otherBytesAreISO88591() {
        // What Python's http.client sends for the str "café".
        #expect(MetadataValue.decode([0x63, 0x61, 0x66, 0xE9]) == "café")
    }

    @Test func encodedWordsAreDecoded() {
        #expect(MetadataValue.decode(Array("=?UTF-8?B?R3LDvMOfZQ==?=".utf8)) == "Grüße")
        #expect(MetadataValue.decode(Array("=?iso-8859-1?q?caf=E9_cr=E8me?=".utf8)) == "café crème")
        #expect(MetadataValue.decode(Array("before =?UTF-8?Q?=C3=BC?= after".utf8)) == "before ü after")
        // White space between adjacent encoded-words goes (RFC 2047 section 6.2).
        #expect(MetadataValue.decode(Array("=?UTF-8?Q?a?= =?UTF-8?Q?b?=".utf8)) == "ab")
    }

    @Test func anythingThatIsNotAnEncodedWordStaysAsItIs() {
        for text in ["=?", "=?UTF-8?B?", "=?UTF-8?X?abc?=", "=?KOI8-R?B?aGk=?=", "=?UTF-8?B?not base64?=", "=?UTF-8?B?/w==?=", "a=?b", "=?UTF-8?Q?=ZZ?="] {
            #expect(MetadataValue.decode(Array(text.utf8)) == text, "\(text)")
        }
    }

    @Test func answersAreMailSafe() {
        #expect(MetadataValue.encode("plain ascii") == "plain ascii")
        #expect(MetadataValue.encode("é") == "=?UTF-8?B?w6k=?=")
        #expect(MetadataValue.encode("tab\there").hasPrefix("=?UTF-8?B?"))
        for text in ["Zürich é", "日本語", "🔐", "line\u{7f}"] {
            let answer = MetadataValue.encode(text)
            #expect(answer.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f })
            #expect(MetadataValue.decode(Array(answer.utf8)) == text)
        }
    }

    @Test func contentEncodingLosesOnlyAWSChunked() {
        #expect(ObjectHeaders.storedContentEncoding("deflate, gzip") == "deflate, gzip")
        #expect(ObjectHeaders.storedContentEncoding("aws-chunked, gzip") == "gzip")
        #expect(ObjectHeaders.storedContentEncoding("deflate, AWS-CHUNKED, gzip") == "deflate, gzip")
        #expect(ObjectHeaders.storedContentEncoding("aws-chunked") == nil)
        #expect(ObjectHeaders.storedContentEncoding("") == nil)
    }
}
