/// A condition on the object a commit replaces, checked atomically with the commit (the
/// commit is conditional on the record it was checked against being unchanged): S3's
/// conditional writes (`If-None-Match: *`, `If-Match: <etag>`).
public enum WritePrecondition: Sendable, Equatable {
    /// Always write.
    case none
    /// Write only if no object exists under the key; otherwise `.preconditionFailed`.
    case absent
    /// Write only if the current object has this ETag; `.notFound` when there is no object,
    /// `.preconditionFailed` when its ETag differs.
    case etagMatches(String)

    public func check(_ current: ObjectRecord?) throws(StorageError) {
        switch self {
        case .none:
            return
        case .absent:
            if current != nil { throw StorageError(.preconditionFailed, "an object exists under the key") }
        case .etagMatches(let etag):
            guard let current else { throw StorageError(.notFound, "no object exists under the key") }
            if current.etag != etag { throw StorageError(.preconditionFailed, "the object's ETag differs") }
        }
    }
}
