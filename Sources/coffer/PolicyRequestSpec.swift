import CofferPolicy
import CofferS3
import CofferStorage
import Foundation

/// A request to simulate, as the command line or a case table describes it: either plainly
/// (principal, action, resource, context) or as an S3 HTTP request whose action, resource and
/// context are derived by `S3PolicyRequest.simulate`, the server's own mapping.
struct PolicyRequestSpec: Sendable {
    enum Form: Sendable {
        case plain(action: String, resource: String)
        /// `"PUT /bucket/key?query"`, headers in order.
        case http(line: String, headers: [(name: String, value: String)], secure: Bool, sourceIP: String?)
    }

    /// `anonymous` (the default), an account id (its root), an IAM/STS ARN, or a service
    /// principal (`service:logging.s3.amazonaws.com`, or a bare `*.amazonaws.com` name).
    var principal: String?
    var form: Form
    /// Context keys as given (`KEY=VALUE` flags or a JSON object): the whole context of a plain
    /// request (with the time and principal keys added when absent); for an HTTP request, keys
    /// that replace or add to the derived ones.
    var context: ContextEntries = ContextEntries()
    /// The account of bare KMS key ids (`--http` only) when the principal names none.
    var account: String?
    var region: String?
    var now: Date?
    /// The request body (`--http` only), for operations whose context reads it: the `Tagging`
    /// document of PutObjectTagging.
    var body: [UInt8]? = nil
    /// The tags the object has (`--http` only; the server reads them from the object), for the
    /// operations whose context holds `s3:ExistingObjectTag/<key>`.
    var existingTags: [StoredTag]? = nil

    static let defaultAccount = "123456789012"
    static let defaultRegion = "us-east-1"
}

/// Context keys in the order given, merged case-insensitively (IAM key names are not
/// case-sensitive); giving a key again adds a value.
struct ContextEntries: Sendable {
    private(set) var entries: [(key: String, values: [String])] = []

    mutating func add(_ key: String, _ values: [String]) {
        if let i = entries.firstIndex(where: { $0.key.lowercased() == key.lowercased() }) {
            entries[i].values += values
        } else {
            entries.append((key, values))
        }
    }

    func contains(_ key: String) -> Bool { entries.contains { $0.key.lowercased() == key.lowercased() } }

    var dictionary: [String: [String]] {
        var d: [String: [String]] = [:]
        for (k, v) in entries { d[k.lowercased()] = v }
        return d
    }

    /// `KEY=VALUE` as `--context` takes it.
    static func parseFlag(_ text: String) throws -> (key: String, value: String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw PolicyCommandError("--context takes KEY=VALUE (e.g. aws:SecureTransport=true), not '\(text)'", exitCode: 64)
        }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }
}

/// The request the engine evaluates, with what was derived on the way.
struct SimulatedRequest {
    var request: PolicyRequest
    /// The S3 operation, for HTTP requests.
    var operation: S3Operation?
    /// The actions the server also checks on the same resource for this request (x-amz-tagging
    /// needs s3:PutObjectTagging, lock headers s3:PutObjectRetention, ...): each is evaluated
    /// with the same context, and the request is allowed only if every one is.
    var alsoRequired: [String] = []

    /// The policy's answer to the request and to each action it also needs, and what the
    /// server would do with them together: an explicit Deny of any is an explicit deny; an
    /// allow needs every one allowed; anything else is an implicit deny.
    func evaluate(_ policy: Policy) -> SimulatedDecision {
        let primary = policy.evaluate(request)
        let also = alsoRequired.map { action in
            (action: action, decision: policy.evaluate(PolicyRequest(principal: request.principal, action: action, resource: request.resource,
                                                                     context: request.context)))
        }
        let all = [primary.decision] + also.map(\.decision.decision)
        let combined: PolicyDecision.Decision = all.contains(.explicitDeny) ? .explicitDeny
            : all.allSatisfy { $0 == .allow } ? .allow : .implicitDeny
        return SimulatedDecision(primary: primary, also: also, decision: combined)
    }

    /// The bucket the resource ARN names (`arn:aws:s3:::bucket[/key]`), if any.
    var bucket: String? { Self.bucket(ofResource: request.resource) }

    static func bucket(ofResource resource: String) -> String? {
        let prefix = "arn:aws:s3:::"
        guard resource.hasPrefix(prefix) else { return nil }
        let rest = resource.dropFirst(prefix.count)
        let name = rest.prefix { $0 != "/" }
        guard !name.isEmpty, !name.contains("*"), !name.contains("?"), !name.contains("$") else { return nil }
        return String(name)
    }
}

extension PolicyRequestSpec {
    func build(defaultNow: Date) throws -> SimulatedRequest {
        let caller = try Self.caller(principal ?? "anonymous")
        let now = self.now ?? defaultNow
        switch form {
        case let .plain(action, resource):
            guard !action.isEmpty else { throw PolicyCommandError("the request has no action (e.g. s3:GetObject)", exitCode: 64) }
            guard !resource.isEmpty else { throw PolicyCommandError("the request has no resource (e.g. arn:aws:s3:::example-bucket/key)", exitCode: 64) }
            var context = context.dictionary
            if context["aws:currenttime"] == nil { context["aws:currenttime"] = [Self.iso8601(now)] }
            if context["aws:epochtime"] == nil { context["aws:epochtime"] = [String(Int64(now.timeIntervalSince1970.rounded(.down)))] }
            return SimulatedRequest(request: PolicyRequest(principal: caller.principal, action: action, resource: resource, context: context))
        case let .http(line, headers, secure, sourceIP):
            let accountId: String = switch caller.principal {
            case let .aws(p): p.accountId
            default: account ?? Self.defaultAccount
            }
            let derived: (request: PolicyRequest, operation: S3Operation, alsoRequired: [String])
            do {
                derived = try S3PolicyRequest.simulate(
                    httpLine: line, headers: headers, secure: secure, sourceIP: sourceIP, caller: caller, now: now,
                    region: region ?? Self.defaultRegion, accountId: accountId, body: body, existingTags: existingTags)
            } catch let error as S3Error {
                throw PolicyCommandError("the request \"\(line)\" is not one the server would authorise: \(error.code.rawValue): \(error.message)")
            }
            var merged = derived.request.context
            for (k, v) in context.dictionary { merged[k] = v }
            let r = derived.request
            return SimulatedRequest(request: PolicyRequest(principal: r.principal, action: r.action, resource: r.resource, context: merged),
                                    operation: derived.operation, alsoRequired: derived.alsoRequired)
        }
    }

    /// The caller as the server would see it: the account root, a users-file user (with the
    /// canonical id and `aws:username` the server gives it), another IAM identity, a service
    /// (`service:NAME`), or nobody.
    static func caller(_ text: String) throws -> PolicyCaller {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased() == "anonymous" { return .anonymous }
        if isAccountId(t) { return PolicyCaller(principal: .root(account: t), userId: t) }
        let parts = t.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        if parts.count == 6, parts[0] == "arn", isAccountId(String(parts[4])) {
            let account = String(parts[4]), resource = String(parts[5])
            if parts[2] == "iam", resource == "root" { return PolicyCaller(principal: .root(account: account), userId: account) }
            if parts[2] == "iam", resource.hasPrefix("user/"), let name = resource.split(separator: "/").last.map(String.init), resource.count > 5 {
                let principal = PolicyPrincipal.aws(AWSPrincipal(arn: t, accountId: account,
                                                                 canonicalUserId: User.canonicalId(forName: name, accountId: account)))
                return PolicyCaller(principal: principal, userName: name)
            }
            return PolicyCaller(principal: .aws(AWSPrincipal(arn: t, accountId: account)))
        }
        if t.lowercased().hasPrefix("service:") {
            let name = String(t.dropFirst("service:".count))
            guard isServiceName(name) else {
                throw PolicyCommandError("service principal '\(name)' is not a service name such as logging.s3.amazonaws.com", exitCode: 64)
            }
            return PolicyCaller(principal: .service(name))
        }
        if t.hasSuffix(".amazonaws.com"), isServiceName(t) { return PolicyCaller(principal: .service(t)) }
        throw PolicyCommandError(
            "principal '\(text)' is not anonymous, an account id (123456789012), an IAM ARN "
                + "(arn:aws:iam::123456789012:user/alice) or a service principal (service:logging.s3.amazonaws.com)", exitCode: 64)
    }

    /// A service principal's name as a Service entry may write it: a DNS name, no wildcards.
    static func isServiceName(_ s: String) -> Bool {
        !s.isEmpty && s.contains(".") && s.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
    }

    static func isAccountId(_ s: String) -> Bool { s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }

    /// `2026-01-02T03:04:05Z`, as the server puts `aws:CurrentTime`.
    static func iso8601(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// An ISO 8601 time with a zone (`2026-01-02T03:04:05Z`, fractional seconds allowed).
    static func parseTime(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}

extension SimulatedRequest {
    /// The request for people: principal, operation, action, resource and every context key,
    /// keys in their documented spelling, sorted.
    func text() -> String {
        var lines = ["request:", "  principal: \(request.principal)"]
        if let operation { lines.append("  operation: \(operation.rawValue)") }
        lines.append("  action:    \(request.action)")
        lines.append("  resource:  \(request.resource)")
        let keys = request.context.keys.map { (ConditionKeyTable.canonicalSpelling($0) ?? $0, $0) }.sorted { $0.0.lowercased() < $1.0.lowercased() }
        if keys.isEmpty {
            lines.append("  context:   (none)")
        } else {
            lines.append("  context:")
            for (shown, key) in keys {
                let v = request.context[key] ?? []
                lines.append("    \(shown) = " + (v.count == 1 ? v[0] : "[" + v.joined(separator: ", ") + "]"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The dry run's answer to one request: the policy's explained decision for the operation's
/// action, the decisions for the actions the request also needs, and the combined decision the
/// server would act on.
struct SimulatedDecision: Encodable {
    var primary: PolicyDecision
    var also: [(action: String, decision: PolicyDecision)]
    var decision: PolicyDecision.Decision

    /// The statements that decided: the primary decision's, or for a refusal by an action the
    /// request also needs, that action's.
    var matchedStatements: [PolicyDecision.MatchedStatement] {
        guard decision != primary.decision, let refusing = also.first(where: { $0.decision.decision == decision }) else {
            return primary.matchedStatements
        }
        return refusing.decision.matchedStatements
    }

    func text() -> String {
        var text = primary.text()
        guard !also.isEmpty else { return text }
        text += "\nalso required (same resource and context):"
        for (action, result) in also {
            let sids = result.matchedStatements.map { $0.sid ?? "#\($0.index)" }
            text += "\n  \(action): \(result.decision.rawValue)" + (sids.isEmpty ? "" : " (\(sids.joined(separator: ", ")))")
        }
        text += "\ndecision for the request: \(decision.rawValue)"
        return text
    }

    private struct AlsoRequired: Encodable {
        var action: String
        var decision: PolicyDecision.Decision
        var matchedStatements: [PolicyDecision.MatchedStatement]
    }

    private enum CodingKeys: String, CodingKey { case decision, matchedStatements, missingContextKeys, statements, alsoRequired, operationDecision }

    /// The primary decision's object, with `decision` the combined one, the operation's own in
    /// `operationDecision`, and `alsoRequired` when the request needs more actions.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decision, forKey: .decision)
        try c.encode(matchedStatements, forKey: .matchedStatements)
        try c.encode(primary.missingContextKeys, forKey: .missingContextKeys)
        try c.encode(primary.statements, forKey: .statements)
        if !also.isEmpty {
            try c.encode(primary.decision, forKey: .operationDecision)
            try c.encode(also.map { AlsoRequired(action: $0.action, decision: $0.decision.decision, matchedStatements: $0.decision.matchedStatements) },
                         forKey: .alsoRequired)
        }
    }
}
