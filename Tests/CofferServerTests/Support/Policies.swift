import Foundation

/// Bucket and identity policy documents for the tests, written as JSON text.
enum Policies {
    enum Principal {
        /// `{"AWS": "arn:aws:iam::<account>:user/<name>"}`.
        case user(String, account: String)
        /// `"*"`: everyone, anonymous callers included.
        case anyone
        /// No `Principal` (identity policies).
        case none

        var json: String? {
            switch self {
            case .user(let name, let account): #"{"AWS": "arn:aws:iam::\#(account):user/\#(name)"}"#
            case .anyone: #""*""#
            case .none: nil
            }
        }
    }

    /// An Allow statement.
    static func statement(_ principal: Principal, actions: [String], resources: [String]) -> String {
        statement("Allow", principal, actions: actions, resources: resources)
    }

    /// `notResources`: the statement names `NotResource` (every resource but these) instead.
    static func statement(_ effect: String, _ principal: Principal, actions: [String], resources: [String], notResources: Bool = false) -> String {
        var fields = [#""Effect": "\#(effect)""#]
        if let principal = principal.json { fields.append(#""Principal": \#(principal)"#) }
        fields.append(#""Action": [\#(actions.map { "\"\($0)\"" }.joined(separator: ", "))]"#)
        fields.append(#""\#(notResources ? "NotResource" : "Resource")": [\#(resources.map { "\"\($0)\"" }.joined(separator: ", "))]"#)
        return "{\(fields.joined(separator: ", "))}"
    }

    static func document(_ statements: String...) -> String { document(statements) }

    static func document(_ statements: [String]) -> String {
        #"{"Version": "2012-10-17", "Statement": [\#(statements.joined(separator: ", "))]}"#
    }
}
