import CofferCrypto
import Foundation
import Testing
@testable import CofferSigV4

/// How the verifier refuses header-signed requests, with S3's codes and messages.
@Suite struct SigV4VerifierErrorTests {
    static let getObject = SigV4Vector.load(group: "s3-examples", name: "get-object")
    let verifier = TestKeys.s3Verifier
    let now = TestKeys.s3Time

    /// The GET Object example with its Authorization header rewritten.
    func withAuthorization(_ transform: (String) -> String) -> SigV4Request {
        var request = Self.getObject.request
        request.headers.append(("Authorization", transform(Self.getObject.authorization)))
        return request
    }

    @Test func anonymousWithoutAuthentication() throws {
        guard case .anonymous = try verifier.verify(Self.getObject.request, now: now) else { Issue.record("not anonymous"); return }
    }

    @Test func wrongRegion() {
        let error = expectSigV4Error(.authorizationHeaderMalformed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "us-east-1", with: "us-west-2") }, now: now)
        }
        #expect(error?.message == "The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'")
        #expect(error?.details.contains { $0.name == "Region" && $0.value == "us-east-1" } == true)
    }

    @Test func wrongService() {
        let error = expectSigV4Error(.wrongService) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "/s3/", with: "/ec2/") }, now: now)
        }
        #expect(error?.message?.contains("incorrect service \"ec2\"") == true)
        #expect(error?.source == .header)
    }

    @Test func wrongTerminator() {
        expectSigV4Error(.authorizationHeaderMalformed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "aws4_request", with: "aws5_request") }, now: now)
        }
    }

    @Test func malformedCredential() {
        expectSigV4Error(.authorizationHeaderMalformed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "/20130524/", with: "/2013-05-24/") }, now: now)
        }
    }

    @Test func scopeDateDiffersFromRequestDate() {
        let error = expectSigV4Error(.authorizationHeaderMalformed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "/20130524/", with: "/20130523/") }, now: now)
        }
        #expect(error?.message?.contains("This date is not the same as X-Amz-Date") == true)
    }

    @Test func missingComponent() {
        expectSigV4Error(.authorizationHeaderMalformed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { String($0.prefix { $0 != "," }) }, now: now)
        }
    }

    @Test func toleratesNoSpaceAfterCommas() throws {
        let request = withAuthorization { $0.replacingOccurrences(of: ", ", with: ",") }
        guard case .authenticated = try verifier.verify(request, now: now) else { Issue.record("anonymous"); return }
    }

    @Test func unsupportedAlgorithm() {
        expectSigV4Error(.invalidArgument) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "AWS4-HMAC-SHA256", with: "AWS4-HMAC-SHA512") }, now: now)
        }
        expectSigV4Error(.invalidRequest) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { _ in "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=" }, now: now)
        }
    }

    @Test func unknownAccessKey() {
        expectSigV4Error(.invalidAccessKeyId) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIAIOSFODNN7EXAMPLF") }, now: now)
        }
    }

    @Test func badSignature() {
        let error = expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "Signature=f0e8", with: "Signature=f0e9") }, now: now)
        }
        // The server's own signature never reaches the client: not in the message, not in a detail.
        let shown = (error?.message ?? "") + (error?.details.map { "\($0.name)=\($0.value)" }.joined() ?? "")
        #expect(error != nil && !shown.contains("f0e8bdb87c"))
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "Signature=f0e8", with: "Signature=zzzz") }, now: now)
        }
    }

    @Test func skew() {
        expectSigV4Error(.requestTimeTooSkewed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0 }, now: now.addingTimeInterval(15 * 60 + 1))
        }
        expectSigV4Error(.requestTimeTooSkewed) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0 }, now: now.addingTimeInterval(-15 * 60 - 1))
        }
        #expect((try? verifier.verify(withAuthorization { $0 }, now: now.addingTimeInterval(15 * 60))) != nil)
    }

    @Test func missingDate() {
        var request = withAuthorization { $0 }
        request.headers.removeAll { $0.name.lowercased() == "x-amz-date" }
        let error = expectSigV4Error(.accessDenied) { () throws(SigV4Error) in try verifier.verify(request, now: now) }
        #expect(error?.message == "AWS authentication requires a valid Date or x-amz-date header")
    }

    @Test func missingContentSHA256() {
        var request = withAuthorization { $0 }
        request.headers.removeAll { $0.name.lowercased() == "x-amz-content-sha256" }
        let error = expectSigV4Error(.invalidRequest) { () throws(SigV4Error) in try verifier.verify(request, now: now) }
        #expect(error?.message == "Missing required header for this request: x-amz-content-sha256")
    }

    @Test func malformedContentSHA256() {
        var request = withAuthorization { $0 }
        request.headers = request.headers.map { $0.name == "x-amz-content-sha256" ? ($0.name, "not-a-hash") : $0 }
        let error = expectSigV4Error(.invalidArgument) { () throws(SigV4Error) in try verifier.verify(request, now: now) }
        #expect(error?.message?.hasPrefix("x-amz-content-sha256 must be UNSIGNED-PAYLOAD") == true)
    }

    @Test func unsignedAmzHeader() {
        var request = withAuthorization { $0 }
        request.headers.append(("x-amz-meta-foo", "bar"))
        let error = expectSigV4Error(.accessDenied) { () throws(SigV4Error) in try verifier.verify(request, now: now) }
        #expect(error?.details.contains { $0.name == "HeadersNotSigned" && $0.value == "x-amz-meta-foo" } == true)
    }

    @Test func hostMustBeSigned() {
        expectSigV4Error(.accessDenied) { () throws(SigV4Error) in
            try verifier.verify(withAuthorization { $0.replacingOccurrences(of: "SignedHeaders=host;", with: "SignedHeaders=") }, now: now)
        }
    }

    @Test func signerAndVerifierAgreeOnHostilePathsAndQueries() throws {
        let signer = SigV4Signer(credential: TestKeys.s3, region: "us-east-1", service: "s3")
        let request = SigV4Request(method: "GET", rawPath: "/a//b/./c%20d+e", rawQuery: "prefix=a%2Fb&list-type=2&x", headers: [("Host", "localhost:9000")])
        let signed = signer.sign(request, date: TestKeys.s3Time, payloadHash: PayloadMode.unsigned.headerValue)
        guard case .authenticated(let auth) = try verifier.verify(signed.request, now: now) else { Issue.record("anonymous"); return }
        #expect(auth.payload == .unsigned)
    }

    @Test func descriptionsHideSecrets() throws {
        let secret = TestKeys.s3.secretAccessKey
        #expect(!TestKeys.s3.description.contains(secret))
        #expect(!"\(TestKeys.s3)".contains(secret))
        let request = withAuthorization { $0 }
        guard case .authenticated(let auth) = try verifier.verify(request, now: now) else { Issue.record("anonymous"); return }
        let context = try #require(auth.chunkSigningContext)
        let keyHex = Hex.encode(context.signingKey.bytes)
        #expect(!auth.description.contains(keyHex))
        #expect(!String(describing: context.signingKey).contains(keyHex))
        #expect(!context.description.contains(keyHex))
        #expect(!String(describing: SigV4Signer(credential: TestKeys.s3, region: "us-east-1", service: "s3")).contains(secret))
    }

    @Test func nonS3ServiceNeedsTheBodyHash() throws {
        let kms = SigV4Verifier(region: "us-east-1", service: "kms", credentials: StaticCredentialProvider([TestKeys.s3]))
        let body = Array("{\"KeyId\":\"alias/x\"}".utf8)
        let signer = SigV4Signer(credential: TestKeys.s3, region: "us-east-1", service: "kms")
        let request = SigV4Request(method: "POST", rawPath: "/", rawQuery: "", headers: [("Host", "localhost"), ("X-Amz-Target", "TrentService.Encrypt")])
        let signed = signer.sign(request, date: now, payloadHash: Hex.encode(SHA256.hash(body)))
        guard case .authenticated(let auth) = try kms.verify(signed.request, now: now, bodySHA256Hex: Hex.encode(SHA256.hash(body))) else {
            Issue.record("anonymous"); return
        }
        #expect(auth.scope == "\(AmzDate(now).dateStamp)/us-east-1/kms/aws4_request")
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in
            try kms.verify(signed.request, now: now, bodySHA256Hex: Hex.encode(SHA256.hash(Array("{}".utf8))))
        }
    }

    @Test func amzDateRoundTrips() {
        #expect(AmzDate(iso8601Basic: "20130524T000000Z")?.epochSeconds == 1_369_353_600)
        #expect(AmzDate(rfc1123: "Fri, 24 May 2013 00:00:00 GMT")?.epochSeconds == 1_369_353_600)
        #expect(AmzDate(iso8601Basic: "20240229T235959Z")?.iso8601Basic == "20240229T235959Z")
        #expect(AmzDate(iso8601Basic: "20230229T000000Z") == nil)
        #expect(AmzDate(iso8601Basic: "2013-05-24T00:00:00Z") == nil)
    }
}
