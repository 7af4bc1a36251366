import CofferCrypto
import Foundation
import Testing
@testable import CofferSigV4

/// How SigV2 requests are recognised and refused, with S3's codes, messages and elements.
/// Requests are signed here by hand (HMAC-SHA1 of a string written out in the test), never by
/// the canonicaliser under test.
@Suite struct SigV2VerifierErrorTests {
    let verifier = SigV2ExampleTests.verifier
    /// The Object GET example's time: Tue, 27 Mar 2007 19:36:42 GMT.
    let now = SigV2Verifier.httpDate("Tue, 27 Mar 2007 19:36:42 +0000")!.date

    static func sign(_ stringToSign: String, secret: String = TestKeys.s3.secretAccessKey) -> String {
        Base64.encode(HMACSHA1.authenticate(stringToSign, key: Array(secret.utf8)))
    }

    /// GET /johnsmith/photos/puppy.jpg (path style) with `headers` and `Authorization: AWS <authorization>`.
    func headerSigned(_ authorization: String, headers: [(String, String)] = [("Date", "Tue, 27 Mar 2007 19:36:42 +0000")],
                      method: String = "GET", query: String = "") -> SigV4Request {
        SigV4Request(method: method, rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: query,
                     headers: [("Host", "localhost")] + headers.map { ($0.0, $0.1) } + [("Authorization", "AWS \(authorization)")])
    }

    // MARK: Recognition

    @Test func mechanismsAreToldApartByForm() throws {
        func presented(_ query: String, _ headers: [(String, String)] = []) throws(SigV4Error) -> SignatureMechanism? {
            try SignatureMechanism.presented(by: SigV4Request(method: "GET", rawPath: "/b/k", rawQuery: query, headers: headers.map { ($0.0, $0.1) }))
        }
        #expect(try presented("") == nil)
        #expect(try presented("prefix=a&Expires=1") == nil)
        #expect(try presented("AWSAccessKeyId=A&Expires=1&Signature=s") == SignatureMechanism(.v2, .queryString))
        #expect(try presented("Signature=s") == SignatureMechanism(.v2, .queryString))
        #expect(try presented("X-Amz-Algorithm=AWS4-HMAC-SHA256") == SignatureMechanism(.v4, .queryString))
        #expect(try presented("", [("Authorization", "AWS A:s")]) == SignatureMechanism(.v2, .header))
        #expect(try presented("", [("authorization", "  AWS A:s")]) == SignatureMechanism(.v2, .header))
        #expect(try presented("", [("Authorization", "AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/aws4_request")])
            == SignatureMechanism(.v4, .header))
        #expect(try presented("", [("Authorization", "Bearer x")]) == SignatureMechanism(.v4, .header))
        let twice = expectSigV4Error(.invalidArgument) { () throws(SigV4Error) in
            try presented("AWSAccessKeyId=A&Expires=1&Signature=s", [("Authorization", "AWS A:s")])
        }
        #expect(twice?.message?.hasPrefix("Only one auth mechanism allowed") == true)
    }

    /// The KMS and CloudTrail endpoints verify with `SigV4Verifier` alone: SigV2 stays an
    /// unsupported mechanism there.
    @Test func sigV4VerifierStillRefusesSigV2() {
        let request = headerSigned("AKIAIOSFODNN7EXAMPLE:\(Self.sign("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"))")
        let error = expectSigV4Error(.invalidRequest) { () throws(SigV4Error) in try TestKeys.s3Verifier.verify(request, now: now) }
        #expect(error?.message == "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
    }

    // MARK: Header

    @Test func tamperedSignatureShowsTheStringToSign() throws {
        let stringToSign = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
        let good = Self.sign(stringToSign)
        _ = try verifier.verify(headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)"), virtualHostBucket: nil, now: now)
        let tampered = "X" + good.dropFirst()
        let error = expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in
            try verifier.verify(headerSigned("AKIAIOSFODNN7EXAMPLE:\(tampered)"), virtualHostBucket: nil, now: now)
        }
        // S3's elements for SigV2, in S3's order; never the signature the server computed.
        #expect(error?.details.map(\.name) == ["AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"])
        #expect(error?.details[1].value == stringToSign)
        #expect(error?.details[2].value == tampered)
        #expect(error?.details[3].value.hasPrefix("47 45 54 0a 0a 0a 54 75 65") == true)
        #expect(error?.details.contains { $0.value == good } == false)
        // Signed with another secret: the same refusal.
        let otherSecret = Self.sign(stringToSign, secret: "not-the-secret")
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in
            try verifier.verify(headerSigned("AKIAIOSFODNN7EXAMPLE:\(otherSecret)"), virtualHostBucket: nil, now: now)
        }
    }

    @Test func signedPartsOfTheRequestCannotChange() {
        let good = Self.sign("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg")
        let changes: [SigV4Request] = [
            headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)", method: "HEAD"),
            headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)", query: "versionId=1"),
            headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)", headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("x-amz-meta-a", "b")]),
            headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)", headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Content-Type", "text/plain")]),
            headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)", headers: [("Date", "Tue, 27 Mar 2007 19:36:43 +0000")]),
        ]
        for request in changes {
            expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in try verifier.verify(request, virtualHostBucket: nil, now: now) }
        }
        // Parameters that are not sub-resources are not signed.
        let listed = headerSigned("AKIAIOSFODNN7EXAMPLE:\(good)", query: "x-id=GetObject&partNumberX=1")
        #expect(throws: Never.self) { try verifier.verify(listed, virtualHostBucket: nil, now: now) }
    }

    @Test func subresourcesAreSortedAndDecoded() {
        #expect(SigV2Canonicalizer.canonicalizedResource(
            rawPath: "/b/k", rawQuery: "versionId=3%2F4&response-content-disposition=attachment%3B%20filename%3Da%2Bb.txt&acl&prefix=p&uploads=",
            virtualHostBucket: nil) == "/b/k?acl&response-content-disposition=attachment; filename=a+b.txt&uploads=&versionId=3/4")
        #expect(SigV2Canonicalizer.canonicalizedResource(rawPath: "/", rawQuery: "", virtualHostBucket: "b") == "/b/")
        // Path style: the bucket itself is `/bucket/`, as for virtual-hosted requests.
        #expect(SigV2Canonicalizer.canonicalizedResource(rawPath: "/b", rawQuery: "delete", virtualHostBucket: nil) == "/b/?delete")
        #expect(SigV2Canonicalizer.canonicalizedResource(rawPath: "/b/", rawQuery: "", virtualHostBucket: nil) == "/b/")
        #expect(SigV2Canonicalizer.canonicalizedResource(rawPath: "/", rawQuery: "", virtualHostBucket: nil) == "/")
    }

    @Test func unknownAccessKey() {
        let error = expectSigV4Error(.invalidAccessKeyId) { () throws(SigV4Error) in
            try verifier.verify(headerSigned("AKIAIOSFODNN7EXAMPLF:c2lnbmF0dXJl"), virtualHostBucket: nil, now: now)
        }
        #expect(error?.details.first { $0.name == "AWSAccessKeyId" }?.value == "AKIAIOSFODNN7EXAMPLF")
    }

    @Test func malformedHeader() {
        for value in ["AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE:", ":c2ln", ""] {
            let error = expectSigV4Error(.invalidArgument) { () throws(SigV4Error) in
                try verifier.verify(headerSigned(value), virtualHostBucket: nil, now: now)
            }
            #expect(error?.message == "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
            #expect(error?.details.first { $0.name == "ArgumentName" }?.value == "Authorization")
        }
    }

    @Test func requestTimeMustBeNearTheServerClock() throws {
        let date = "Tue, 27 Mar 2007 19:36:42 GMT"
        let request = headerSigned("AKIAIOSFODNN7EXAMPLE:\(Self.sign("GET\n\n\n\(date)\n/johnsmith/photos/puppy.jpg"))", headers: [("Date", date)])
        _ = try verifier.verify(request, virtualHostBucket: nil, now: now.addingTimeInterval(15 * 60))
        let error = expectSigV4Error(.requestTimeTooSkewed) { () throws(SigV4Error) in
            try verifier.verify(request, virtualHostBucket: nil, now: now.addingTimeInterval(15 * 60 + 1))
        }
        #expect(error?.details.map(\.name) == ["RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds"])
        #expect(error?.details.first?.value == date)
        #expect(error?.details.last?.value == "900000")
        expectSigV4Error(.requestTimeTooSkewed) { () throws(SigV4Error) in
            try verifier.verify(request, virtualHostBucket: nil, now: now.addingTimeInterval(-16 * 60))
        }
    }

    @Test func requestTimeIsRequired() {
        for headers in [[], [("Date", "yesterday")], [("x-amz-date", "20070327T193642Z+")]] as [[(String, String)]] {
            let error = expectSigV4Error(.accessDenied) { () throws(SigV4Error) in
                try verifier.verify(headerSigned("AKIAIOSFODNN7EXAMPLE:c2ln", headers: headers), virtualHostBucket: nil, now: now)
            }
            #expect(error?.message == "AWS authentication requires a valid Date or x-amz-date header")
        }
    }

    @Test func httpDatesInEveryForm() {
        let expected = Int64(now.timeIntervalSince1970)
        for text in ["Tue, 27 Mar 2007 19:36:42 +0000", "Tue, 27 Mar 2007 19:36:42 GMT", "Tue, 27 Mar 2007 14:36:42 -0500",
                     "Tue, 27 Mar 2007 21:36:42 +0200", "Tuesday, 27-Mar-07 19:36:42 GMT", "Tue Mar 27 19:36:42 2007"] {
            #expect(SigV2Verifier.httpDate(text)?.epochSeconds == expected, "\(text)")
        }
        for text in ["Tue, 27 Mar 2007 19:36:42 +000", "Tue, 27 Mar 2007 19:36:42 +2400", "Tue, 27 Mar 2007 19:36:42", "1175024202"] {
            #expect(SigV2Verifier.httpDate(text) == nil, "\(text)")
        }
    }

    @Test func signedAWSChunkedBodiesNeedSigV4() {
        let headers = [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")]
        let error = expectSigV4Error(.invalidRequest) { () throws(SigV4Error) in
            try verifier.verify(headerSigned("AKIAIOSFODNN7EXAMPLE:c2ln", headers: headers, method: "PUT"), virtualHostBucket: nil, now: now)
        }
        #expect(error?.message?.contains("AWS4-HMAC-SHA256") == true)
    }

    @Test func aDeclaredPayloadHashIsKeptForTheBodyCheck() throws {
        let hash = Hex.encode(SHA256.hash("hello"))
        let stringToSign = "PUT\n\n\nTue, 27 Mar 2007 19:36:42 +0000\nx-amz-content-sha256:\(hash)\n/johnsmith/photos/puppy.jpg"
        let request = headerSigned("AKIAIOSFODNN7EXAMPLE:\(Self.sign(stringToSign))",
                                   headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("x-amz-content-sha256", hash)], method: "PUT")
        #expect(try verifier.verify(request, virtualHostBucket: nil, now: now).payload == .hash(hash))
    }

    // MARK: Query string

    func presigned(_ query: String) -> SigV4Request {
        SigV4Request(method: "GET", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: query, headers: [("Host", "localhost")])
    }

    @Test func presignedURLNeedsAllThreeParameters() {
        for query in ["AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=c2ln", "Signature=c2ln&Expires=1175139620",
                      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620"] {
            let error = expectSigV4Error(.accessDenied) { () throws(SigV4Error) in
                try verifier.verify(presigned(query), virtualHostBucket: nil, now: now)
            }
            #expect(error?.message == "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
    }

    @Test func expiresIsSecondsSinceTheEpoch() {
        for expires in ["tomorrow", "-1", "1.5", "", "99999999999999999999"] {
            let error = expectSigV4Error(.accessDenied) { () throws(SigV4Error) in
                try verifier.verify(presigned("AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=c2ln&Expires=\(expires)"), virtualHostBucket: nil, now: now)
            }
            #expect(error?.message == "Invalid date (should be seconds since epoch): \(expires)")
        }
    }

    @Test func presignedURLSignsXAmzParametersAsHeaders() throws {
        let stringToSign = "GET\n\n\n1175139620\nx-amz-meta-a:b\n/johnsmith/photos/puppy.jpg?versionId=7"
        let signature = PercentEncoding.encode(Self.sign(stringToSign), keepSlash: false)
        let query = "versionId=7&x-amz-meta-a=b&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=\(signature)"
        let auth = try verifier.verify(presigned(query), virtualHostBucket: nil, now: now)
        #expect(auth.mechanism == SignatureMechanism(.v2, .queryString))
        let tampered = query.replacingOccurrences(of: "versionId=7", with: "versionId=8")
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in try verifier.verify(presigned(tampered), virtualHostBucket: nil, now: now) }
    }

    @Test func unknownAccessKeyInAPresignedURL() {
        expectSigV4Error(.invalidAccessKeyId) { () throws(SigV4Error) in
            try verifier.verify(presigned("AWSAccessKeyId=NOSUCHKEY&Signature=c2ln&Expires=1175139620"), virtualHostBucket: nil, now: now)
        }
    }

    @Test func descriptionsHideSecrets() throws {
        let request = headerSigned("AKIAIOSFODNN7EXAMPLE:\(Self.sign("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"))")
        let auth = try verifier.verify(request, virtualHostBucket: nil, now: now)
        #expect(!auth.description.contains(TestKeys.s3.secretAccessKey))
        #expect(auth.description.contains("SigV2 header"))
    }
}
