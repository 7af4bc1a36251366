import CofferStorage
import Synchronization

/// A read view of a ``RadosBlobStore``: reads stripes as they are, ignoring deletion marks
/// (deleted blobs keep their objects for the store's reclaim delay), for the store's view
/// lifetime. Past it, the view still reads blobs that are not deleted (no reclamation can
/// remove them within the reclaim delay, so a slow GET of an object nobody replaces never
/// fails) and refuses, with `.io` "read view expired", blobs deleted meanwhile, whose
/// objects may be reclaimed at any moment: a missing package would otherwise be reported
/// as corruption.
///
/// It keeps the stripe indexes it read: a stored index entry never changes (packages are
/// written once and removed only with their whole object), so a kept index that holds every
/// package asked for is as good as a fresh one, and a GET reading a blob batch after batch
/// reads each stripe's index once.
final class RadosBlobReadView: BlobReader {
    let reader: StripeReader
    /// After this instant (monotonic, this process's clock) the view refuses to read.
    let expires: ContinuousClock.Instant
    let lifetime: Duration
    let cache = StripeIndexCache()
    /// The blobs listed for ``blobs(from:limit:)`` (RadosBlobInventory.swift), once.
    let inventory = BlobInventoryListing()

    init(reader: StripeReader, expires: ContinuousClock.Instant, lifetime: Duration) {
        self.reader = reader
        self.expires = expires
        self.lifetime = lifetime
    }

    func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        try await reader.read(blob, packages, ContinuousClock.now < expires ? .view(cache) : .expiredView(lifetime))
    }
}

/// The stripe indexes a read view read, by object name: at most ``capacity`` (all dropped
/// when full; a reader moves through stripes in order, so only the last few matter).
final class StripeIndexCache: Sendable {
    static let capacity = 16
    private let indexes = Mutex<[String: StripeIndex]>([:])

    func index(of object: String) -> StripeIndex? { indexes.withLock { $0[object] } }

    func keep(_ index: StripeIndex, of object: String) {
        indexes.withLock { indexes in
            if indexes.count >= Self.capacity { indexes.removeAll(keepingCapacity: true) }
            indexes[object] = index
        }
    }
}
