/// Lint: findings about a valid policy that probably does not do what its author meant. Pure.
///
/// The missing-key rules follow from IAM's semantics (IAM User Guide, "Condition operators"):
/// an ordinary operator is false when its key is missing, a negated one (`StringNotEquals`,
/// `NotIpAddress`, ...) is true, `...IfExists` is true, `ForAllValues` is true and
/// `ForAnyValue` is false. So, for a key a request may lack (an optional header):
/// - Deny + an ordinary operator (or `ForAnyValue:`) is false without the key: a request that
///   simply omits the header is not denied (`Deny PutObject if s3:x-amz-server-side-encryption
///   = AES256` lets a PUT without the header through). Flagged `missing-key-escapes-deny`.
/// - Deny + a negated operator, or any `...IfExists`, is true without the key: the request is
///   denied. That is the safe form (`Deny PutObject StringNotEquals
///   s3:x-amz-server-side-encryption aws:kms` denies a PUT without the header). Not flagged.
/// - Allow + a negated operator, `...IfExists` or `ForAllValues:` is true without the key: the
///   Allow grants requests that omit it. Flagged `missing-key-allows`.
/// - Allow + an ordinary operator is false without the key: the Allow does not apply. Safe.
/// `Null` is the explicit existence test and is never flagged. Keys every request carries
/// (`aws:SecureTransport`, `aws:SourceIp`, `aws:CurrentTime`, ...) are never flagged.
extension Policy {
    /// - Parameter bucket: the bucket the policy is for (defaults to the one it was parsed with);
    ///   resources that cannot name it are reported as never matching.
    public func lint(bucket: String? = nil) -> [PolicyWarning] {
        var out: [PolicyWarning] = []
        let bucket = bucket ?? self.bucket
        if !versionGiven {
            out.append(PolicyWarning(.info, .missingVersion, statement: nil,
                "the policy has no Version: it is read as 2008-10-17, where policy variables are literal text",
                suggestion: "add \"Version\": \"2012-10-17\""))
        }
        for s in statements {
            lintVariables(s, &out)
            lintActions(s, &out)
            lintPrincipal(s, &out)
            lintNotPrincipal(s, &out)
            if let bucket { lintBucket(s, bucket, &out) }
            lintConditions(s, &out)
            lintContradictions(s, &out)
        }
        return out
    }

    private func lintVariables(_ s: PolicyStatement, _ out: inout [PolicyWarning]) {
        guard !version.supportsVariables else { return }
        let texts = s.resources + s.conditions.flatMap(\.values)
        if texts.contains(where: { Template($0, variables: true).hasVariables }) {
            out.append(PolicyWarning(.warning, .variablesNeedVersion, statement: s,
                "policy variables such as ${aws:username} are literal text under Version \(version.rawValue)",
                suggestion: "set \"Version\": \"2012-10-17\""))
        }
    }

    /// The known S3 actions the statement's Action names (nil for NotAction).
    private func knownActions(_ s: PolicyStatement) -> [S3ActionTable.Action]? {
        guard !s.isNotAction else { return nil }
        var out: [S3ActionTable.Action] = []
        for g in s.actionGlobs { out += S3ActionTable.actions(matching: g) }
        return out
    }

    private func lintActions(_ s: PolicyStatement, _ out: inout [PolicyWarning]) {
        for (a, g) in zip(s.actions, s.actionGlobs) where a != "*" && PolicyRequest.lower(a).hasPrefix("s3:") {
            guard S3ActionTable.actions(matching: g).isEmpty else { continue }
            let wildcard = a.contains("*") || a.contains("?")
            let closest = wildcard ? nil : Self.closestAction(a)
            out.append(PolicyWarning(.warning, .unknownAction, statement: s,
                wildcard ? "\(a) matches no S3 action" : "\(a) is not an S3 action Coffer knows",
                suggestion: closest.map { "did you mean \($0)?" }))
        }
    }

    static func closestAction(_ a: String) -> String? {
        let l = PolicyRequest.lower(a)
        var best: (String, Int)?
        for action in S3ActionTable.actions.values {
            let d = ConditionKeyTable.editDistance(l, PolicyRequest.lower(action.name))
            if best == nil || d < best!.1 || (d == best!.1 && action.name < best!.0) { best = (action.name, d) }
        }
        guard let (name, d) = best, d <= 3 else { return nil }
        return name
    }

    private func lintPrincipal(_ s: PolicyStatement, _ out: inout [PolicyWarning]) {
        guard let principals = s.principals, s.effect == .allow else { return }
        if s.isNotPrincipal {
            out.append(PolicyWarning(.warning, .notPrincipalWithAllow, statement: s,
                "NotPrincipal with Allow grants access to every principal not listed, anonymous callers included",
                suggestion: "use Principal with the callers to allow"))
            return
        }
        guard principals.contains(.everyone) else { return }
        let writes: [String]
        if let known = knownActions(s) {
            writes = Array(Set(known.filter(\.access.isWrite).map(\.name))).sorted()
        } else {
            writes = ["(NotAction)"]
        }
        guard !writes.isEmpty else { return }
        let shown = writes.count > 4 ? writes.prefix(4).joined(separator: ", ") + ", ..." : writes.joined(separator: ", ")
        out.append(PolicyWarning(.warning, .publicWrite, statement: s,
            "Allow to every principal (\"*\", anonymous callers included) of write actions: \(shown)"
                + (s.conditions.isEmpty ? "" : ", limited only by the statement's conditions"),
            suggestion: "name the principals, or allow read actions only"))
    }

    private func lintBucket(_ s: PolicyStatement, _ bucket: String, _ out: inout [PolicyWarning]) {
        guard !s.isNotResource else { return }
        var outside: [String] = []
        for r in s.resources where r != "*" {
            let t = Template(r, variables: version.supportsVariables)
            let parts = r.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            let canName = parts.count == 6 && Glob(String(parts[2])).matches("s3")
                && (StatementParser.resourcePart(t).map { StatementParser.canName(bucket: bucket, $0) } ?? false)
            if !canName { outside.append(r) }
        }
        guard !outside.isEmpty else { return }
        let all = outside.count == s.resources.count
        out.append(PolicyWarning(all ? .error : .warning, .neverMatches, statement: s,
            "\(outside.joined(separator: ", ")) cannot name bucket \(bucket) or its objects"
                + (all ? ": the statement never matches" : ""),
            suggestion: "use arn:aws:s3:::\(bucket) or arn:aws:s3:::\(bucket)/..."))
    }

    private func lintConditions(_ s: PolicyStatement, _ out: inout [PolicyWarning]) {
        let actions = knownActions(s)
        let bucketPolicy = s.principals != nil
        var seen: [ConditionOperator: [String: String]] = [:]
        for c in s.conditions {
            let op = c.operator
            let name = op.description
            // The same key twice in one operator, spelled in two cases: IAM reads one key.
            if let other = seen[op]?[c.lookupKey] {
                out.append(PolicyWarning(.warning, .duplicateConditionKey, statement: s,
                    "\(name) names \(other) and \(c.key), which IAM reads as one key (key names are case-insensitive)"))
            }
            seen[op, default: [:]][c.lookupKey] = c.key

            // Known key?
            let lower = c.lookupKey
            let known = ConditionKeyTable.canonicalSpelling(c.key)
            if known == nil, lower.hasPrefix("aws:") || lower.hasPrefix("s3:") || bucketPolicy {
                let guess = ConditionKeyTable.closest(to: c.key)
                out.append(PolicyWarning(.warning, .unknownConditionKey, statement: s,
                    "\(c.key) is not a condition key S3 requests carry: \(name) on it "
                        + (c.holds(in: [:]) ? "is always true" : "is always false"),
                    suggestion: guess.map { "did you mean \($0)?" }))
            }

            // A key the statement's actions never carry.
            if known != nil, lower.hasPrefix("s3:"), !ConditionKeyTable.s3EveryAction.contains(lower), let actions, !actions.isEmpty {
                let applies = actions.contains { $0.carries(lower) }
                if !applies {
                    let names = Array(Set(actions.map(\.name))).sorted()
                    let shown = names.count > 3 ? names.prefix(3).joined(separator: ", ") + ", ..." : names.joined(separator: ", ")
                    out.append(PolicyWarning(.warning, .conditionKeyNotApplicable, statement: s,
                        "\(c.key) is never in the context of \(shown) requests: \(name) on it is "
                            + (c.holds(in: [:]) ? "always true" : "always false")))
                }
            }

            // Values the operator cannot read never match.
            let bad = invalidValues(c)
            if !bad.isEmpty {
                out.append(PolicyWarning(.warning, .invalidConditionValue, statement: s,
                    "\(name) cannot read \(bad.map { "\"\($0)\"" }.joined(separator: ", ")) for \(c.key): such a value never matches"))
            }

            // Set operators belong on multivalued keys.
            if op.qualifier != nil, known != nil, !ConditionKeyTable.multivalued.contains(lower), op.base != .null {
                out.append(PolicyWarning(.info, .setOperatorOnSingleValuedKey, statement: s,
                    "\(name) is meant for multivalued keys; \(c.key) has a single value",
                    suggestion: "use \(op.base.rawValue)\(op.ifExists ? "IfExists" : "")"))
            }

            lintMissingKey(s, c, &out)
        }
    }

    private func invalidValues(_ c: PolicyCondition) -> [String] {
        switch c.matcher {
        case let .numeric(_, v): return zip(c.values, v).filter { $0.1 == nil }.map(\.0)
        case let .date(_, v): return zip(c.values, v).filter { $0.1 == nil }.map(\.0)
        case let .bool(v), let .null(v): return zip(c.values, v).filter { $0.1 == nil }.map(\.0)
        case let .ip(v): return zip(c.values, v).filter { $0.1 == nil }.map(\.0)
        case let .binary(v, _): return zip(c.values, v).filter { $0.1 == nil }.map(\.0)
        default: return []
        }
    }

    /// See the type comment: which operator/effect pairs a missing key turns the wrong way.
    private func lintMissingKey(_ s: PolicyStatement, _ c: PolicyCondition, _ out: inout [PolicyWarning]) {
        let op = c.operator
        guard op.base != .null, !ConditionKeyTable.alwaysPresent.contains(c.lookupKey) else { return }
        // A Null test on the same key in the statement says what a missing key means.
        guard !s.conditions.contains(where: { $0.operator.base == .null && $0.lookupKey == c.lookupKey }) else { return }
        let name = op.description
        let trueWhenMissing = op.ifExists || op.qualifier == .forAllValues || (op.qualifier == nil && op.base.isNegated)
        if s.effect == .deny, !trueWhenMissing {
            let alternative = op.qualifier == nil && !op.base.isNegated ? "\(op.base.rawValue)IfExists" : "\(name)IfExists"
            out.append(PolicyWarning(.warning, .missingKeyEscapesDeny, statement: s,
                "a request without \(c.key) is not denied by this statement: \(name) is false when the key is missing",
                suggestion: "if a missing \(c.key) must be denied too, use \(alternative) or add a separate Deny with \"Null\": {\"\(c.key)\": \"true\"}"))
        } else if s.effect == .allow, trueWhenMissing {
            let why = op.ifExists ? "...IfExists is true" : (op.qualifier == .forAllValues ? "ForAllValues is true" : "\(name) is true")
            out.append(PolicyWarning(.warning, .missingKeyAllows, statement: s,
                "a request without \(c.key) passes this condition: \(why) when the key is missing",
                suggestion: "add \"Null\": {\"\(c.key)\": \"false\"} to require the key"))
        }
    }

    /// Conditions that contradict each other make the statement unmatchable.
    private func lintContradictions(_ s: PolicyStatement, _ out: inout [PolicyWarning]) {
        var byKey: [String: [PolicyCondition]] = [:]
        for c in s.conditions { byKey[c.lookupKey, default: []].append(c) }
        for (_, cs) in byKey where cs.count > 1 {
            let key = cs[0].key
            // Null true (the key must be missing) with an operator that is false without it.
            if cs.contains(where: { if case let .null(v) = $0.matcher { return v == [true] } else { return false } }),
                let other = cs.first(where: { c in
                    c.operator.base != .null && !c.operator.ifExists && c.operator.qualifier != .forAllValues
                        && (c.operator.qualifier == .forAnyValue || !c.operator.base.isNegated)
                }) {
                never(s, "Null requires \(key) to be missing but \(other.operator) requires it to be present", &out)
                continue
            }
            // StringEquals A with StringNotEquals B where every value of A is in B.
            let plain = cs.filter { $0.operator.qualifier == nil }
            if let eq = plain.first(where: { $0.operator.base == .stringEquals }),
                let ne = plain.first(where: { $0.operator.base == .stringNotEquals }),
                !eq.values.isEmpty, Set(eq.values).isSubset(of: Set(ne.values)),
                !eq.values.contains(where: { Template($0, variables: version.supportsVariables).hasVariables }) {
                never(s, "StringEquals and StringNotEquals on \(key) exclude every value", &out)
                continue
            }
            // Numeric and date ranges with nothing in them.
            for family in [0, 1] {
                var low: (Double, Bool)?  // bound, inclusive
                var high: (Double, Bool)?
                for c in plain {
                    let cmp: PolicyCondition.Comparison, vals: [Double?]
                    switch (family, c.matcher) {
                    case let (0, .numeric(k, v)), let (1, .date(k, v)): (cmp, vals) = (k, v)
                    default: continue
                    }
                    let nums = vals.compactMap { $0 }
                    guard !nums.isEmpty, nums.count == vals.count else { continue }
                    switch cmp {
                    case .less, .lessOrEqual:
                        let b = (nums.max()!, cmp == .lessOrEqual)
                        if high == nil || b.0 < high!.0 || (b.0 == high!.0 && !b.1) { high = b }
                    case .greater, .greaterOrEqual:
                        let b = (nums.min()!, cmp == .greaterOrEqual)
                        if low == nil || b.0 > low!.0 || (b.0 == low!.0 && !b.1) { low = b }
                    case .equal: continue
                    }
                }
                if let l = low, let h = high, l.0 > h.0 || (l.0 == h.0 && !(l.1 && h.1)) {
                    never(s, "the \(family == 0 ? "numeric" : "date") conditions on \(key) admit no value", &out)
                }
            }
        }
    }

    private func never(_ s: PolicyStatement, _ why: String, _ out: inout [PolicyWarning]) {
        out.append(PolicyWarning(.error, .neverMatches, statement: s, "the statement never matches: \(why)"))
    }
}
