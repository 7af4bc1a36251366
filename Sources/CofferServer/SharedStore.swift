import CofferAudit
import CofferKMS
import CofferStorage

/// A store that several Coffer nodes share (`--storage rados`): everything a node keeps but
/// its credentials, TLS material and audit signing key (which stay in its data dir). The
/// `coffer` executable opens one when it is built with librados and passes it to
/// ``CofferServer/sharedStore``; ``CofferServer/assemble(clock:)`` then builds the server on
/// it instead of the data dir's LevelDB.
public protocol SharedStore: Sendable {
    /// Where it is, for the banner and logs (never a secret).
    var description: String { get }
    /// This node's name among the nodes sharing the store.
    var node: String { get }
    /// Buckets, object records, uploads, parts, notes.
    var metadata: any MetadataStore { get }
    /// Sealed object and part bytes.
    var blobs: any BlobStore { get }
    /// The built-in KMS's key and alias records.
    var kmsRecords: any KMSRecordStore { get }
    /// This node's audit sink (its own hash-chained trail; ``AuditSink`` claims one writer).
    func auditSink() throws -> any AuditSink
    /// Every node's audit sink that holds a trail, by node name, for reading them merged.
    func auditSinks() throws -> [String: any AuditSinkReader]
    /// Publishes this node's audit digest public key (raw Ed25519, 32 bytes), so that
    /// `coffer audit verify --storage rados` can check every node's trail from anywhere.
    /// Whoever can write the cluster can replace it, as whoever can write a data dir can
    /// replace the key file there (docs/audit-trail.md "Limits").
    func publishAuditPublicKey(_ key: [UInt8]) async throws
    /// Every node's published audit public key, by node name.
    func auditPublicKeys() async throws -> [String: [UInt8]]
    /// The deployment's account id: the value stored in the cluster, or `proposed` stored
    /// now if none is (the first node to start decides; every node then answers with it).
    func adoptAccountId(_ proposed: String) async throws -> String
    /// Checks that `check` (a key check value of the SSE-S3 root keys, never a key) is the
    /// deployment's, recording it if it is the first; throws if nodes were given different
    /// root keys, which would make each unable to open the other's objects.
    func adoptRootKeyCheck(_ check: String) async throws
    /// Calls `handler` whenever any node (this one included) announces a KMS key change
    /// (``announceKeyChange()``), and when the store may have missed announcements (a lost
    /// watch, which it then re-establishes): the node drops its cached S3 Bucket Keys.
    func watchKeyChanges(_ handler: @escaping @Sendable () -> Void) throws
    /// Tells every node that a KMS key's state or an alias changed, and returns once they have
    /// acknowledged (or a few seconds passed: a node that does not answer may be down).
    func announceKeyChange() async
    /// Starts the store's background work (reclaiming deleted blobs) until `close`.
    func start()
    /// Stops background work (the cluster connection ends when the last part using it is
    /// released).
    func close() async
}
