/// Reads of an ordered key-value store of byte strings: the live store, or a snapshot of it.
///
/// Keys are ordered bytewise (unsigned lexicographic order, a key before its extensions).
/// Every method may cross a network: callers batch what they can (``get(keys:)``, paged
/// ``scan(_:)``) instead of issuing one call per key.
public protocol MetadataReader: Sendable {
    /// The value stored under `key`, or nil.
    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]?

    /// The values stored under `keys` (nil where absent), in the order of `keys`, all read as
    /// of one moment.
    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?]

    /// One page of the entries whose keys start with `request.prefix`, in key order, from
    /// `request.start`, at most `request.limit` of them. `.invalidArgument` if the limit is
    /// not positive.
    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage
}

/// Coffer's ordered metadata store: records, blob markers, the store format, KMS keys.
///
/// The contract every implementation keeps (and the conformance suite checks):
/// - **Atomic commits.** ``commit(_:durability:)`` applies every put and delete of a batch or
///   none of them, in batch order (a later operation on a key wins).
/// - **Conditional commits.** A batch's conditions are checked and its writes applied as one
///   atomic step with respect to every other commit, in this process or any other: no commit
///   lands between the check and the write. If a condition fails nothing is written and the
///   commit throws `.conditionFailed` naming the key (or prefix) of the first failed
///   condition.
/// - **Durability.** A `.synced` commit is on stable storage when it returns; a `.buffered`
///   one survives a process crash but may be lost with the machine, and never after a later
///   synced commit of the same store.
/// - **Snapshots.** ``snapshot()`` returns a read view that answers as of the moment it was
///   taken, whatever is committed afterwards, and never with a mix of two states. A store
///   that cannot pin a view (RADOS: ``isolation`` is `.validated`) checks on every read that
///   nothing was committed since and otherwise throws `.snapshotExpired`; LevelDB and the
///   memory store pin (`.pinned`) and never throw it.
public protocol MetadataStore: MetadataReader {
    /// Applies `batch` atomically if its conditions hold.
    func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError)

    /// ``commit(_:durability:)``, fulfilling `announcements` (``announceCommit()``) once the
    /// batch is handed to the store's writer.
    func commit(_ batch: MetadataBatch, durability: Durability, fulfilling announcements: [CommitAnnouncement]) async throws(StorageError)

    /// Announces a synced commit that is on its way, so that a store that groups synced
    /// commits may wait a moment for it (see ``CommitAnnouncement``).
    func announceCommit() -> CommitAnnouncement

    /// A consistent read view as of now. Release it promptly: it may pin old versions.
    func snapshot() async throws(StorageError) -> any MetadataReader

    /// How ``snapshot()`` keeps its promise.
    var isolation: SnapshotIsolation { get }
}

/// How a store's snapshots answer as of the moment they were taken.
public enum SnapshotIsolation: Sendable, Hashable {
    /// The store pins the state: a snapshot answers whatever is committed afterwards.
    case pinned
    /// The store validates each read against the state the snapshot was taken in, and the
    /// read throws `.snapshotExpired` once a commit has changed it.
    case validated
}

extension MetadataStore {
    /// LevelDB and memory stores pin their snapshots.
    public var isolation: SnapshotIsolation { .pinned }

    /// Stores that do not group commits ignore announcements (they end when released).
    public func commit(_ batch: MetadataBatch, durability: Durability, fulfilling announcements: [CommitAnnouncement]) async throws(StorageError) {
        try await commit(batch, durability: durability)
    }

    /// Stores that do not group commits announce nothing.
    public func announceCommit() -> CommitAnnouncement {
        CommitAnnouncement()
    }
}

/// How durable a write is when the call returns.
public enum Durability: Sendable, Hashable {
    /// On stable storage: survives power loss. Concurrent synced writes may share one sync.
    case synced
    /// Survives a process crash, not necessarily power loss; ordered before later writes.
    case buffered
}
