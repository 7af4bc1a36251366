import CofferAudit

/// Where the S3 pipeline records its CloudTrail data events (the object operations, and every
/// refused request). The server's audit recorder implements it; recording happens before the
/// answer leaves, and a failure to record fails the request.
public protocol DataEventSink: Sendable {
    /// Whether events are recorded at all (off only in benchmarks measuring the trail's cost).
    var isEnabled: Bool { get }
    /// Records one S3 event about `key` (nil for a bucket operation) of the call's bucket;
    /// `ownerAccount` owns the bucket, `failure` is the refusal, if any.
    func record(_ eventName: String, call: S3Call, key: String?, ownerAccount: String, failure: AuditFailure?, parameters: [String: AuditJSON]) throws
    /// The record of a write about to commit, built now and appended by ``append(_:)`` once
    /// the commit returned; its bytes go into the commit itself (a `CommitNote`), so a crash
    /// between the two cannot leave a committed write without its record. Nil when events are
    /// not recorded.
    func prepare(_ eventName: String, call: S3Call, key: String?, ownerAccount: String, parameters: [String: AuditJSON]) throws -> PreparedDataEvent?
    /// Appends a prepared record.
    func append(_ prepared: PreparedDataEvent) throws
}

/// A data event built before its write commits: `id` is its event id, `bytes` its JSON (what
/// the commit's note holds), `event` the event itself when it was built in this process (so
/// that appending it does not parse the JSON again).
public struct PreparedDataEvent: Sendable {
    public let id: String
    public let bytes: [UInt8]
    public let event: AuditEvent?

    public init(id: String, bytes: [UInt8], event: AuditEvent? = nil) {
        self.id = id
        self.bytes = bytes
        self.event = event
    }
}
