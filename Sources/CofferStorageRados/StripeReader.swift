import CofferRados
import CofferStorage

/// How a read treats deletion marks and stripes that vanish.
enum ReadMode: Sendable {
    /// The live store: a blob marked deleted reads as empty, and a stripe removed between its
    /// index read and its data read (reclaimed meanwhile) reads as missing.
    case live
    /// A read view within its lifetime: deletion marks are ignored (the blob was readable
    /// when the view was taken, or was written since), indexes are kept in the cache; a stripe
    /// removed under the view throws `.io` (reclaimed too early: not a missing package).
    case view(StripeIndexCache)
    /// A read view past its lifetime (the associated duration): indexes are read afresh; a
    /// stripe marked deleted throws `.io` (it may be reclaimed any moment), an unmarked one
    /// is read, since no reclamation can remove it within the reclaim delay. So a slow
    /// reader of a blob nobody deletes never fails.
    case expiredView(Duration)
}

/// Reads stripes: shared by the live store and its read views.
struct StripeReader: Sendable {
    let io: IOContext
    let layout: BlobStripes

    /// Stripes read at once by one read.
    static let window = 8

    /// The index of stripe `stripe` of `blob`; nil if the object does not exist.
    func index(_ blob: BlobID, stripe: Int) async throws(StorageError) -> StripeIndex? {
        let object = layout.object(blob, stripe: stripe)
        let page: OmapPage
        do {
            page = try await io.omapPage(object, prefix: [], after: nil, max: BlobStripes.omapReadCap)
        } catch where error.kind == .notFound {
            return nil
        } catch {
            throw StorageError(.io, "\(error)")
        }
        guard !page.more else { throw StorageError(.corruption, "stripe object \(object) has more omap entries than a stripe's index") }
        return try StripeIndex(page.entries, stripe: stripe, of: layout, object: object)
    }

    /// Packages `packages` of `blob`, stopping at the first missing one, as `mode` says.
    func read(_ blob: BlobID, _ packages: Range<Int>, _ mode: ReadMode) async throws(StorageError) -> [[UInt8]] {
        guard packages.lowerBound >= 0, packages.upperBound <= BlobStripes.maxPackageIndex + 1 else {
            throw StorageError(.invalidArgument, "chunks \(packages) out of range")
        }
        guard !packages.isEmpty else { return [] }
        let last = layout.stripe(of: packages.upperBound - 1)
        var result: [[UInt8]] = []
        result.reserveCapacity(min(packages.count, 1024))
        var stripe = layout.stripe(of: packages.lowerBound)
        while stripe <= last {
            let window = Array(stripe...min(last, stripe + Self.window - 1))
            let layout = self.layout
            let parts = try await concurrently(window, limit: window.count) { stripe throws(StorageError) in
                try await readStripe(blob, stripe, packages.clamped(to: layout.packages(of: stripe)), mode)
            }
            for (stripe, part) in zip(window, parts) {
                result += part
                if part.count < packages.clamped(to: layout.packages(of: stripe)).count { return result }
            }
            stripe += window.count
        }
        return result
    }

    /// The packages of `wanted` (within stripe `stripe`) stored without a gap from its start.
    private func readStripe(_ blob: BlobID, _ stripe: Int, _ wanted: Range<Int>, _ mode: ReadMode) async throws(StorageError) -> [[UInt8]] {
        let object = layout.object(blob, stripe: stripe)
        let index: StripeIndex
        if case .view(let cache) = mode, let cached = cache.index(of: object), cached.holds(wanted) {
            index = cached
        } else {
            guard let read = try await self.index(blob, stripe: stripe) else { return [] }
            if case .view(let cache) = mode { cache.keep(read, of: object) }
            index = read
        }
        if index.deleted {
            switch mode {
            case .live: return []
            case .view: break
            case .expiredView(let lifetime):
                throw StorageError(.io, "read view expired: a RADOS blob view reads deleted blobs for \(lifetime) only, and blob \(blob) was deleted")
            }
        }
        let run = index.run(wanted)
        guard !run.lengths.isEmpty else { return [] }
        let total = run.lengths.reduce(0, +)
        let data: [UInt8]
        do {
            data = try await io.readData(object, offset: UInt64(run.offset), length: total)
        } catch where error.kind == .notFound {
            if case .live = mode { return [] }
            throw StorageError(.io, "stripe object \(object) was reclaimed under a read view (its blob was deleted before the view was taken, or the reclaim delay is too short for the clock skew between nodes)")
        } catch {
            throw StorageError(.io, "\(error)")
        }
        guard data.count == total else {
            throw StorageError(.corruption, "stripe object \(object) holds \(data.count) bytes from offset \(run.offset) where its index places \(total)")
        }
        var packages: [[UInt8]] = []
        packages.reserveCapacity(run.lengths.count)
        var at = 0
        for length in run.lengths {
            packages.append(Array(data[at..<at + length]))
            at += length
        }
        return packages
    }

    /// How many stripes `blob` spans (0 for an unknown blob): the count stripe 0 records (1
    /// without one), then a stat of each following stripe until one is missing, in case the
    /// last batch's record failed.
    func stripeCount(of blob: BlobID) async throws(StorageError) -> Int {
        var exists = true
        var count = 1
        do {
            let values = try await io.omapValues(layout.object(blob, stripe: 0), keys: [BlobStripes.stripesKey])
            if let recorded = values[BlobStripes.stripesKey], recorded.count == 4 { count = max(1, Int(BlobStripes.readBigEndian(recorded))) }
        } catch where error.kind == .notFound {
            exists = false
        } catch {
            throw StorageError(.io, "\(error)")
        }
        while count <= layout.stripe(of: BlobStripes.maxPackageIndex) {
            do {
                _ = try await io.stat(layout.object(blob, stripe: count))
                count += 1
            } catch where error.kind == .notFound {
                break
            } catch {
                throw StorageError(.io, "\(error)")
            }
        }
        return exists || count > 1 ? count : 0
    }
}
