import CofferStorage

/// Errors of the CofferAudit module. Messages name files, lines and field names, never the
/// values of a record's parameters (which might be secrets a caller passed by mistake).
public struct AuditError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The record carries a field that must never be audited (a `Plaintext` key).
        case secretRefused
        /// The event is not a valid CloudTrail-shaped record.
        case invalidEvent
        /// A read, write, fsync or rename of the trail failed.
        case io
        /// The trail on disk cannot be continued (an unreadable last record).
        case corruptTrail
        /// The signing key pair cannot be read or created.
        case signingKey
        /// The trail was closed, or broke on an earlier write failure and refuses records.
        case unavailable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "AuditError.\(code.rawValue): \(message)" }
}

extension AuditError {
    /// A failure of the trail's ``AuditSink``: `.unavailable` when another writer holds it,
    /// else `.io`. Sink messages name items and system reasons, never record values.
    init(storage error: StorageError) {
        self.init(error.code == .writerActive ? .unavailable : .io, error.message)
    }

    /// Runs a sink call, turning its error into an ``AuditError``.
    static func storage<T>(_ body: () throws(StorageError) -> T) throws(AuditError) -> T {
        do {
            return try body()
        } catch {
            throw AuditError(storage: error)
        }
    }
}
