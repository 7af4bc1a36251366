import ArgumentParser
import CofferPolicy
import CofferStorage
import Foundation

extension PolicyCommand {
    /// `coffer policy simulate POLICY`: one request, one explained decision.
    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate one request against a bucket policy and explain the decision.",
            discussion: """
                Describe the request with --principal/--action/--resource/--context, with --request FILE, \
                or as an S3 request with --http "PUT /bucket/key" (plus --header, --secure, --source-ip), \
                whose action, resource and context keys are derived exactly as the server derives them. \
                The bucket policy is evaluated alone: see docs/bucket-policies.md for how the server \
                combines it with identity permissions.
                Exit: 0 (or, with --expect, 0 as expected and 1 not), 2 malformed policy or bad input.
                """)

        @Argument(help: "The policy document: a file, or - for stdin.")
        var policy: String

        @Option(help: "Who asks: anonymous (default), an account id (its root), an ARN such as arn:aws:iam::123456789012:user/alice, or a service principal such as service:logging.s3.amazonaws.com (give aws:SourceArn and aws:SourceAccount with --context).")
        var principal: String?
        @Option(help: "The IAM action, e.g. s3:GetObject.")
        var action: String?
        @Option(help: "The resource ARN, e.g. arn:aws:s3:::example-bucket/reports/q1.csv.")
        var resource: String?
        @Option(help: "A request context key, KEY=VALUE (repeatable; repeating a key makes it multi-valued). With --http: added to, or replacing, the derived keys.")
        var context: [String] = []
        @Option(help: "A JSON request file: {\"principal\", \"action\", \"resource\", \"context\"} or {\"http\", \"headers\", ...} as in case tables.")
        var request: String?

        @Option(help: "An S3 request line, \"METHOD /bucket/key[?query]\": action, resource and context are derived as the server does.")
        var http: String?
        @Option(help: "A request header for --http, \"Name: value\" (repeatable).")
        var header: [String] = []
        @Flag(help: "The --http request came over HTTPS (aws:SecureTransport true).")
        var secure = false
        @Option(help: "The client address for --http (aws:SourceIp).")
        var sourceIp: String?
        @Option(help: "The account of bare KMS key ids in --http headers when the principal names none (default 123456789012).")
        var account: String?
        @Option(help: "The region of KMS key ARNs made from bare key ids (default us-east-1).")
        var region: String?
        @Option(help: "A file holding the --http request's body, for operations whose context reads it (PutObjectTagging's Tagging document: s3:RequestObjectTag/<key>).")
        var body: String?
        @Option(help: "A tag the --http request's object has, KEY=VALUE (repeatable): s3:ExistingObjectTag/<key> for the operations whose context holds it.")
        var existingTag: [String] = []

        @Option(help: "The time of the request, ISO 8601 (aws:CurrentTime, aws:EpochTime; default: now).")
        var now: String?
        @Option(help: "The bucket the policy is attached to, for validation (default: the bucket the resource names).")
        var bucket: String?
        @Option(help: "Output: text (explained) or json (the decision object).")
        var format: Format = .text
        @Option(help: "allow, deny, explicit-deny or implicit-deny: exit 0 when the decision is that, 1 when not.")
        var expect: PolicyExpectation?

        func validate() throws {
            let plain = action != nil || resource != nil
            let forms = [plain, request != nil, http != nil].filter { $0 }.count
            guard forms == 1 else {
                throw ValidationError("describe the request with --action and --resource, with --request FILE, or with --http \"METHOD /bucket/key\" (exactly one)")
            }
            if plain, action == nil || resource == nil { throw ValidationError("--action and --resource go together") }
            if http == nil, !header.isEmpty || secure || sourceIp != nil || body != nil || !existingTag.isEmpty {
                throw ValidationError("--header, --secure, --source-ip, --body and --existing-tag describe an --http request")
            }
            if let bad = existingTag.first(where: { ($0.firstIndex(of: "=") ?? $0.startIndex) == $0.startIndex }) {
                throw ValidationError("--existing-tag takes KEY=VALUE (e.g. classification=public), not '\(bad)'")
            }
            if request != nil, principal != nil || !context.isEmpty {
                throw ValidationError("--request FILE holds the principal and context; drop --principal and --context")
            }
            if let now, PolicyRequestSpec.parseTime(now) == nil { throw ValidationError("--now '\(now)' is not an ISO 8601 time such as 2026-01-01T00:00:00Z") }
            if policy == "-", request == "-" { throw ValidationError("the policy and --request cannot both come from stdin") }
        }

        func run() throws {
            do { try simulate() } catch { throw PolicyCommandError.reported(error) }
        }

        private func spec() throws -> PolicyRequestSpec {
            if let request {
                let data = request == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: request)
                guard let data else { throw PolicyCommandError("cannot read request file \(request)") }
                return try PolicyRequestSpec(json: JSONValue.parse(data, source: request), path: request)
            }
            var entries = ContextEntries()
            for c in context {
                let (k, v) = try ContextEntries.parseFlag(c)
                entries.add(k, [v])
            }
            let form: PolicyRequestSpec.Form
            if let http {
                let headers = try header.map { h -> (name: String, value: String) in
                    guard let colon = h.firstIndex(of: ":"), colon != h.startIndex else {
                        throw PolicyCommandError("--header takes \"Name: value\", not '\(h)'", exitCode: 64)
                    }
                    return (String(h[..<colon]).trimmingCharacters(in: .whitespaces),
                            String(h[h.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
                }
                form = .http(line: http, headers: headers, secure: secure, sourceIP: sourceIp)
            } else {
                form = .plain(action: action ?? "", resource: resource ?? "")
            }
            var spec = PolicyRequestSpec(principal: principal, form: form, context: entries, account: account, region: region)
            if let body {
                guard let data = FileManager.default.contents(atPath: body) else { throw PolicyCommandError("cannot read --body file \(body)") }
                spec.body = Array(data)
            }
            if !existingTag.isEmpty {
                spec.existingTags = existingTag.map { text in
                    let eq = text.firstIndex(of: "=")!
                    return StoredTag(key: String(text[..<eq]), value: String(text[text.index(after: eq)...]))
                }
            }
            return spec
        }

        private func simulate() throws {
            var spec = try spec()
            // Flags win over a --request file's fields.
            if let now { spec.now = PolicyRequestSpec.parseTime(now) }
            if let account { spec.account = account }
            if let region { spec.region = region }
            let document = try PolicyDocument.read(policy)
            let simulated = try spec.build(defaultNow: Date())
            let bucket = self.bucket ?? simulated.bucket
            let parsed: Policy
            do { parsed = try document.parse(bucket: bucket) } catch {
                var message = PolicyDocument.describe(error)
                if self.bucket == nil, let bucket, error.code == .invalidResource {
                    message += "; the policy was validated for bucket \(bucket), which the request's resource names (name the policy's bucket with --bucket)"
                }
                throw PolicyCommandError(message)
            }
            let decision = simulated.evaluate(parsed)
            switch format {
            case .text: PolicyCommand.write(simulated.text() + "\n" + decision.text())
            case .json: PolicyCommand.write(try PolicyCommand.json(decision))
            }
            if let expect, !expect.accepts(decision.decision) {
                PolicyCommand.warn("expected \(expect.rawValue), got \(decision.decision.rawValue)")
                throw ExitCode(1)
            }
        }
    }
}
