/// A benchmark of policy evaluation on a realistic 20-statement bucket policy with conditions,
/// for `coffer bench`. The clock is passed in (the engine itself never reads one); the default
/// is the standard library's `ContinuousClock`.
public enum PolicyBenchmark {
    public struct Result: Sendable, Codable, Equatable {
        public var statements: Int
        public var iterations: Int
        /// Median time of one `evaluate` (explained decision), in microseconds.
        public var medianMicroseconds: Double
        /// 90th percentile of one `evaluate`, in microseconds.
        public var p90Microseconds: Double
        /// Median time of one `evaluate` followed by reading every statement's explanation.
        public var explainedMedianMicroseconds: Double
        /// Median time of one `decide` (verdict only), in microseconds.
        public var decideMedianMicroseconds: Double
        /// Median time of building the `PolicyRequest` (context key lowercasing), in microseconds.
        public var requestMedianMicroseconds: Double
    }

    /// The policy evaluated: 20 statements over bucket `bench-bucket`.
    public static let policyText = """
        {
          "Version": "2012-10-17",
          "Id": "bench",
          "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::bench-bucket", "arn:aws:s3:::bench-bucket/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::bench-bucket/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms", "AES256"]}}},
            {"Sid": "DenyWrongKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::bench-bucket/secure/*",
             "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id":
               "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}},
            {"Sid": "DenySSEC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::bench-bucket/*",
             "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
            {"Sid": "DenyOldTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::bench-bucket/*",
             "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
            {"Sid": "DenyDeletes", "Effect": "Deny", "Principal": "*",
             "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::bench-bucket/archive/*"},
            {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::bench-bucket/public/*"},
            {"Sid": "OfficeRead", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
             "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": "arn:aws:s3:::bench-bucket/*",
             "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24", "2001:db8::/32"]}}},
            {"Sid": "HomeList", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:ListBucket",
             "Resource": "arn:aws:s3:::bench-bucket",
             "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
            {"Sid": "HomeReadWrite", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": "arn:aws:s3:::bench-bucket/home/${aws:username}/*"},
            {"Sid": "ReportsWriter", "Effect": "Allow",
             "Principal": {"AWS": ["arn:aws:iam::111122223333:user/reporter", "arn:aws:iam::111122223333:role/etl"]},
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bench-bucket/reports/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
                           "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
            {"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": "444455556666"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bench-bucket/shared/*",
             "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/partner-*"},
                           "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}},
            {"Sid": "ListLimited", "Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:ListBucket",
             "Resource": "arn:aws:s3:::bench-bucket",
             "Condition": {"NumericLessThanEquals": {"s3:max-keys": "100"}, "StringLike": {"s3:prefix": "shared/*"}}},
            {"Sid": "TaggedUploads", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::bench-bucket/tagged/*",
             "Condition": {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["project", "owner"]},
                           "Null": {"s3:RequestObjectTagKeys": "false"}}},
            {"Sid": "MultipartCleanup", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
             "Action": ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], "Resource": "arn:aws:s3:::bench-bucket/*"},
            {"Sid": "UploadsList", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
             "Action": "s3:ListBucketMultipartUploads", "Resource": "arn:aws:s3:::bench-bucket"},
            {"Sid": "ServiceLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bench-bucket/logs/*",
             "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
            {"Sid": "AgentUploads", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::bench-bucket/agents/*",
             "Condition": {"StringLike": {"aws:UserAgent": ["*aws-cli/2*", "*Boto3/*"]},
                           "StringEqualsIgnoreCase": {"s3:x-amz-storage-class": "STANDARD"}}},
            {"Sid": "DenyOutsideHours", "Effect": "Deny", "Principal": {"AWS": "444455556666"}, "Action": "s3:*",
             "Resource": "arn:aws:s3:::bench-bucket/*",
             "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2035-01-01T00:00:00Z"}}},
            {"Sid": "DenyNotOrg", "Effect": "Deny",
             "NotPrincipal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/alice", "444455556666"]},
             "NotAction": ["s3:GetObject"], "Resource": "arn:aws:s3:::bench-bucket/*"}
          ]
        }
        """

    static func requests() -> [PolicyRequest] {
        let alice = PolicyPrincipal.user("alice", account: "111122223333")
        let base: [String: [String]] = [
            "aws:SecureTransport": ["true"], "aws:SourceIp": ["192.0.2.10"], "aws:CurrentTime": ["2026-03-01T12:00:00Z"],
            "aws:EpochTime": ["1772366400"], "s3:TlsVersion": ["1.3"], "s3:authType": ["REST-HEADER"],
            "s3:signatureversion": ["AWS4-HMAC-SHA256"], "aws:UserAgent": ["aws-cli/2.15.0 Python/3.11"],
        ]
        var put = base
        put["s3:x-amz-server-side-encryption"] = ["aws:kms"]
        put["s3:x-amz-server-side-encryption-aws-kms-key-id"] = ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        var list = base
        list["s3:prefix"] = ["home/alice/"]
        list["s3:max-keys"] = ["1000"]
        return [
            PolicyRequest(principal: alice, action: "s3:PutObject", resource: "arn:aws:s3:::bench-bucket/home/alice/notes.txt", context: put),
            PolicyRequest(principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::bench-bucket/reports/q1.pdf", context: base),
            PolicyRequest(principal: .anonymous, action: "s3:GetObject", resource: "arn:aws:s3:::bench-bucket/public/logo.png", context: base),
            PolicyRequest(principal: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::bench-bucket", context: list),
        ]
    }

    public static func run(iterations: Int = 20_000) -> Result {
        run(iterations: iterations, clock: ContinuousClock())
    }

    public static func run<C: Clock>(iterations: Int, clock: C) -> Result where C.Duration == Duration {
        let policy = try! Policy.parse(policyText, bucket: "bench-bucket")
        let requests = requests()
        let batch = 50
        let rounds = max(1, iterations / batch)
        var sink = 0
        // Warm up.
        for r in requests { sink &+= policy.evaluate(r).statements.count }

        func measure(_ body: (Int) -> Int) -> [Double] {
            var samples: [Double] = []
            samples.reserveCapacity(rounds)
            for round in 0..<rounds {
                let start = clock.now
                for k in 0..<batch { sink &+= body(round &+ k) }
                let d = start.duration(to: clock.now)
                let (s, a) = d.components
                samples.append((Double(s) * 1e6 + Double(a) / 1e12) / Double(batch))
            }
            return samples.sorted()
        }
        let evaluate = measure { policy.evaluate(requests[$0 % requests.count]).matchedStatements.count }
        let explained = measure { policy.evaluate(requests[$0 % requests.count]).statements.count }
        let decide = measure { policy.decide(requests[$0 % requests.count]) == .allow ? 1 : 0 }
        let template = requests[0]
        let raw: [String: [String]] = [
            "aws:SecureTransport": ["true"], "aws:SourceIp": ["192.0.2.10"], "aws:CurrentTime": ["2026-03-01T12:00:00Z"],
            "s3:TlsVersion": ["1.3"], "s3:x-amz-server-side-encryption": ["aws:kms"], "aws:UserAgent": ["aws-cli/2"],
        ]
        let build = measure { _ in
            PolicyRequest(principal: template.principal, action: template.action, resource: template.resource, context: raw).context.count
        }
        precondition(sink != Int.min)
        func pct(_ s: [Double], _ p: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * p))] }
        return Result(
            statements: policy.statements.count, iterations: rounds * batch,
            medianMicroseconds: pct(evaluate, 0.5), p90Microseconds: pct(evaluate, 0.9),
            explainedMedianMicroseconds: pct(explained, 0.5), decideMedianMicroseconds: pct(decide, 0.5), requestMedianMicroseconds: pct(build, 0.5))
    }
}
