/// Why a policy document was refused. `reason` is worded as S3's `MalformedPolicy` messages
/// (and IAM's, for identity policies), so the S3 layer can send it unchanged.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        case malformedJSON
        case documentTooLarge
        case duplicateKey
        case invalidVersion
        case unknownField
        case missingField
        case invalidEffect
        case invalidPrincipal
        case principalNotAllowed
        case invalidAction
        case invalidResource
        case actionDoesNotApply
        case invalidConditionOperator
        case invalidConditionKey
        case invalidConditionValue
        case invalidSid
        case conflictingElements
        case invalidStatement
    }

    public let code: Code
    public let reason: String
    /// The statement at fault (0-based), when there is one.
    public let statementIndex: Int?

    /// The S3 error code every policy refusal maps to.
    public var s3ErrorCode: String { "MalformedPolicy" }

    public var description: String { reason }

    init(_ code: Code, _ reason: String, statement: Int? = nil) {
        self.code = code
        self.reason = reason
        self.statementIndex = statement
    }

    static let notJSON = PolicyError(.malformedJSON, "Policies must be valid JSON and the first byte must be '{'")
    static let tooLarge = PolicyError(.documentTooLarge, "Policy document exceeds the maximum size")
    static func missing(_ field: String, _ s: Int? = nil) -> PolicyError {
        PolicyError(.missingField, "Missing required field \(field)", statement: s)
    }
    static func unknown(_ field: String, _ s: Int? = nil) -> PolicyError {
        PolicyError(.unknownField, "Unknown field \(field)", statement: s)
    }
    static func principal(_ s: Int) -> PolicyError { PolicyError(.invalidPrincipal, "Invalid principal in policy", statement: s) }
    static func action(_ s: Int) -> PolicyError { PolicyError(.invalidAction, "Policy has invalid action", statement: s) }
    static func resource(_ s: Int) -> PolicyError { PolicyError(.invalidResource, "Policy has invalid resource", statement: s) }
}
