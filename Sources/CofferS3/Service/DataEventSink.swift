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
}
