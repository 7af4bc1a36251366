import ArgumentParser
import CofferPolicy
import Foundation

extension PolicyCommand {
    /// `coffer policy lint POLICY`: PutBucketPolicy's validation, then the engine's findings.
    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a bucket policy as PutBucketPolicy does and report likely mistakes.",
            discussion: """
                Exit 1 when PutBucketPolicy would refuse the policy (MalformedPolicy) or a finding has \
                severity error (a statement that can never take effect); with --strict, also on findings \
                of severity warning. Findings of severity info never fail.
                """)

        @Argument(help: "The policy document: a file, or - for stdin.")
        var policy: String
        @Option(help: "The bucket the policy is for: its resources must name it (as PutBucketPolicy requires).")
        var bucket: String?
        @Flag(help: "Fail (exit 1) on warnings too.")
        var strict = false
        @Option(help: "Output: text or json.")
        var format: Format = .text

        /// The JSON form: `{"bucket", "error", "isPublic", "valid", "warnings"}`.
        struct Report: Encodable {
            struct Malformed: Encodable {
                var code: String
                var reason: String
                var statementIndex: Int?

                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(code, forKey: .code)
                    try c.encode(reason, forKey: .reason)
                    try c.encode(statementIndex, forKey: .statementIndex)
                }

                enum CodingKeys: String, CodingKey { case code, reason, statementIndex }
            }

            var bucket: String?
            /// Whether PutBucketPolicy accepts the policy.
            var valid: Bool
            var error: Malformed?
            /// GetBucketPolicyStatus's IsPublic for this policy; nil when it is malformed.
            var isPublic: Bool?
            var warnings: [PolicyWarning]
            /// Whether lint passes (exit 0).
            var passed: Bool

            enum CodingKeys: String, CodingKey { case bucket, valid, error, isPublic, warnings, passed }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(bucket, forKey: .bucket)
                try c.encode(valid, forKey: .valid)
                try c.encode(error, forKey: .error)
                try c.encode(isPublic, forKey: .isPublic)
                try c.encode(warnings, forKey: .warnings)
                try c.encode(passed, forKey: .passed)
            }
        }

        func run() throws {
            do { try lint() } catch { throw PolicyCommandError.reported(error) }
        }

        private func lint() throws {
            let document = try PolicyDocument.read(policy)
            var report = Report(bucket: bucket, valid: true, error: nil, isPublic: nil, warnings: [], passed: true)
            do {
                let parsed = try document.parse(bucket: bucket)
                report.warnings = parsed.lint(bucket: bucket)
                report.isPublic = parsed.grantsPublicAccess
            } catch {
                report.valid = false
                report.error = .init(code: error.code.rawValue, reason: error.reason, statementIndex: error.statementIndex)
            }
            let failing: Set<PolicyWarning.Severity> = strict ? [.error, .warning] : [.error]
            report.passed = report.valid && !report.warnings.contains { failing.contains($0.severity) }
            switch format {
            case .json: PolicyCommand.write(try PolicyCommand.json(report))
            case .text: PolicyCommand.write(text(report, source: document.source))
            }
            if !report.passed { throw ExitCode(1) }
        }

        private func text(_ r: Report, source: String) -> String {
            let name = source == "-" ? "(stdin)" : source
            guard r.valid, let isPublic = r.isPublic else {
                return "\(name): " + PolicyDocument.describe(reason: r.error?.reason ?? "", statementIndex: r.error?.statementIndex) + "\n"
            }
            var lines = ["\(name): PutBucketPolicy accepts it" + (r.bucket.map { " for bucket \($0)" } ?? " (no --bucket: resources not checked against a bucket)")]
            if isPublic { lines.append("public: the policy grants access to everyone (GetBucketPolicyStatus IsPublic: true)") }
            lines += r.warnings.map(\.description)
            func count(_ s: PolicyWarning.Severity, _ word: String) -> String {
                let n = r.warnings.filter { $0.severity == s }.count
                return "\(n) \(word)\(n == 1 || s == .info ? "" : "s")"
            }
            lines.append("\(count(.error, "error")), \(count(.warning, "warning")), \(count(.info, "info"))" + (r.passed ? "" : ": lint failed"))
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
