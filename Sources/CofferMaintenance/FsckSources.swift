import CofferCrypto
import CofferStorage

/// What `coffer fsck` reads, already open: the store's two read views as of one moment, the
/// SSE-S3 root keys and the audit trail. Offline, ``Fsck/run(dataDirectory:operatorRootKey:options:)``
/// opens them from a data directory; a running server builds them from its own open store
/// (``levelDB(snapshot:rootKeys:audit:)``) and checks the same way, read-only.
public struct FsckSources: Sendable {
    /// The store, or why it could not be opened (a finding).
    public enum Store: Sendable {
        /// A metadata read view and a blob read view with its inventory, as of one moment.
        case readers(metadata: any MetadataReader, blobs: any BlobInventory)
        /// The store could not be opened: reported as `storeUnreadable`.
        case unavailable(String)
    }

    /// The SSE-S3 root keys, or why they are not available.
    public enum RootKeys: Sendable {
        case loaded(RootKeyring)
        /// Reported as `rootKeysUnavailable`; SSE-S3 and built-in SSE-KMS data keys are then
        /// checked without opening.
        case unavailable(String)
    }

    /// The audit trail and the public key its digests verify under.
    public enum Audit: Sendable {
        case trail(any AuditSinkReader, publicKey: [UInt8])
        /// Reported as `auditTrail`.
        case unavailable(String)
    }

    public var store: Store
    public var rootKeys: RootKeys
    /// Nil: the trail is not checked.
    public var audit: Audit?

    public init(store: Store, rootKeys: RootKeys, audit: Audit?) {
        self.store = store
        self.rootKeys = rootKeys
        self.audit = audit
    }

    /// The sources of a LevelDB store at `snapshot`: records and packages as of that one moment
    /// (a server keeps serving and writing meanwhile; the snapshot does not move).
    public static func levelDB(snapshot: LevelDB.Snapshot, rootKeys: RootKeys, audit: Audit?) -> FsckSources {
        FsckSources(store: .readers(metadata: snapshot.metadataReader, blobs: snapshot.blobInventory), rootKeys: rootKeys, audit: audit)
    }
}

/// How `coffer fsck` checks.
public struct FsckOptions: Sendable {
    /// Whether the server uses a remote key service for SSE-KMS (`--kms-endpoint`): SSE-KMS
    /// objects whose key is not in the built-in key store are then counted as not opened;
    /// otherwise each is a `kmsKeyMissing` finding.
    public var remoteKeyService = false
    /// Findings listed per kind; more are counted (``FsckReport/maxListedPerKind``).
    public var maxListedPerKind = 100
    /// Packages read per call: memory stays at about this many packages (64 KiB each).
    public var packagesPerRead = 8
    /// Entries per metadata scan page and per inventory page.
    public var pageSize = 256

    public init() {}
}
