import CofferCrypto
import CofferSigV4
import Foundation

/// The SigV4 (and SigV2) verifiers on hostile requests: the `Authorization` header form and
/// the presigned query form. Verification runs at the request's own time when it names one,
/// so the fuzzer gets past the clock checks to the canonicalisation and signature steps.
/// Invariant: verifying twice gives the same outcome (the second time the signing key comes
/// from the verifier's cache).
public enum SigV4Harness {
    static let s3Credential = Credential(
        accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", userName: "example")
    static let suiteCredential = Credential(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", userName: "suite")
    static let credentials = StaticCredentialProvider([s3Credential, suiteCredential])
    static let s3 = SigV4Verifier(region: "us-east-1", service: "s3", credentials: credentials)
    static let suite = SigV4Verifier(region: "us-east-1", service: "service", credentials: credentials)
    static let v2 = SigV2Verifier(credentials: credentials)
    static let fallbackTime = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z

    /// Input: a whole request in the `.req` layout (seeds: AWS's test suite and S3's examples).
    public static func header(_ bytes: [UInt8]) {
        let text = RequestText(bytes)
        verifyAll(text.request, body: text.body)
    }

    /// Input: the query string of `GET /test.txt` on `examplebucket`, as a presigned URL has it.
    public static func presigned(_ bytes: [UInt8]) {
        let query = String(decoding: bytes, as: UTF8.self)
        let request = SigV4Request(method: "GET", rawPath: "/test.txt", rawQuery: query,
                                   headers: [("Host", "examplebucket.s3.amazonaws.com")])
        verifyAll(request, body: [])
    }

    static func verifyAll(_ request: SigV4Request, body: [UInt8]) {
        let now = requestTime(request)
        let bodyHash = Hex.encode(SHA256.hash(body))
        for verifier in [s3, suite] {
            let first = outcome { () throws(SigV4Error) in try verifier.verify(request, now: now, bodySHA256Hex: bodyHash) }
            let second = outcome { () throws(SigV4Error) in try verifier.verify(request, now: now, bodySHA256Hex: bodyHash) }
            FuzzCheck.require(first == second, "SigV4 verification is not deterministic: \(first) then \(second)")
        }
        let virtualHost = request.header("host")?.split(separator: ".").first.map(String.init)
        let first = outcome { () throws(SigV4Error) in try v2.verify(request, virtualHostBucket: virtualHost, now: now) }
        let second = outcome { () throws(SigV4Error) in try v2.verify(request, virtualHostBucket: virtualHost, now: now) }
        FuzzCheck.require(first == second, "SigV2 verification is not deterministic: \(first) then \(second)")
    }

    /// The time the request says it was signed, else 2013-05-24 (the examples' date).
    static func requestTime(_ request: SigV4Request) -> Date {
        for text in [request.header("x-amz-date"), request.queryParameter("X-Amz-Date")] {
            if let text, let time = AmzDate(iso8601Basic: text) { return time.date }
        }
        if let text = request.header("date"), let time = AmzDate(rfc1123: text) { return time.date }
        if let text = request.queryParameter("Expires"), let seconds = Int64(text), seconds > 0, seconds < 1 << 40 {
            return Date(timeIntervalSince1970: TimeInterval(seconds - 60))
        }
        return fallbackTime
    }

    /// A comparable summary of one verification: who was authenticated, or which error.
    static func outcome<T>(_ body: () throws(SigV4Error) -> T) -> String {
        do {
            let value = try body()
            switch value {
            case let result as AuthenticationResult:
                switch result {
                case .anonymous: return "anonymous"
                case .authenticated(let auth): return "ok \(auth.accessKeyId) \(auth.payload) \(auth.signature)"
                }
            case let auth as AuthenticatedRequest: return "ok \(auth.accessKeyId) \(auth.signature)"
            default: return "ok"
            }
        } catch {
            return "\(error.code.rawValue) \(error.message ?? "")"
        }
    }
}
