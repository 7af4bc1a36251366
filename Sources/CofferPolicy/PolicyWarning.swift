/// A finding of `Policy.lint`: something legal that probably does not do what its author meant.
public struct PolicyWarning: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable {
        /// The statement (or part of it) can never take effect.
        case error
        /// A likely mistake.
        case warning
        /// Worth knowing.
        case info
    }

    public enum Code: String, Sendable, Codable {
        case unknownConditionKey = "unknown-condition-key"
        case conditionKeyNotApplicable = "condition-key-not-applicable"
        case missingKeyEscapesDeny = "missing-key-escapes-deny"
        case missingKeyAllows = "missing-key-allows"
        case notPrincipalWithAllow = "not-principal-with-allow"
        case notPrincipalStillDenies = "not-principal-still-denies"
        case publicWrite = "public-write"
        case neverMatches = "never-matches"
        case unknownAction = "unknown-action"
        case invalidConditionValue = "invalid-condition-value"
        case variablesNeedVersion = "variables-need-version"
        case missingVersion = "missing-version"
        case setOperatorOnSingleValuedKey = "set-operator-on-single-valued-key"
        case duplicateConditionKey = "duplicate-condition-key"
    }

    public var severity: Severity
    public var code: Code
    /// The statement concerned (0-based), nil for the whole policy.
    public var statementIndex: Int?
    public var sid: String?
    public var message: String
    /// A fix, or the spelling the author probably meant.
    public var suggestion: String?

    public init(_ severity: Severity, _ code: Code, statement: PolicyStatement?, _ message: String, suggestion: String? = nil) {
        self.severity = severity
        self.code = code
        self.statementIndex = statement?.index
        self.sid = statement?.sid
        self.message = message
        self.suggestion = suggestion
    }

    enum CodingKeys: String, CodingKey { case severity, code, statementIndex, sid, message, suggestion }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(severity, forKey: .severity)
        try c.encode(code, forKey: .code)
        try c.encode(statementIndex, forKey: .statementIndex)
        try c.encode(sid, forKey: .sid)
        try c.encode(message, forKey: .message)
        try c.encode(suggestion, forKey: .suggestion)
    }

    /// `warning statement 1 "DenyHTTP": message (suggestion)`.
    public var description: String {
        var s = severity.rawValue
        if let i = statementIndex { s += " statement \(i)" + (sid.map { " \"\($0)\"" } ?? "") }
        s += ": " + message
        if let suggestion { s += " (" + suggestion + ")" }
        return s
    }
}
