import CofferAudit
import CofferCrypto
import CofferKMS
import CofferRados
import CofferServer
import CofferStorage
import CofferStorageRados
import Foundation
import Logging
import Synchronization

/// What `coffer serve --storage rados` runs on: one pool of a Ceph cluster that every node of
/// a deployment shares (docs/scale-out.md "Layout in the pool"):
///
/// | object | holds |
/// |---|---|
/// | `coffer.metadata` | the metadata store's omap (``RadosMetadataStore``): buckets, object records, versions, uploads, parts, blob markers, every node's notes, and the built-in KMS's key and alias records (``RadosKMSRecordStore``, the same key space as LevelDB's) |
/// | `blob.…` stripe objects, the reclaim queue | sealed object and part bytes (``RadosBlobStore``) |
/// | `audit.<node>` and `audit.<node>/<name>` | each node's audit trail (``RadosAuditSink``) |
/// | `coffer.events` | no data: its watchers (every node) hear of KMS key changes |
/// | `coffer.deployment` | the account id and the SSE-S3 root key's check value, set by the first node |
///
/// Everything written is what the LevelDB store holds: sealed packages and records, never
/// plaintext, never a data key or root key in the clear.
public final class RadosSharedStore: SharedStore {
    public let description: String
    public let node: String
    public let metadata: any MetadataStore
    public let blobs: any BlobStore
    public let kmsRecords: any KMSRecordStore
    let io: IOContext
    let blobStore: RadosBlobStore
    let logger: Logger
    /// The reclaimer of deleted blobs, while started.
    private let reclaimer = Mutex<Task<Void, Never>?>(nil)
    /// The watches of ``watchKeyChanges(_:)`` (kept alive; a lost one is replaced).
    private let watches = Mutex<[Watch]>([])

    static let metadataObject = "coffer.metadata"
    static let deploymentObject = "coffer.deployment"

    init(description: String, node: String, io: IOContext, metadata: RadosMetadataStore, blobs: RadosBlobStore, logger: Logger) {
        self.description = description
        self.node = node
        self.io = io
        self.metadata = metadata
        self.blobStore = blobs
        self.blobs = blobs
        self.kmsRecords = RadosKMSRecordStore(io: io, object: Self.metadataObject)
        self.logger = logger
    }

    /// Connects as `client.<user>` with `conf` and opens the stores in `pool` (which must
    /// exist: Coffer does not create pools, whose replication and placement are the cluster
    /// operator's choice).
    public static func open(conf: String, pool: String, user: String, node: String, logger: Logger) async throws -> RadosSharedStore {
        try RadosAuditSink.checkNode(node)
        let cluster = try await Cluster.connect(conf: conf, user: user)
        let io = try await cluster.ioContext(pool: pool)
        let metadata = try await RadosMetadataStore.open(io: io, object: metadataObject)
        let blobs = try RadosBlobStore(io: io)
        return RadosSharedStore(description: "rados pool \(pool) (conf \(conf), client.\(user)), node \(node)",
                                node: node, io: io, metadata: metadata, blobs: blobs, logger: logger)
    }

    public func auditSink() throws -> any AuditSink {
        try RadosAuditSink(io: io, node: node)
    }

    public func auditSinks() throws -> [String: any AuditSinkReader] {
        var sinks: [String: any AuditSinkReader] = [:]
        for name in try RadosAuditSink.nodes(io: io) { sinks[name] = try RadosAuditSink(io: io, node: name) }
        return sinks
    }

    public func publishAuditPublicKey(_ key: [UInt8]) async throws {
        var operation = WriteOperation()
        operation.create(exclusive: false)
        operation.set([(key: Array((Self.auditKeyPrefix + node).utf8), value: Array(Base64.encode(key).utf8))])
        try await io.operate(operation, on: Self.deploymentObject)
    }

    public func auditPublicKeys() async throws -> [String: [UInt8]] {
        var keys: [String: [UInt8]] = [:]
        var after: [UInt8]? = nil
        while let page = try await deploymentPage(prefix: Array(Self.auditKeyPrefix.utf8), after: after) {
            for entry in page.entries {
                let node = String(decoding: entry.key.dropFirst(Self.auditKeyPrefix.utf8.count), as: UTF8.self)
                guard let key = Base64.decode(String(decoding: entry.value, as: UTF8.self)) else {
                    throw SharedStoreMismatch("the audit public key of node \(node) in \(Self.deploymentObject) is not base64")
                }
                keys[node] = key
            }
            guard page.more, let last = page.entries.last else { break }
            after = last.key
        }
        return keys
    }

    /// A page of the deployment object's omap, nil while the object does not exist.
    private func deploymentPage(prefix: [UInt8], after: [UInt8]?) async throws(RadosError) -> OmapPage? {
        do {
            return try await io.omapPage(Self.deploymentObject, prefix: prefix, after: after, max: 1000)
        } catch where error.kind == .notFound {
            return nil
        }
    }

    /// Deployment omap keys of the nodes' audit public keys: this prefix and the node name.
    static let auditKeyPrefix = "audit-public-key/"

    public func adoptAccountId(_ proposed: String) async throws -> String {
        try await adopt("account-id", proposed)
    }

    public func adoptRootKeyCheck(_ check: String) async throws {
        let recorded = try await adopt("root-key-check", check)
        guard recorded == check else {
            throw SharedStoreMismatch(
                "this node's SSE-S3 root key is not the deployment's (check value \(check), the cluster's \(recorded)): every node "
                    + "must be given the same root key (COFFER_SSE_S3_ROOT_KEY or keys/sse-s3-root-keys.json; docs/scale-out.md)")
        }
    }

    /// The deployment's value of `name`: the one recorded, or `proposed` recorded now by an
    /// atomic write guarded on its absence (so two first nodes starting at once agree).
    private func adopt(_ name: String, _ proposed: String) async throws -> String {
        let key = Array(name.utf8), value = Array(proposed.utf8)
        precondition(!value.isEmpty, "deployment values are never empty (an absent omap key compares as empty)")
        var operation = WriteOperation()
        operation.create(exclusive: false)
        operation.compare(key: key, .equal, [])
        operation.set([(key: key, value: value)])
        if try await Self.apply(operation, on: Self.deploymentObject, io: io) { return proposed }
        let stored = try await io.omapValues(Self.deploymentObject, keys: [key])
        guard let recorded = stored[key] else { throw SharedStoreMismatch("\(Self.deploymentObject) lost \(name) while it was read") }
        return String(decoding: recorded, as: UTF8.self)
    }

    /// Applies `operation`: true, or false when one of its guards did not hold.
    private static func apply(_ operation: WriteOperation, on object: String, io: IOContext) async throws(RadosError) -> Bool {
        do {
            try await io.operate(operation, on: object)
            return true
        } catch where error.kind == .guardFailed {
            return false
        }
    }

    /// The object whose watchers hear of KMS key changes.
    static let eventsObject = "coffer.events"
    static let keyChangedEvent = Array("kms-key-changed".utf8)

    public func watchKeyChanges(_ handler: @escaping @Sendable () -> Void) throws {
        let watch = try io.watch(Self.eventsObject, onError: { [weak self] error in
            // Announcements may have been missed while the watch was lost: drop the cache, watch again.
            handler()
            guard let self else { return }
            self.logger.warning("the watch for KMS key changes was lost; watching again", metadata: ["error": .string(error.description)])
            // Not on librados's callback thread, which a blocking librados call must not hold.
            Thread.detachNewThread {
                do { try self.watchKeyChanges(handler) } catch {
                    self.logger.error("cannot watch for KMS key changes again; cached bucket keys of this node may outlive key changes on other nodes for their lifetime",
                                      metadata: ["error": .string("\(error)")])
                }
            }
        }) { _ in handler() }
        watches.withLock { $0.append(watch) }
    }

    public func announceKeyChange() async {
        do {
            try await io.notify(Self.eventsObject, payload: Self.keyChangedEvent)
        } catch {
            logger.warning("could not tell the other nodes of a KMS key change; their cached bucket keys expire within their lifetime",
                           metadata: ["error": .string(error.description)])
        }
    }

    public func start() {
        let blobs = blobStore, logger = logger
        reclaimer.withLock { task in
            guard task == nil else { return }
            task = Task.detached {
                await blobs.reclaimPeriodically(every: .seconds(30)) { error in
                    logger.warning("reclaiming deleted blobs failed; the next pass tries again", metadata: ["error": .string(error.description)])
                }
            }
        }
    }

    public func close() async {
        let task = reclaimer.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
        for watch in watches.withLock({ watches in defer { watches.removeAll() }; return watches }) { watch.cancel() }
    }
}

/// Nodes of one deployment disagree with what the cluster records.
public struct SharedStoreMismatch: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
