import CofferPolicy

/// Bucket and key policies: `Policy.parse` (Coffer's own JSON reader and the IAM grammar),
/// the linter, and evaluation of a few requests with a context rich enough to reach every
/// condition operator family. Invariant: `evaluate` and `decide` (its fast path) agree.
///
/// Input: byte 0 bit 0 picks a bucket policy (bucket `examplebucket`) or a key policy; the
/// rest is the policy document.
public enum PolicyHarness {
    static let context: [String: [String]] = [
        "aws:SourceIp": ["192.0.2.10"], "aws:SecureTransport": ["true"], "aws:CurrentTime": ["2026-12-07T12:00:00Z"],
        "aws:EpochTime": ["1796644800"], "s3:prefix": ["home/alice/"], "s3:max-keys": ["10"],
        "s3:x-amz-server-side-encryption": ["aws:kms"], "aws:TagKeys": ["a", "b"], "aws:userid": ["AIDAEXAMPLE"],
        "s3:signatureversion": ["AWS4-HMAC-SHA256"], "aws:Referer": ["https://example.com/x"],
        "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::examplebucket/k"],
    ]

    static let requests: [PolicyRequest] = [
        PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::examplebucket/home/alice/k", context: context),
        PolicyRequest(principal: .user("alice", account: "123456789012"), action: "s3:PutObject",
                      resource: "arn:aws:s3:::examplebucket/k", context: context),
        PolicyRequest(principal: .root(account: "123456789012"), action: "s3:ListBucket", resource: "arn:aws:s3:::examplebucket", context: context),
        PolicyRequest(principal: .root(account: "123456789012"), action: "kms:Decrypt",
                      resource: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", context: context),
    ]

    public static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let document = Array(bytes.dropFirst())
        let policy: Policy
        do {
            if first & 1 == 0 {
                policy = try Policy.parse(document, bucket: "examplebucket")
                _ = policy.lint(bucket: "examplebucket")
            } else {
                policy = try Policy.parseKeyPolicy(String(decoding: document, as: UTF8.self))
                _ = policy.lint()
            }
        } catch {
            return
        }
        for request in requests {
            let evaluated = policy.evaluate(request).decision
            let decided = policy.decide(request)
            FuzzCheck.require(evaluated == decided, "evaluate says \(evaluated), decide says \(decided) for \(request.action)")
        }
    }
}
