/// The answer to one request under one policy, with its explanation.
///
/// JSON (`JSONEncoder` with `.sortedKeys` gives exactly this order):
/// `{"decision": "allow" | "explicit-deny" | "implicit-deny",
///   "matchedStatements": [{"effect": "Allow" | "Deny", "index": n, "sid": string or null}],
///   "missingContextKeys": [...], "statements": [...]}`
public struct PolicyDecision: Sendable, Codable, Equatable {
    public enum Decision: String, Sendable, Codable {
        case allow = "allow"
        case explicitDeny = "explicit-deny"
        case implicitDeny = "implicit-deny"

        public var isAllowed: Bool { self == .allow }
    }

    public struct MatchedStatement: Sendable, Codable, Equatable {
        public var sid: String?
        public var index: Int
        public var effect: Effect

        public init(sid: String?, index: Int, effect: Effect) {
            self.sid = sid
            self.index = index
            self.effect = effect
        }

        enum CodingKeys: String, CodingKey { case sid, index, effect }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sid, forKey: .sid)  // null, not absent, when there is no Sid
            try c.encode(index, forKey: .index)
            try c.encode(effect, forKey: .effect)
        }
    }

    public var decision: Decision
    /// For an allow, the Allow statements that matched; for an explicit deny, the Deny
    /// statements that matched; empty for an implicit deny.
    public var matchedStatements: [MatchedStatement]
    /// The condition keys (and variable keys) that statements matching the principal and action
    /// asked for and the request lacked, as the policy spells them, sorted.
    public var missingContextKeys: [String]
    /// One explanation per statement, in document order (built when read).
    public var statements: [StatementExplanation] {
        get {
            switch storage {
            case let .materialized(s): s
            case let .deferred(d): d.materialize()
            }
        }
        set { storage = .materialized(newValue) }
    }

    private enum Storage: Sendable {
        case materialized([StatementExplanation])
        case deferred(DeferredExplanations)
    }

    private var storage: Storage

    public init(decision: Decision, matchedStatements: [MatchedStatement], missingContextKeys: [String], statements: [StatementExplanation]) {
        self.decision = decision
        self.matchedStatements = matchedStatements
        self.missingContextKeys = missingContextKeys
        self.storage = .materialized(statements)
    }

    init(decision: Decision, matchedStatements: [MatchedStatement], missingContextKeys: [String], explanations: DeferredExplanations) {
        self.decision = decision
        self.matchedStatements = matchedStatements
        self.missingContextKeys = missingContextKeys
        self.storage = .deferred(explanations)
    }

    enum CodingKeys: String, CodingKey { case decision, matchedStatements, missingContextKeys, statements }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            decision: try c.decode(Decision.self, forKey: .decision),
            matchedStatements: try c.decode([MatchedStatement].self, forKey: .matchedStatements),
            missingContextKeys: try c.decode([String].self, forKey: .missingContextKeys),
            statements: try c.decode([StatementExplanation].self, forKey: .statements))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decision, forKey: .decision)
        try c.encode(matchedStatements, forKey: .matchedStatements)
        try c.encode(missingContextKeys, forKey: .missingContextKeys)
        try c.encode(statements, forKey: .statements)
    }

    public static func == (a: PolicyDecision, b: PolicyDecision) -> Bool {
        a.decision == b.decision && a.matchedStatements == b.matchedStatements
            && a.missingContextKeys == b.missingContextKeys && a.statements == b.statements
    }
}

/// Whether one statement matched the request and, if not, the first reason it did not.
public struct StatementExplanation: Sendable, Codable, Equatable {
    public var index: Int
    public var sid: String?
    public var effect: Effect
    public var matched: Bool
    public var reason: NonMatchReason?

    public init(index: Int, sid: String?, effect: Effect, matched: Bool, reason: NonMatchReason?) {
        self.index = index
        self.sid = sid
        self.effect = effect
        self.matched = matched
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case index, sid, effect, matched, reason }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(sid, forKey: .sid)
        try c.encode(effect, forKey: .effect)
        try c.encode(matched, forKey: .matched)
        try c.encode(reason, forKey: .reason)
    }
}

/// The first element of a statement that did not match. Statements are checked in the order
/// Principal, Action, Resource, Condition; conditions in the order written.
public struct NonMatchReason: Sendable, Codable, Equatable {
    public enum Element: String, Sendable, Codable {
        case principal = "Principal"
        case notPrincipal = "NotPrincipal"
        case action = "Action"
        case notAction = "NotAction"
        case resource = "Resource"
        case notResource = "NotResource"
        case condition = "Condition"
    }

    public var element: Element
    /// The condition operator as written (`ForAnyValue:StringLikeIfExists`), for conditions.
    public var conditionOperator: String? { op?.description }
    /// The condition key as written, for conditions.
    public var conditionKey: String?
    /// The policy's values for the element (principals, actions, resources, condition values).
    public var policyValues: [String]
    /// What the request had: its principal, action or resource, or the condition key's values
    /// (nil when the request lacked the key).
    public var requestValues: [String]? { single.map { [$0] } ?? multi }

    var op: ConditionOperator?
    var single: String?
    var multi: [String]?

    init(element: Element, policyValues: [String], request: String) {
        self.element = element
        self.policyValues = policyValues
        self.single = request
    }

    init(condition: PolicyCondition, requestValues: [String]?) {
        element = .condition
        op = condition.operator
        conditionKey = condition.key
        policyValues = condition.values
        multi = requestValues
    }

    /// One sentence: what the policy wanted and what the request had.
    public var message: String {
        let want = policyValues.joined(separator: ", ")
        switch element {
        case .principal: return "principal \(single ?? "") is not in Principal [\(want)]"
        case .notPrincipal: return "principal \(single ?? "") is excluded by NotPrincipal [\(want)]"
        case .action: return "action \(single ?? "") is not in Action [\(want)]"
        case .notAction: return "action \(single ?? "") is excluded by NotAction [\(want)]"
        case .resource: return "resource \(single ?? "") is not in Resource [\(want)]"
        case .notResource: return "resource \(single ?? "") is excluded by NotResource [\(want)]"
        case .condition:
            let o = conditionOperator ?? "", k = conditionKey ?? ""
            guard let have = multi else {
                return "\(o) \(k) [\(want)]: the request has no \(k)"
            }
            return "\(o) \(k) [\(want)] is false for the request's [\(have.joined(separator: ", "))]"
        }
    }

    enum CodingKeys: String, CodingKey {
        case element, `operator`, key, policyValues, requestValues, message
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        element = try c.decode(Element.self, forKey: .element)
        policyValues = try c.decode([String].self, forKey: .policyValues)
        let values = try c.decodeIfPresent([String].self, forKey: .requestValues)
        if element == .condition {
            op = try c.decodeIfPresent(String.self, forKey: .operator).flatMap(ConditionOperator.init)
            conditionKey = try c.decodeIfPresent(String.self, forKey: .key)
            multi = values
        } else {
            single = values?.first
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(element, forKey: .element)
        if element == .condition {
            try c.encode(conditionOperator, forKey: .operator)
            try c.encode(conditionKey, forKey: .key)
        }
        try c.encode(policyValues, forKey: .policyValues)
        try c.encode(requestValues, forKey: .requestValues)
        try c.encode(message, forKey: .message)
    }
}

extension PolicyDecision {
    /// The decision for people: the verdict, the statements that matched and, for the others,
    /// the first reason they did not.
    public func text() -> String {
        var lines = ["decision: \(decision.rawValue)"]
        let matched = statements.filter(\.matched)
        if !matched.isEmpty {
            lines.append("matched:")
            for s in matched {
                let decisive = matchedStatements.contains { $0.index == s.index }
                lines.append("  \(Self.label(s))\(decisive ? "" : " (outweighed by a Deny)")")
            }
        }
        let others = statements.filter { !$0.matched }
        if !others.isEmpty {
            lines.append("not matched:")
            for s in others {
                lines.append("  \(Self.label(s)): \(s.reason?.message ?? "")")
            }
        }
        if !missingContextKeys.isEmpty {
            lines.append("missing context keys: \(missingContextKeys.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func label(_ s: StatementExplanation) -> String {
        "statement \(s.index)\(s.sid.map { " \"\($0)\"" } ?? "") (\(s.effect.rawValue))"
    }
}
