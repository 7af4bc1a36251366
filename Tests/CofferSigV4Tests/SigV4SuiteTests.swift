import CofferCrypto
import Foundation
import Testing
@testable import CofferSigV4

/// AWS's published SigV4 test suite: canonical request, string to sign and signature, each
/// checked separately, then the whole request through the verifier and the signer.
@Suite struct SigV4SuiteTests {
    static let vectors = SigV4Vector.load("aws-sig-v4-test-suite")

    @Test func suiteIsLoaded() {
        #expect(Self.vectors.count >= 29)
    }

    @Test(arguments: vectors)
    func canonicalRequestAndStringToSign(_ vector: SigV4Vector) throws {
        let header = try SigV4Verifier.parseAuthorization(vector.authorization)
        let signed = header.signedHeaders.split(separator: ";").map(String.init)
        let canonical = SigV4Canonicalizer.canonicalRequest(
            method: vector.request.method,
            canonicalURI: SigV4Canonicalizer.canonicalURI(rawPath: vector.request.rawPath, service: "service"),
            canonicalQuery: SigV4Canonicalizer.canonicalQuery(rawQuery: vector.request.rawQuery),
            canonicalHeaders: SigV4Canonicalizer.canonicalHeaders(vector.request.headers, signedHeaders: signed),
            signedHeaders: header.signedHeaders,
            payloadHash: Hex.encode(SHA256.hash(vector.body)))
        #expect(canonical == vector.canonicalRequest)
        let sts = SigV4Canonicalizer.stringToSign(amzDate: "20150830T123600Z", scope: "20150830/us-east-1/service/aws4_request", canonicalRequest: canonical)
        #expect(sts == vector.stringToSign)
        let key = SigV4Canonicalizer.deriveSigningKey(secret: TestKeys.suite.secretAccessKey, date: "20150830", region: "us-east-1", service: "service")
        #expect(SigV4Canonicalizer.signature(key: key, stringToSign: sts) == header.signature)
    }

    @Test(arguments: vectors)
    func verifierAcceptsTheSignedRequest(_ vector: SigV4Vector) throws {
        let result = try TestKeys.suiteVerifier.verify(vector.signedRequest, now: TestKeys.suiteTime,
                                                       bodySHA256Hex: Hex.encode(SHA256.hash(vector.body)))
        guard case .authenticated(let auth) = result else { Issue.record("anonymous"); return }
        #expect(auth.accessKeyId == "AKIDEXAMPLE")
        #expect(auth.userName == "suite")
        #expect(auth.payload == .hash(Hex.encode(SHA256.hash(vector.body))))
        #expect(!auth.isPresigned)
    }

    @Test(arguments: vectors)
    func verifierRejectsATamperedRequest(_ vector: SigV4Vector) {
        var request = vector.signedRequest
        request.method = request.method == "GET" ? "PUT" : "GET"
        expectSigV4Error(.signatureDoesNotMatch) { () throws(SigV4Error) in
            try TestKeys.suiteVerifier.verify(request, now: TestKeys.suiteTime, bodySHA256Hex: Hex.encode(SHA256.hash(vector.body)))
        }
    }

    /// The signer reproduces the suite's Authorization header when it signs the same headers.
    @Test(arguments: vectors.filter { !$0.name.contains("sts") })
    func signerReproducesTheSignature(_ vector: SigV4Vector) throws {
        let signer = SigV4Signer(credential: TestKeys.suite, region: "us-east-1", service: "service")
        let expected = try SigV4Verifier.parseAuthorization(vector.authorization)
        var unsigned = vector.request
        let signedNames = Set(expected.signedHeaders.split(separator: ";").map(String.init))
        unsigned.headers.removeAll { !signedNames.contains($0.name.lowercased()) }
        let signed = signer.sign(unsigned, date: TestKeys.suiteTime, payloadHash: Hex.encode(SHA256.hash(vector.body)))
        #expect(signed.signature == expected.signature)
        #expect(signed.request.header("authorization") == vector.authorization)
    }
}
