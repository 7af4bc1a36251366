import CofferRados
import CofferStorage
import Synchronization

/// What `coffer fsck --storage rados` and `coffer migrate` walk: the blobs a RADOS blob store
/// holds, in id order, and the packages each stripe indexes.
///
/// RADOS lists a pool's objects in hash order, so the first page lists every stripe object of
/// the store once (one walk of the pool, on a thread of its own), keeps the blob ids sorted in
/// the view, and pages through them; each blob's stripe 0 is read to leave out blobs already
/// deleted (queued for reclamation: no record references them and their marker is gone).
/// The listing is live, not a snapshot: a blob written or deleted during the walk may show up
/// as an orphan. Run it while no node writes (as `coffer migrate` does: its destination is
/// new) or read its orphan findings with that in mind.
extension RadosBlobReadView: BlobInventory {
    func blobs(from cursor: BlobInventoryCursor?, limit: Int) async throws(StorageError) -> BlobInventoryPage {
        guard limit > 0 else { throw StorageError(.invalidArgument, "inventory limit \(limit) is not positive") }
        let all = try await inventory.ids(reader: reader)
        let start: Int
        if let cursor {
            guard let blob = cursor.blob else { throw StorageError(.invalidArgument, "inventory cursor names no blob") }
            start = all.firstIndex { !$0.bytes.lexicographicallyPrecedes(blob.bytes) } ?? all.count
        } else {
            start = 0
        }
        let candidates = Array(all[start...])
        var page = BlobInventoryPage(blobs: [], strayNames: [], next: nil)
        var position = 0
        let reader = self.reader
        while page.blobs.count < limit, position < candidates.count {
            let batch = Array(candidates[position..<min(position + limit - page.blobs.count, candidates.count)])
            let live = try await concurrently(batch, limit: RadosBlobStore.concurrency) { blob throws(StorageError) in
                try await reader.index(blob, stripe: 0).map { !$0.deleted } ?? true
            }
            page.blobs += zip(batch, live).filter(\.1).map(\.0)
            position += batch.count
        }
        if position < candidates.count { page.next = BlobInventoryCursor(at: candidates[position]) }
        return page
    }

    func packageIndexes(of blob: BlobID, from index: Int, limit: Int) async throws(StorageError) -> [Int] {
        guard index >= 0, limit > 0 else { return [] }
        let stripes = try await reader.stripeCount(of: blob)
        var indexes: [Int] = []
        var stripe = reader.layout.stripe(of: index)
        while stripe < stripes, indexes.count < limit {
            if let stored = try await reader.index(blob, stripe: stripe) {
                indexes += stored.packages.filter { $0 >= index }.prefix(limit - indexes.count)
            }
            stripe += 1
        }
        return indexes
    }
}

/// The sorted blob ids of a view's inventory, listed once per view.
final class BlobInventoryListing: Sendable {
    private let listed = Mutex<[BlobID]?>(nil)

    func ids(reader: StripeReader) async throws(StorageError) -> [BlobID] {
        if let ids = listed.withLock({ $0 }) { return ids }
        let io = reader.io, layout = reader.layout
        let names = try await rados { () throws(RadosError) in try await io.objectNames(prefix: layout.objectPrefix) }
        let ids = Set(names.compactMap { layout.parse($0)?.blob }).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        listed.withLock { $0 = ids }
        return ids
    }
}
