import CofferCrypto
import Foundation
import Testing
@testable import CofferSigV4

/// The S3 API reference's signing examples (examplebucket, 20130524).
@Suite struct S3ExampleTests {
    static let headerExamples = ["get-object", "put-object", "get-bucket-lifecycle", "list-objects", "chunked-put-object", "chunked-put-object-trailer"]

    @Test(arguments: headerExamples)
    func canonicalRequestAndSignature(_ name: String) throws {
        let vector = SigV4Vector.load(group: "s3-examples", name: name)
        let header = try SigV4Verifier.parseAuthorization(vector.authorization)
        let canonical = SigV4Canonicalizer.canonicalRequest(
            method: vector.request.method,
            canonicalURI: SigV4Canonicalizer.canonicalURI(rawPath: vector.request.rawPath, service: "s3"),
            canonicalQuery: SigV4Canonicalizer.canonicalQuery(rawQuery: vector.request.rawQuery),
            canonicalHeaders: SigV4Canonicalizer.canonicalHeaders(vector.request.headers, signedHeaders: header.signedHeaders.split(separator: ";").map(String.init)),
            signedHeaders: header.signedHeaders,
            payloadHash: vector.request.header("x-amz-content-sha256")!)
        #expect(canonical == vector.canonicalRequest)
        #expect(SigV4Canonicalizer.stringToSign(amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", canonicalRequest: canonical) == vector.stringToSign)
    }

    @Test(arguments: headerExamples)
    func verifierAccepts(_ name: String) throws {
        let vector = SigV4Vector.load(group: "s3-examples", name: name)
        guard case .authenticated(let auth) = try TestKeys.s3Verifier.verify(vector.signedRequest, now: TestKeys.s3Time) else {
            Issue.record("anonymous"); return
        }
        #expect(auth.accessKeyId == "AKIAIOSFODNN7EXAMPLE")
        #expect(auth.scope == "20130524/us-east-1/s3/aws4_request")
        #expect(auth.signingTime?.iso8601Basic == "20130524T000000Z")
        #expect(auth.mechanism == SignatureMechanism(.v4, .header))
        let expectedPayload: PayloadMode = switch name {
        case "chunked-put-object": .streamingSigned
        case "chunked-put-object-trailer": .streamingSignedTrailer
        default: .hash(vector.request.header("x-amz-content-sha256")!)
        }
        #expect(auth.payload == expectedPayload)
    }

    @Test func getObjectSignatureIsThePublishedOne() throws {
        let vector = SigV4Vector.load(group: "s3-examples", name: "get-object")
        #expect(try SigV4Verifier.parseAuthorization(vector.authorization).signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let signer = SigV4Signer(credential: TestKeys.s3, region: "us-east-1", service: "s3")
        var request = vector.request
        request.headers.removeAll { $0.name.lowercased() == "x-amz-date" }
        let signed = signer.sign(request, date: TestKeys.s3Time, payloadHash: SigV4Canonicalizer.emptySHA256)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func putObjectBodyMatchesItsHash() throws {
        let vector = SigV4Vector.load(group: "s3-examples", name: "put-object")
        guard case .authenticated(let auth) = try TestKeys.s3Verifier.verify(vector.signedRequest, now: TestKeys.s3Time),
              case .hash(let hex) = auth.payload else { Issue.record("not a hash payload"); return }
        var verifier = PayloadHashVerifier(expectedHex: hex)
        verifier.update(Array(vector.body.prefix(5)))
        verifier.update(Array(vector.body.dropFirst(5)))
        try verifier.finish()
        var wrong = PayloadHashVerifier(expectedHex: hex)
        wrong.update(Array("Welcome to Amazon S4.".utf8))
        expectSigV4Error(.xAmzContentSHA256Mismatch) { () throws(SigV4Error) in try wrong.finish() }
    }

    // MARK: Presigned URL

    static let presigned = SigV4Vector.load(group: "s3-examples", name: "presigned-get-object")

    @Test func presignedURLVerifies() throws {
        let now = TestKeys.s3Time.addingTimeInterval(3600)
        guard case .authenticated(let auth) = try TestKeys.s3Verifier.verify(Self.presigned.request, now: now) else {
            Issue.record("anonymous"); return
        }
        #expect(auth.isPresigned)
        #expect(auth.payload == .unsigned)
        #expect(auth.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func signerProducesThePublishedPresignedURL() {
        let signer = SigV4Signer(credential: TestKeys.s3, region: "us-east-1", service: "s3")
        var request = Self.presigned.request
        request.rawQuery = ""
        let query = signer.presign(request, date: TestKeys.s3Time, expires: 86400)
        #expect(query == Self.presigned.request.rawQuery)
    }

    @Test func presignedURLExpires() {
        let late = TestKeys.s3Time.addingTimeInterval(86401)
        let error = expectSigV4Error(.expired) { () throws(SigV4Error) in try TestKeys.s3Verifier.verify(Self.presigned.request, now: late) }
        #expect(error?.message == "Request has expired")
        #expect(error?.details.contains { $0.name == "Expires" && $0.value == "2013-05-25T00:00:00Z" } == true)
    }

    @Test func presignedURLNotYetValid() {
        let early = TestKeys.s3Time.addingTimeInterval(-16 * 60)
        let error = expectSigV4Error(.expired) { () throws(SigV4Error) in try TestKeys.s3Verifier.verify(Self.presigned.request, now: early) }
        #expect(error?.message == "Request is not valid yet")
    }

    @Test func tamperedPresignedURL() {
        var request = Self.presigned.request
        request.rawPath = "/test.txu"
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in try TestKeys.s3Verifier.verify(request, now: TestKeys.s3Time) }
    }

    @Test(arguments: [
        ("0", "X-Amz-Expires must be greater than 0"),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("abc", "X-Amz-Expires should be a number"),
        ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
    ])
    func presignedExpiresBounds(_ value: String, _ message: String) {
        var request = Self.presigned.request
        request.rawQuery = request.rawQuery.replacingOccurrences(of: "X-Amz-Expires=86400", with: "X-Amz-Expires=\(value)")
        let error = expectSigV4Error(.authorizationQueryParametersError) { () throws(SigV4Error) in
            try TestKeys.s3Verifier.verify(request, now: TestKeys.s3Time)
        }
        #expect(error?.message == message)
    }

    @Test func presignedSevenDaysIsAccepted() throws {
        let signer = SigV4Signer(credential: TestKeys.s3, region: "us-east-1", service: "s3")
        var request = Self.presigned.request
        request.rawQuery = "versionId=3"
        request.rawQuery = signer.presign(request, date: TestKeys.s3Time, expires: 604800)
        let result = try TestKeys.s3Verifier.verify(request, now: TestKeys.s3Time.addingTimeInterval(604000))
        guard case .authenticated = result else { Issue.record("anonymous"); return }
    }

    @Test func presignedMissingParameter() {
        var request = Self.presigned.request
        request.rawQuery = request.rawQuery.replacingOccurrences(of: "&X-Amz-SignedHeaders=host", with: "")
        expectSigV4Error(.authorizationQueryParametersError) { () throws(SigV4Error) in try TestKeys.s3Verifier.verify(request, now: TestKeys.s3Time) }
    }

    @Test func presignedWrongRegion() {
        var request = Self.presigned.request
        request.rawQuery = request.rawQuery.replacingOccurrences(of: "us-east-1", with: "eu-west-1")
        let error = expectSigV4Error(.authorizationQueryParametersError) { () throws(SigV4Error) in
            try TestKeys.s3Verifier.verify(request, now: TestKeys.s3Time)
        }
        #expect(error?.message == "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'")
    }

    @Test func presignedAndHeaderAuthTogether() {
        var request = Self.presigned.request
        request.headers.append(("Authorization", SigV4Vector.load(group: "s3-examples", name: "get-object").authorization))
        expectSigV4Error(.invalidArgument) { () throws(SigV4Error) in try TestKeys.s3Verifier.verify(request, now: TestKeys.s3Time) }
    }
}
