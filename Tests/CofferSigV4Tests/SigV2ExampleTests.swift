import CofferCrypto
import Foundation
import Testing
@testable import CofferSigV4

/// AWS's published Signature Version 2 examples ("Signing and authenticating REST requests",
/// S3 API reference, section "Authentication examples" and "Query string request
/// authentication alternative"), with the example credentials AKIAIOSFODNN7EXAMPLE /
/// wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.
///
/// The published signatures were computed for the bucket `johnsmith`; later editions of the
/// page renamed the bucket (`awsexamplebucket1`) but kept the signatures, which only the
/// original name reproduces. The examples below use `johnsmith`.
@Suite struct SigV2ExampleTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var rawPath: String
        var rawQuery = ""
        /// The bucket the Host header names (virtual-hosted style); nil for path style.
        var hostBucket: String?
        var headers: [(String, String)]
        var stringToSign: String
        var signature: String
        var testDescription: String { name }

        var request: SigV4Request {
            SigV4Request(method: method, rawPath: rawPath, rawQuery: rawQuery,
                         headers: [("host", hostBucket.map { "\($0).s3.amazonaws.com" } ?? "s3.amazonaws.com")] + headers.map { ($0.0, $0.1) })
        }

        var signed: SigV4Request {
            var signed = request
            signed.headers.append(("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:\(signature)"))
            return signed
        }

        /// When the example was signed: its Date (or x-amz-date) header.
        var time: Date { SigV2Verifier.httpDate(request.header("x-amz-date") ?? request.header("date")!)!.date }
    }

    static let examples: [Example] = [
        Example(name: "Object GET", method: "GET", rawPath: "/photos/puppy.jpg", hostBucket: "johnsmith",
                headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000")],
                stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
                signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
        Example(name: "Object PUT", method: "PUT", rawPath: "/photos/puppy.jpg", hostBucket: "johnsmith",
                headers: [("Content-Type", "image/jpeg"), ("Content-Length", "94328"), ("Date", "Tue, 27 Mar 2007 21:15:45 +0000")],
                stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
                signature: "MyyxeRY7whkBe+bq8fHCL/2kKUg="),
        Example(name: "List", method: "GET", rawPath: "/", rawQuery: "prefix=photos&max-keys=50&marker=puppy", hostBucket: "johnsmith",
                headers: [("User-Agent", "Mozilla/5.0"), ("Date", "Tue, 27 Mar 2007 19:42:41 +0000")],
                stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
                signature: "htDYFYduRNen8P9ZfE/s9SuKy0U="),
        Example(name: "Fetch", method: "GET", rawPath: "/", rawQuery: "acl", hostBucket: "johnsmith",
                headers: [("Date", "Tue, 27 Mar 2007 19:44:46 +0000")],
                stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
                signature: "c2WLPFtWHVgbEmeEG93a4cG37dM="),
        Example(name: "Upload", method: "PUT", rawPath: "/db-backup.dat.gz", hostBucket: "static.johnsmith.net",
                headers: [("User-Agent", "curl/7.15.5"), ("Date", "Tue, 27 Mar 2007 21:06:08 +0000"), ("x-amz-acl", "public-read"),
                          ("content-type", "application/x-download"), ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
                          ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"), ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
                          ("X-Amz-Meta-FileChecksum", "0x02661779"), ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
                          ("Content-Disposition", "attachment; filename=database.dat"), ("Content-Encoding", "gzip"), ("Content-Length", "5913339")],
                stringToSign: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
                    + "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
                    + "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
                signature: "ilyl83RwaSoYIEdixDQcA4OnAnc="),
        Example(name: "List all my buckets", method: "GET", rawPath: "/",
                headers: [("Date", "Wed, 28 Mar 2007 01:29:59 +0000")],
                stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
                signature: "qGdzdERIC03wnaRNKh6OqZehG9s="),
        Example(name: "Unicode keys", method: "GET", rawPath: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                headers: [("Date", "Wed, 28 Mar 2007 01:49:49 +0000")],
                stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                signature: "DNEZGsoieTZ92F3bUfSPQcbGmlM="),
    ]

    static let verifier = SigV2Verifier(credentials: StaticCredentialProvider([TestKeys.s3]))

    @Test(arguments: examples)
    func stringToSignAndSignature(_ example: Example) {
        let stringToSign = SigV2Canonicalizer.stringToSign(example.request, dateLine: example.request.header("date")!,
                                                           virtualHostBucket: example.hostBucket, amzQuery: false)
        #expect(stringToSign == example.stringToSign)
        #expect(SigV2Canonicalizer.signature(secret: TestKeys.s3.secretAccessKey, stringToSign: stringToSign) == example.signature)
    }

    @Test(arguments: examples)
    func verifierAccepts(_ example: Example) throws {
        let auth = try Self.verifier.verify(example.signed, virtualHostBucket: example.hostBucket, now: example.time)
        #expect(auth.accessKeyId == "AKIAIOSFODNN7EXAMPLE")
        #expect(auth.userName == "example")
        #expect(auth.mechanism == SignatureMechanism(.v2, .header))
        #expect(auth.signature == example.signature)
        #expect(auth.signingTime?.date == example.time)
        #expect(auth.payload == .unsigned)
        #expect(auth.chunkSigningContext == nil)
        #expect(try SignatureMechanism.presented(by: example.signed) == SignatureMechanism(.v2, .header))
    }

    /// The Delete example signs with `x-amz-date` (its client could not set `Date`). S3's rule,
    /// stated on the same page: with `x-amz-date` the Date position is empty and x-amz-date is
    /// signed among the `x-amz-*` headers. (The page's table shows the x-amz-date value in the
    /// Date position instead, contradicting the rule; boto, which signed SigV2 for S3 for
    /// years, follows the rule.) The signature here is HMAC-SHA1 of that string computed
    /// independently (Python's `hmac`), not a published value.
    @Test func deleteWithXAmzDate() throws {
        let request = SigV4Request(method: "DELETE", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: "", headers: [
            ("Host", "s3.amazonaws.com"), ("User-Agent", "dotnet"), ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"),
            ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
        ])
        let expected = "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
        #expect(SigV2Canonicalizer.stringToSign(request, dateLine: "", virtualHostBucket: nil, amzQuery: false) == expected)
        var signed = request
        signed.headers.append(("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:R4dJ53KECjStyBO5iTBJZ4XVOaI="))
        let time = try #require(SigV2Verifier.httpDate("Tue, 27 Mar 2007 21:20:26 +0000"))
        let auth = try Self.verifier.verify(signed, virtualHostBucket: nil, now: time.date)
        #expect(auth.signingTime == time)
    }

    // MARK: Query string request authentication

    static let presigned = SigV4Request(
        method: "GET", rawPath: "/photos/puppy.jpg",
        rawQuery: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
        headers: [("Host", "johnsmith.s3.amazonaws.com")])
    /// The example's `Expires`: 2007-03-29T03:40:20Z.
    static let expires = Date(timeIntervalSince1970: 1_175_139_620)

    @Test func presignedStringToSign() {
        #expect(SigV2Canonicalizer.stringToSign(Self.presigned, dateLine: "1175139620", virtualHostBucket: "johnsmith", amzQuery: true)
            == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg")
    }

    @Test func presignedURLVerifiesUntilItExpires() throws {
        #expect(try SignatureMechanism.presented(by: Self.presigned) == SignatureMechanism(.v2, .queryString))
        for now in [Self.expires.addingTimeInterval(-3600), Self.expires] {
            let auth = try Self.verifier.verify(Self.presigned, virtualHostBucket: "johnsmith", now: now)
            #expect(auth.mechanism == SignatureMechanism(.v2, .queryString))
            #expect(auth.isPresigned)
            #expect(auth.signature == "NpgCjnDzrM+WFzoENXmpNDUsSn8=")
            #expect(auth.signingTime == nil)
        }
        let error = expectSigV4Error(.expired) { () throws(SigV4Error) in
            try Self.verifier.verify(Self.presigned, virtualHostBucket: "johnsmith", now: Self.expires.addingTimeInterval(1))
        }
        #expect(error?.message == "Request has expired")
        #expect(error?.details.map(\.name) == ["Expires", "ServerTime"])
        #expect(error?.details.first?.value == "2007-03-29T03:40:20Z")
        #expect(error?.details.last?.value == "2007-03-29T03:40:21Z")
    }

    // MARK: HMAC-SHA1

    /// RFC 2202's first two HMAC-SHA1 test cases: the primitive under SigV2.
    @Test func hmacSHA1KnownAnswers() {
        #expect(Hex.encode(HMACSHA1.authenticate("Hi There", key: [UInt8](repeating: 0x0b, count: 20)))
            == "b617318655057264e28bc0b6fb378c8ef146be00")
        #expect(Hex.encode(HMACSHA1.authenticate("what do ya want for nothing?", key: Array("Jefe".utf8)))
            == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(HMACSHA1.authenticate("", key: [UInt8]()).count == HMACSHA1.outputByteCount)
    }
}
