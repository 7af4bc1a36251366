/// Evaluation with IAM's logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny in
/// any matching statement wins; otherwise an Allow in any matching statement allows; otherwise
/// the request is implicitly denied. A statement matches when its Principal (or NotPrincipal),
/// Action (or NotAction), Resource (or NotResource) and every condition match.
///
/// Every statement is evaluated (not only until the first Deny) so the decision can explain
/// each one. The hot path records one small outcome per statement; the explanations
/// (`PolicyDecision.statements`) are built from them only when someone reads them.
extension Policy {
    public func evaluate(_ request: PolicyRequest) -> PolicyDecision {
        var outcomes: [StatementOutcome] = []
        outcomes.reserveCapacity(statements.count)
        var allows: [PolicyDecision.MatchedStatement] = []
        var denies: [PolicyDecision.MatchedStatement] = []
        var missing = MissingKeys()
        var action = request.action
        var resource = request.resource
        let context = request.context
        action.withUTF8 { a in
            resource.withUTF8 { r in
                for i in statements.indices {
                    let s = statements[i]
                    let outcome = s.outcome(request, a, r, context)
                    // Statements whose principal and action match are the ones the request's
                    // context could decide: report the keys they read that the request lacks.
                    if outcome.element == StatementOutcome.matched || outcome.element >= StatementOutcome.resourceStage {
                        s.collectMissingKeys(context, into: &missing)
                    }
                    if outcome.element == StatementOutcome.matched {
                        let m = PolicyDecision.MatchedStatement(sid: s.sid, index: s.index, effect: s.effect)
                        if s.effect == .deny { denies.append(m) } else { allows.append(m) }
                    }
                    outcomes.append(outcome)
                }
            }
        }
        let decision: PolicyDecision.Decision
        let matched: [PolicyDecision.MatchedStatement]
        if !denies.isEmpty {
            (decision, matched) = (.explicitDeny, denies)
        } else if !allows.isEmpty {
            (decision, matched) = (.allow, allows)
        } else {
            (decision, matched) = (.implicitDeny, [])
        }
        return PolicyDecision(decision: decision, matchedStatements: matched, missingContextKeys: missing.sorted,
            explanations: DeferredExplanations(statements: statements, request: request, outcomes: outcomes))
    }

    /// The bare verdict without explanations: the fastest path, for callers that only need it.
    public func decide(_ request: PolicyRequest) -> PolicyDecision.Decision {
        var action = request.action
        var resource = request.resource
        let context = request.context
        var allowed = false
        let denied = action.withUTF8 { a in
            resource.withUTF8 { r in
                for i in statements.indices {
                    let s = statements[i]
                    if s.effect == .allow, allowed { continue }
                    if s.outcome(request, a, r, context).element == StatementOutcome.matched {
                        if s.effect == .deny { return true }
                        allowed = true
                    }
                }
                return false
            }
        }
        return denied ? .explicitDeny : (allowed ? .allow : .implicitDeny)
    }
}

/// What happened to one statement: matched, or the first element that did not match (and for a
/// condition, which one). Plain data, so recording it costs no reference counting.
struct StatementOutcome: Sendable, Equatable {
    static let matched: UInt8 = 0
    static let principal: UInt8 = 1
    static let action: UInt8 = 2
    /// Outcomes from here on passed Principal and Action.
    static let resourceStage: UInt8 = 3
    static let resource: UInt8 = 3
    static let condition: UInt8 = 4

    var element: UInt8
    var condition: Int32 = 0
}

extension PolicyStatement {
    /// Whether the statement matches, or where it first does not.
    func outcome(
        _ request: PolicyRequest, _ action: UnsafeBufferPointer<UInt8>, _ resource: UnsafeBufferPointer<UInt8>,
        _ context: [String: [String]]
    ) -> StatementOutcome {
        if principals != nil, !principalApplies(request) { return StatementOutcome(element: StatementOutcome.principal) }
        var anyAction = false
        for i in actionGlobs.indices where actionGlobs[i].matches(action) {
            anyAction = true
            break
        }
        if anyAction == isNotAction { return StatementOutcome(element: StatementOutcome.action) }
        var anyResource = false
        for i in resourcePatterns.indices where resourcePatterns[i].matches(resource, context) {
            anyResource = true
            break
        }
        if anyResource == isNotResource { return StatementOutcome(element: StatementOutcome.resource) }
        for i in conditions.indices where !conditions[i].holds(in: context) {
            return StatementOutcome(element: StatementOutcome.condition, condition: Int32(i))
        }
        return StatementOutcome(element: StatementOutcome.matched)
    }

    /// Whether the Principal or NotPrincipal element takes in the request, weighing every
    /// principal the request carries (`PolicyPrincipal.facets`: a user carries its ARN and its
    /// account):
    /// - Principal: an entry names one of them (so an account names all of its principals).
    /// - NotPrincipal with Deny: the request escapes only when every one is listed (IAM User
    ///   Guide, "NotPrincipal": exempting user Bob takes his user ARN and his account's ARN; the
    ///   account alone exempts its root user only).
    /// - NotPrincipal with Allow, which IAM no longer supports: granted only when none is listed,
    ///   the reading that grants least.
    func principalApplies(_ request: PolicyRequest) -> Bool {
        let facets = request.principalFacets
        if !isNotPrincipal {
            for f in facets where names(f, request) { return true }
            return false
        }
        var listed = 0
        for f in facets where names(f, request) { listed += 1 }
        return effect == .deny ? listed < facets.count : listed == 0
    }

    /// Whether an entry names the principal the request carries as `facet`.
    private func names(_ facet: PrincipalFacet, _ request: PolicyRequest) -> Bool {
        for i in principalMatchers.indices where principalMatchers[i].matches(request.principal, facet, sessionRole: request.sessionRole) {
            return true
        }
        return false
    }

    /// The explanation of an outcome.
    func explanation(_ o: StatementOutcome, _ request: PolicyRequest) -> StatementExplanation {
        let reason: NonMatchReason?
        switch o.element {
        case StatementOutcome.principal:
            reason = NonMatchReason(element: isNotPrincipal ? .notPrincipal : .principal, policyValues: principalTexts,
                request: request.principal.description)
        case StatementOutcome.action:
            reason = NonMatchReason(element: isNotAction ? .notAction : .action, policyValues: actions, request: request.action)
        case StatementOutcome.resource:
            reason = NonMatchReason(element: isNotResource ? .notResource : .resource, policyValues: resources, request: request.resource)
        case StatementOutcome.condition:
            let c = conditions[Int(o.condition)]
            reason = NonMatchReason(condition: c, requestValues: request.context[c.lookupKey].flatMap { $0.isEmpty ? nil : $0 })
        default:
            reason = nil
        }
        return StatementExplanation(index: index, sid: sid, effect: effect, matched: reason == nil, reason: reason)
    }

    /// Adds the keys this statement's conditions and variables read that the request lacks.
    func collectMissingKeys(_ context: [String: [String]], into missing: inout MissingKeys) {
        for i in readKeys.indices {
            if let v = context[readKeys[i].lookup], !v.isEmpty { continue }
            missing.add(readKeys[i].lookup, readKeys[i].written)
        }
    }

    /// The context keys the statement reads: condition keys, then variables without a default
    /// (in conditions and resources). Lowercased for lookup, and as written.
    static func readKeys(_ conditions: [PolicyCondition], _ resources: [ResourcePattern]) -> [(lookup: String, written: String)] {
        var out: [(lookup: String, written: String)] = []
        func add(_ l: String, _ w: String) { if !out.contains(where: { $0.lookup == l }) { out.append((l, w)) } }
        for c in conditions {
            add(c.lookupKey, c.key)
            for t in c.templates {
                for v in t.variableLookups where !v.hasDefault { add(v.key, v.written) }
            }
        }
        for case let .template(t) in resources {
            for v in t.variableLookups where !v.hasDefault { add(v.key, v.written) }
        }
        return out
    }
}

extension PolicyCondition {
    /// The values that hold policy variables.
    var templates: [Template] {
        switch matcher {
        case let .equals(values), let .equalsIgnoreCase(values):
            return values.compactMap { if case let .template(t) = $0 { return t } else { return nil } }
        case let .like(values):
            return values.compactMap { if case let .template(t) = $0 { return t } else { return nil } }
        case let .arn(values):
            return values.compactMap { if case let .template(t) = $0 { return t } else { return nil } }
        default:
            return []
        }
    }
}

/// The explanations of one evaluation, built on demand from the outcomes.
final class DeferredExplanations: Sendable {
    let statements: [PolicyStatement]
    let request: PolicyRequest
    let outcomes: [StatementOutcome]

    init(statements: [PolicyStatement], request: PolicyRequest, outcomes: [StatementOutcome]) {
        self.statements = statements
        self.request = request
        self.outcomes = outcomes
    }

    func materialize() -> [StatementExplanation] {
        zip(statements, outcomes).map { $0.explanation($1, request) }
    }
}

/// The keys a request lacked, deduplicated case-insensitively, kept as the policy spells them.
struct MissingKeys {
    private var lookups: [String] = []
    private var written: [String] = []

    mutating func add(_ lookup: String, _ spelling: String) {
        guard !lookups.contains(lookup) else { return }
        lookups.append(lookup)
        written.append(spelling)
    }

    var sorted: [String] { written.count > 1 ? written.sorted() : written }
}
