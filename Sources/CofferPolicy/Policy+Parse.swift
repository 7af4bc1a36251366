/// Parsing with IAM's and S3's validation. The checks, in the order they run:
/// 1. size (20 KB), strict JSON (first byte `{`, no duplicate keys at any level);
/// 2. top-level fields (`Version`, `Id`, `Statement` only); Version `2012-10-17` or
///    `2008-10-17` (absent: 2008-10-17, without policy variables); Statement an object or a
///    non-empty array of objects;
/// 3. per statement: known fields only; Sid a string (alphanumeric in identity policies, as IAM
///    requires; S3 accepts any text), unique across the policy; Effect exactly `Allow` or `Deny`;
///    Principal or NotPrincipal (required in bucket policies, refused in identity policies);
///    Action or NotAction; Resource or NotResource; never both forms of one element;
/// 4. contents: principal forms, action names, resource ARNs (inside the bucket when one is
///    given), condition operators, keys and values; and every action of `Action` must apply to
///    some resource of `Resource` ("Action does not apply to any resource(s) in statement").
extension Policy {
    /// Parses and validates a policy document.
    /// - Parameters:
    ///   - bucket: the bucket the policy is attached to; every Resource must then name that
    ///     bucket or objects in it, as S3 requires.
    ///   - requirePrincipal: true for resource (bucket) policies, where Principal or NotPrincipal
    ///     is required and only S3 actions and ARNs are accepted; false for identity policies,
    ///     where a Principal is refused.
    public static func parse(_ json: String, bucket: String? = nil, requirePrincipal: Bool = true) throws(PolicyError) -> Policy {
        try parse(Array(json.utf8), bucket: bucket, requirePrincipal: requirePrincipal)
    }

    public static func parse(_ json: [UInt8], bucket: String? = nil, requirePrincipal: Bool = true) throws(PolicyError) -> Policy {
        try parse(json, parser: StatementParser(bucket: bucket, bucketPolicy: requirePrincipal), maximumSize: maximumSize)
    }

    /// A KMS key policy: a resource policy (Principal required) over any service's actions and
    /// ARNs (`kms:*` on `*` in the usual form), at most 32 KB as KMS allows.
    public static func parseKeyPolicy(_ json: String) throws(PolicyError) -> Policy {
        var parser = StatementParser(bucket: nil, bucketPolicy: true)
        parser.s3Only = false
        return try parse(Array(json.utf8), parser: parser, maximumSize: 32768)
    }

    static func parse(_ json: [UInt8], parser initial: StatementParser, maximumSize: Int) throws(PolicyError) -> Policy {
        guard json.count <= maximumSize else { throw .tooLarge }
        let firstByte = json.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard firstByte == UInt8(ascii: "{") else { throw .notJSON }
        let document: JSONValue
        do {
            document = try JSONParser.parse(json)
        } catch {
            if case let .duplicateKey(k) = error { throw PolicyError(.duplicateKey, "Duplicate key \(k)") }
            throw .notJSON
        }
        guard case let .object(top) = document else { throw .notJSON }
        var parser = initial
        var version: Version = .v2008_10_17
        var versionGiven = false
        var id: String?
        var statementValue: JSONValue?
        for (k, v) in top {
            switch k {
            case "Version":
                guard case let .string(s) = v, let ver = Version(rawValue: s) else {
                    throw PolicyError(.invalidVersion, "Invalid policy version")
                }
                version = ver
                versionGiven = true
            case "Id":
                guard case let .string(s) = v else { throw PolicyError(.invalidStatement, "Id must be a string") }
                id = s
            case "Statement":
                statementValue = v
            default:
                throw .unknown(k)
            }
        }
        parser.variables = version.supportsVariables
        let objects: [[(key: String, value: JSONValue)]]
        switch statementValue {
        case nil: throw .missing("Statement")
        case let .object(o)?: objects = [o]
        case let .array(items)?:
            guard !items.isEmpty else { throw .missing("Statement") }
            objects = try items.map { (item) throws(PolicyError) in
                guard case let .object(o) = item else { throw PolicyError(.invalidStatement, "Statement must be an object") }
                return o
            }
        default: throw PolicyError(.invalidStatement, "Statement must be an object or an array of objects")
        }
        var statements: [PolicyStatement] = []
        var sids = Set<String>()
        for (index, members) in objects.enumerated() {
            let s = try parser.statement(members, index: index)
            if let sid = s.sid, !sid.isEmpty {
                guard sids.insert(sid).inserted else {
                    throw PolicyError(.invalidSid, "Statement IDs (SID) in a single policy must be unique.", statement: index)
                }
            }
            statements.append(s)
        }
        return Policy(version: version, versionGiven: versionGiven, id: id, statements: statements, bucket: initial.bucket)
    }
}

struct StatementParser {
    let bucket: String?
    let bucketPolicy: Bool
    /// Bucket policies name only S3 actions and ARNs; key policies name KMS ones.
    var s3Only = true
    var variables = false

    init(bucket: String?, bucketPolicy: Bool) {
        self.bucket = bucket
        self.bucketPolicy = bucketPolicy
    }

    static let fields: Set<String> = [
        "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
    ]

    func statement(_ members: [(key: String, value: JSONValue)], index s: Int) throws(PolicyError) -> PolicyStatement {
        var m: [String: JSONValue] = [:]
        for (k, v) in members {
            guard Self.fields.contains(k) else { throw .unknown(k, s) }
            m[k] = v
        }
        var sid: String?
        if let v = m["Sid"] {
            guard case let .string(text) = v else { throw PolicyError(.invalidSid, "Statement ID (Sid) must be a string", statement: s) }
            if !bucketPolicy, !text.utf8.allSatisfy(Self.isAlphanumeric) {
                throw PolicyError(.invalidSid,
                    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
                    statement: s)
            }
            sid = text
        }
        guard let effectValue = m["Effect"] else { throw .missing("Effect", s) }
        guard case let .string(effectText) = effectValue, let effect = Effect(rawValue: effectText) else {
            throw PolicyError(.invalidEffect, "Invalid effect: \(effectValue.scalarText ?? "")", statement: s)
        }

        // Principal.
        if m["Principal"] != nil, m["NotPrincipal"] != nil {
            throw PolicyError(.conflictingElements, "Statement cannot contain both Principal and NotPrincipal", statement: s)
        }
        var principals: [PrincipalEntry]?
        var matchers: [PrincipalMatcher] = []
        let isNotPrincipal = m["NotPrincipal"] != nil
        if let p = m["Principal"] ?? m["NotPrincipal"] {
            guard bucketPolicy else {
                throw PolicyError(.principalNotAllowed, "Policy document should not specify a principal.", statement: s)
            }
            (principals, matchers) = try principal(p, s)
        } else if bucketPolicy {
            throw .missing("Principal", s)
        }

        // Action.
        if m["Action"] != nil, m["NotAction"] != nil {
            throw PolicyError(.conflictingElements, "Statement cannot contain both Action and NotAction", statement: s)
        }
        let isNotAction = m["NotAction"] != nil
        guard let actionValue = m["Action"] ?? m["NotAction"] else { throw .missing("Action", s) }
        guard let actions = Self.strings(actionValue) else { throw .action(s) }
        guard !actions.isEmpty else { throw .missing("Action", s) }
        for a in actions where !validAction(a) { throw .action(s) }
        let actionGlobs = actions.map { Glob($0, caseInsensitive: true) }

        // Resource.
        if m["Resource"] != nil, m["NotResource"] != nil {
            throw PolicyError(.conflictingElements, "Statement cannot contain both Resource and NotResource", statement: s)
        }
        let isNotResource = m["NotResource"] != nil
        guard let resourceValue = m["Resource"] ?? m["NotResource"] else { throw .missing("Resource", s) }
        guard let resources = Self.strings(resourceValue) else { throw .resource(s) }
        guard !resources.isEmpty else { throw .missing("Resource", s) }
        var patterns: [ResourcePattern] = []
        for r in resources {
            let t = Template(r, variables: variables)
            guard validResource(r, t) else { throw .resource(s) }
            if t.hasVariables {
                patterns.append(.template(t))
            } else {
                patterns.append(.glob(Glob(units: t.resolveUnits(in: [:], wildcards: true)!, arnSegments: true)))
            }
        }
        if !isNotAction, !isNotResource {
            try checkActionsApply(actions, actionGlobs, resources, s)
        }

        // Condition.
        var conditions: [PolicyCondition] = []
        if let c = m["Condition"] {
            conditions = try condition(c, s)
        }
        return PolicyStatement(
            index: s, sid: sid, effect: effect, principals: principals, isNotPrincipal: isNotPrincipal,
            actions: actions, isNotAction: isNotAction, resources: resources, isNotResource: isNotResource,
            conditions: conditions, principalMatchers: matchers, actionGlobs: actionGlobs, resourcePatterns: patterns)
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// A string or an array of strings.
    static func strings(_ v: JSONValue) -> [String]? {
        switch v {
        case let .string(s): return [s]
        case let .array(items):
            var out: [String] = []
            for i in items {
                guard case let .string(s) = i else { return nil }
                out.append(s)
            }
            return out
        default: return nil
        }
    }

    // MARK: Principal

    private func principal(_ v: JSONValue, _ s: Int) throws(PolicyError) -> ([PrincipalEntry], [PrincipalMatcher]) {
        switch v {
        case .string("*"):
            return ([.everyone], [.everyone])
        case let .object(members):
            guard !members.isEmpty else { throw .principal(s) }
            var entries: [PrincipalEntry] = []
            var matchers: [PrincipalMatcher] = []
            for (k, value) in members {
                guard let list = Self.strings(value), !list.isEmpty else { throw .principal(s) }
                for item in list {
                    switch k {
                    case "AWS":
                        if item == "*" {
                            entries.append(.everyone); matchers.append(.everyone)
                        } else {
                            guard let m = Self.awsPrincipal(item) else { throw .principal(s) }
                            entries.append(.aws(item)); matchers.append(m)
                        }
                    case "Service":
                        guard !item.isEmpty, !item.contains("*"), !item.contains("?"), !item.contains(" ") else { throw .principal(s) }
                        entries.append(.service(item)); matchers.append(.service(PolicyRequest.lower(item)))
                    case "CanonicalUser":
                        guard item.utf8.count == 64, item.utf8.allSatisfy({ Self.isHex($0) }) else { throw .principal(s) }
                        entries.append(.canonicalUser(item)); matchers.append(.canonicalUser(PolicyRequest.lower(item)))
                    case "Federated":
                        guard !item.isEmpty, !item.contains("*") else { throw .principal(s) }
                        entries.append(.federated(item)); matchers.append(.federated(item))
                    default:
                        throw .principal(s)
                    }
                }
            }
            return (entries, matchers)
        default:
            throw .principal(s)
        }
    }

    static func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) }

    static func isAccountId(_ s: Substring) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static let partitions: Set<Substring> = ["aws", "aws-cn", "aws-us-gov"]

    /// An account id or an IAM principal ARN; wildcards are not allowed here.
    static func awsPrincipal(_ item: String) -> PrincipalMatcher? {
        if isAccountId(Substring(item)) { return .account(item) }
        guard !item.contains("*"), !item.contains("?") else { return nil }
        let parts = item.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", partitions.contains(parts[1]), parts[3].isEmpty,
            isAccountId(parts[4]) else { return nil }
        let account = String(parts[4])
        let r = parts[5]
        func named(_ prefix: String) -> String? {
            guard r.hasPrefix(prefix) else { return nil }
            let rest = r.dropFirst(prefix.count)
            guard !rest.isEmpty, !rest.hasSuffix("/") else { return nil }
            return rest.split(separator: "/").last.map(String.init)
        }
        switch parts[2] {
        case "iam":
            if r == "root" { return .account(account) }
            if named("user/") != nil { return .arn(item) }
            if let role = named("role/") { return .role(arn: item, account: account, name: role) }
            return nil
        case "sts":
            if r.hasPrefix("assumed-role/") {
                let rest = r.dropFirst("assumed-role/".count).split(separator: "/", omittingEmptySubsequences: false)
                guard rest.count == 2, !rest[0].isEmpty, !rest[1].isEmpty else { return nil }
                return .arn(item)
            }
            if named("federated-user/") != nil { return .arn(item) }
            return nil
        default:
            return nil
        }
    }

    // MARK: Action

    /// `*` or `service:name`, where the name may hold `*` and `?`. Bucket policies accept S3
    /// actions only.
    private func validAction(_ a: String) -> Bool {
        if a == "*" { return true }
        let parts = a.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        guard parts[0].utf8.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }),
            parts[1].utf8.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "-") })
        else { return false }
        if bucketPolicy, s3Only { return PolicyRequest.lower(String(parts[0])) == "s3" }
        return true
    }

    // MARK: Resource

    private func validResource(_ r: String, _ t: Template) -> Bool {
        if r == "*" { return true }
        let parts = r.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty, !parts[5].isEmpty else { return false }
        guard bucketPolicy, s3Only else { return true }
        // S3 ARNs: arn:aws:s3:::bucket[/key]; no region, no account.
        guard parts[1] == "*" || Self.partitions.contains(parts[1]), parts[2] == "s3", parts[3].isEmpty, parts[4].isEmpty else {
            return false
        }
        guard let bucket else { return true }
        return Self.resourcePart(t).map { Self.canName(bucket: bucket, $0) } ?? false
    }

    /// The units of the resource part (after the fifth colon), variables standing for `*`.
    static func resourcePart(_ t: Template) -> [GlobUnit]? {
        let units = t.unitsWithVariablesAsStars
        var colons = 0
        for (k, u) in units.enumerated() where u == .byte(UInt8(ascii: ":")) {
            colons += 1
            if colons == 5 { return Array(units[(k + 1)...]) }
        }
        return nil
    }

    /// Whether a resource pattern can name the bucket itself or an object in it.
    static func canName(bucket: String, _ units: [GlobUnit]) -> Bool {
        let g = Glob(units: units)
        return g.matches(bucket) || g.canMatchSomething(startingWith: bucket + "/")
    }

    /// The resource types an S3 Resource entry can name (for "Action does not apply").
    static func resourceTypes(_ r: String, variables: Bool) -> Set<S3ActionTable.ResourceType> {
        if r.utf8.allSatisfy({ $0 == UInt8(ascii: "*") }) { return [.bucket, .object, .none] }
        let t = Template(r, variables: variables)
        let parts = r.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, Glob(String(parts[2])).matches("s3"), let units = resourcePart(t) else { return [] }
        if units.allSatisfy({ $0 == .star }) { return [.bucket, .object, .none] }
        var types: Set<S3ActionTable.ResourceType> = []
        let slash = units.contains(.byte(UInt8(ascii: "/")))
        if !slash { types.insert(.bucket) }
        if slash || units.contains(.star) { types.insert(.object) }
        return types
    }

    /// S3's check that each action names something the statement's resources can be: an
    /// object action with only a bucket ARN (or the reverse) is refused. Actions the table does
    /// not know, and other services' actions, are given the benefit of the doubt.
    private func checkActionsApply(_ actions: [String], _ globs: [Glob], _ resources: [String], _ s: Int) throws(PolicyError) {
        var covered: Set<S3ActionTable.ResourceType> = []
        var anyS3 = false
        for r in resources {
            let types = Self.resourceTypes(r, variables: variables)
            if !types.isEmpty { anyS3 = true }
            covered.formUnion(types)
        }
        guard anyS3 || (bucketPolicy && s3Only) else { return }
        for (a, g) in zip(actions, globs) {
            let service = a == "*" ? "s3" : PolicyRequest.lower(String(a.prefix { $0 != ":" }))
            guard service == "s3" || Glob(service).matches("s3") else { continue }
            let known = S3ActionTable.actions(matching: g)
            guard !known.isEmpty else { continue }
            if !known.contains(where: { covered.contains($0.resource) }) {
                throw PolicyError(.actionDoesNotApply, "Action does not apply to any resource(s) in statement", statement: s)
            }
        }
    }

    // MARK: Condition

    private func condition(_ v: JSONValue, _ s: Int) throws(PolicyError) -> [PolicyCondition] {
        guard case let .object(operators) = v else {
            throw PolicyError(.invalidConditionValue, "Condition must be an object", statement: s)
        }
        var out: [PolicyCondition] = []
        for (name, body) in operators {
            guard let op = ConditionOperator(name) else {
                throw PolicyError(.invalidConditionOperator, "Invalid Condition type : \(name)", statement: s)
            }
            guard case let .object(keys) = body else {
                throw PolicyError(.invalidConditionValue, "Invalid Condition: the value of \(name) must be an object", statement: s)
            }
            for (key, value) in keys {
                let parts = key.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !key.contains(" ") else {
                    throw PolicyError(.invalidConditionKey, "Policy has an invalid condition key", statement: s)
                }
                var values: [String] = []
                switch value {
                case let .array(items):
                    for i in items {
                        guard let t = i.scalarText else {
                            throw PolicyError(.invalidConditionValue, "Invalid Condition value for \(key)", statement: s)
                        }
                        values.append(t)
                    }
                default:
                    guard let t = value.scalarText else {
                        throw PolicyError(.invalidConditionValue, "Invalid Condition value for \(key)", statement: s)
                    }
                    values.append(t)
                }
                out.append(PolicyCondition(operator: op, key: key, values: values, variables: variables))
            }
        }
        return out
    }
}
