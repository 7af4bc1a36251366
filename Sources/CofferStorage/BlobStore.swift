/// Reads of a blob store: the live store, or a read view of it.
public protocol BlobReader: Sendable {
    /// Packages `packages` of `blob`, in order. Stops at the first missing package: a result
    /// shorter than the range means package `packages.lowerBound + result.count` is missing
    /// (never written, deleted, or damaged), which callers report as corruption.
    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]]
}

/// Coffer's blob store: the sealed bytes of objects and parts, by blob id, as numbered
/// packages (chunks) 0, 1, 2... Package values are opaque; a blob is written once, by one
/// writer, and never rewritten (a new version of an object is a new blob).
///
/// Which blobs exist is the metadata store's business (records and pending/garbage markers):
/// the blob store only keeps bytes.
public protocol BlobStore: BlobReader {
    /// Writes `packages` as packages `first`, `first + 1`... of `blob` (one batch).
    func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError)

    /// Deletes every package of `blob` (a no-op for an unknown blob). When it returns, the
    /// deletion is ordered before any later commit of the metadata store that goes with it.
    func delete(_ blob: BlobID) async throws(StorageError)

    /// A read view as of now: a blob readable now stays readable through the view while the
    /// view lives, even if it is deleted meanwhile. Release it promptly (a store may bound a
    /// view's life: the RADOS store's views refuse reads after a few minutes).
    ///
    /// Whether the view also shows blobs written after it was taken is up to the store: the
    /// LevelDB and memory stores' views are snapshots and do not, a RADOS view does. Callers
    /// reach blobs through records read before the view, so they never ask.
    func readView() async throws(StorageError) -> any BlobReader

    /// The number of packages stored, all blobs together: a full scan, for tests and checks.
    func packageCount() async throws(StorageError) -> Int
}
