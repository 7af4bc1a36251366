#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed librados call: the operation, the object it was about, and the errno librados
/// returned (as a positive number).
public struct RadosError: Error, Hashable, CustomStringConvertible {
    /// What callers branch on. Everything else is `.other`; `code` has the detail.
    public enum Kind: Sendable, Hashable {
        /// A guard of a write operation (`WriteOperation.compare`) did not hold (ECANCELED):
        /// the operation changed nothing.
        case guardFailed
        /// The object (or the pool) does not exist (ENOENT).
        case notFound
        /// An exclusive create found the object (EEXIST).
        case exists
        case other
    }

    /// The errno, positive.
    public let code: Int32
    /// The librados call or wrapper operation that failed.
    public let operation: String
    /// The object name, when the call was about one.
    public let object: String?
    /// For `.guardFailed`: the index of the guard that did not hold, among the operation's
    /// guards in the order they were added, when librados reported it.
    public let failedGuard: Int?

    public init(code: Int32, operation: String, object: String? = nil, failedGuard: Int? = nil) {
        self.code = code < 0 ? -code : code
        self.operation = operation
        self.object = object
        self.failedGuard = failedGuard
    }

    public var kind: Kind {
        switch code {
        case ECANCELED: .guardFailed
        case ENOENT: .notFound
        case EEXIST: .exists
        default: .other
        }
    }

    public var description: String {
        let subject = object.map { " \($0)" } ?? ""
        return "\(operation)\(subject): \(String(cString: strerror(code))) (errno \(code))"
    }

    /// Throws if `rc` (a librados return value) is negative.
    static func check(_ rc: Int32, _ operation: String, _ object: String? = nil) throws(RadosError) {
        if rc < 0 { throw RadosError(code: rc, operation: operation, object: object) }
    }
}
