import CofferRados
import CofferStorage
import Foundation

/// ``BlobStore`` on Ceph RADOS: a blob's packages grouped into stripe objects, deletions
/// deferred through a durable reclaim queue so that read views on any node keep reading
/// (docs/scale-out.md, "RadosBlobStore").
///
/// - **Stripes.** Package `i` of a blob lives in stripe object `i / packagesPerStripe`
///   (default 64: 4 MiB of 64 KiB packages, the size of Ceph's own S3 gateway's objects; one
///   RADOS object per package would be millions of tiny objects). Each batch is appended to
///   its stripe(s) with the stripe's index entries (package number → length) in the SAME
///   atomic write operation, so an index never names bytes that are not there
///   (``BlobStripes`` has the layout). A package may hold at most
///   `128 MiB / packagesPerStripe` bytes (`osd_max_object_size`).
/// - **Reads** take two round trips per stripe: the stripe's whole index (one omap read),
///   then the bytes of the packages asked for (one data read); the stripes of a range are read
///   concurrently, eight at a time. A read view keeps the indexes it read (they never change
///   once written), so a GET reading a blob batch after batch pays one round trip per batch
///   after the first of each stripe.
/// - **Deletion is deferred.** RADOS has no snapshot every node could read through without
///   coordinating writers, so ``delete(_:)`` removes nothing: it records the blob in the reclaim
///   queue (`<prefix>blob-reclaim`, durably) and marks each stripe deleted, then returns. From
///   then on live reads and ``packageCount()`` treat the blob as gone, while read views, which
///   ignore the marks, still read it. ``reclaimDue(now:)`` (called by the owner, e.g. through
///   ``reclaimPeriodically(every:onError:)``) removes the stripe objects of blobs deleted at
///   least ``reclaimDelay`` ago.
/// - **Read views** are cheap (no round trip). A view reads deleted blobs for
///   ``viewLifetime`` only: past it, a read of a blob deleted meanwhile fails with `.io`
///   ("read view expired") rather than risk reporting a reclaimed package as missing, i.e. as
///   corruption, while blobs not deleted stay readable (a slow GET of an object nobody
///   replaces never fails). ``reclaimDelay`` must exceed ``viewLifetime`` by more than the
///   clock skew between nodes (deletion times are the deleting node's clock, compared by the
///   sweeping node's) plus the longest read.
/// - **What a view shows.** Every blob readable when it was taken, until it expires. It does
///   not hide blobs written after it was taken, nor blobs deleted before it was taken and not
///   yet reclaimed: without a cluster-wide order of writes that would take a round trip to a
///   shared object per view, hiding by wall-clock time could hide a committed blob from a node
///   whose clock lags (``BlobStore/readView()`` leaves both unspecified; ``ObjectStore``
///   reaches blobs only through records read before the view).
/// - **Durability.** A librados write completes once committed on every replica: `.synced` and
///   `.buffered` are the same.
///
/// All librados calls are asynchronous, except the pool listing of ``packageCount()``, which
/// runs on a thread of its own (``IOContext/objectNames(prefix:)``).
public final class RadosBlobStore: BlobStore {
    /// The pool's I/O context.
    public let io: IOContext
    /// Prepended to every object name of the store (`<prefix>blob.<id>.<stripe>`,
    /// `<prefix>blob-reclaim`), so that several stores can share a pool.
    public let prefix: String
    /// Packages per stripe object.
    public let packagesPerStripe: Int
    /// The largest package accepted: `128 MiB / packagesPerStripe`.
    public let maxPackageBytes: Int
    /// How long a deleted blob's objects stay after its deletion.
    public let reclaimDelay: Duration
    /// How long a read view reads.
    public let viewLifetime: Duration

    let layout: BlobStripes
    let reader: StripeReader

    /// `osd_max_object_size`'s default: a stripe object never grows past it.
    static let maxObjectBytes = 128 << 20
    /// One write operation appends at most this many bytes (`osd_max_write_size` is 90 MB).
    static let maxAppendBytes = 16 << 20
    /// Stripe objects touched at once by one call (reads, deletions, counts).
    static let concurrency = 16

    /// A store in `io`'s pool, its objects named with `prefix`. Throws `.invalidArgument`
    /// unless `packagesPerStripe` is in 1...1016 (a stripe's index is read in one omap read,
    /// capped at 1024 entries) and `0 <= viewLifetime < reclaimDelay`.
    public init(
        io: IOContext,
        prefix: String = "",
        packagesPerStripe: Int = 64,
        reclaimDelay: Duration = .seconds(300),
        viewLifetime: Duration = .seconds(240)
    ) throws(StorageError) {
        guard (1...BlobStripes.maxPackagesPerStripe).contains(packagesPerStripe) else {
            throw StorageError(.invalidArgument, "packagesPerStripe \(packagesPerStripe) is not in 1...\(BlobStripes.maxPackagesPerStripe)")
        }
        guard viewLifetime >= .zero, viewLifetime < reclaimDelay else {
            throw StorageError(.invalidArgument, "viewLifetime \(viewLifetime) must be at least zero and less than reclaimDelay \(reclaimDelay)")
        }
        self.io = io
        self.prefix = prefix
        self.packagesPerStripe = packagesPerStripe
        self.maxPackageBytes = Self.maxObjectBytes / packagesPerStripe
        self.reclaimDelay = reclaimDelay
        self.viewLifetime = viewLifetime
        self.layout = BlobStripes(prefix: prefix, packagesPerStripe: packagesPerStripe)
        self.reader = StripeReader(io: io, layout: layout)
    }

    /// The name of stripe object `stripe` of `blob` (for checks and tests).
    public func objectName(of blob: BlobID, stripe: Int) -> String { layout.object(blob, stripe: stripe) }

    /// The name of the reclaim queue's object.
    public var reclaimQueueObject: String { layout.reclaimQueue }

    // MARK: Writes

    /// One write of a batch: packages appended to one stripe, or stripe 0's stripe count raised.
    private enum Step: Sendable {
        case append(stripe: Int, first: Int, packages: ArraySlice<[UInt8]>)
        case recordStripes(Int)
    }

    /// Appends the batch to its stripes (concurrently when it spans several), each stripe's
    /// part in one atomic write operation with its index entries, guarded so that a package is
    /// never written twice nor below one already written (`.invalidArgument`), nor into a
    /// deleted blob. A batch that reaches past stripe 0 also raises the stripe count recorded
    /// in stripe 0. A batch spanning stripes is atomic per stripe only: a failed write leaves
    /// a blob its writer abandons (and deletes).
    public func write(_ blob: BlobID, packages: [[UInt8]], startingAt first: Int, durability: Durability) async throws(StorageError) {
        guard first >= 0, first <= BlobStripes.maxPackageIndex - packages.count + 1 else {
            throw StorageError(.invalidArgument, "blob \(blob) has too many chunks")
        }
        guard !packages.isEmpty else { return }
        if let large = packages.firstIndex(where: { $0.count > maxPackageBytes }) {
            throw StorageError(.invalidArgument, "package \(first + large) of blob \(blob) holds \(packages[large].count) bytes, more than a stripe allows (\(maxPackageBytes))")
        }
        var steps: [Step] = []
        var offset = 0
        while offset < packages.count {
            let stripe = layout.stripe(of: first + offset)
            let end = min(packages.count, layout.packages(of: stripe).upperBound - first)
            steps.append(.append(stripe: stripe, first: first + offset, packages: packages[offset..<end]))
            offset = end
        }
        let lastStripe = layout.stripe(of: first + packages.count - 1)
        if lastStripe > 0 { steps.append(.recordStripes(lastStripe + 1)) }
        try await concurrently(steps, limit: Self.concurrency) { (step: Step) throws(StorageError) -> Void in
            switch step {
            case .append(let stripe, let first, let packages): try await self.append(blob, stripe: stripe, first: first, packages)
            case .recordStripes(let count): try await self.recordStripes(blob, count)
            }
        }
    }

    /// Appends `packages` (numbers `first...`) to stripe `stripe`, in write operations of at
    /// most ``maxAppendBytes`` (at least one package each), one after the other.
    private func append(_ blob: BlobID, stripe: Int, first: Int, _ packages: ArraySlice<[UInt8]>) async throws(StorageError) {
        let object = layout.object(blob, stripe: stripe)
        var start = packages.startIndex
        while start < packages.endIndex {
            var end = start, bytes = 0
            while end < packages.endIndex, end == start || bytes + packages[end].count <= Self.maxAppendBytes {
                bytes += packages[end].count
                end += 1
            }
            let firstIndex = first + (start - packages.startIndex)
            var data: [UInt8] = []
            data.reserveCapacity(bytes)
            var entries: [(key: [UInt8], value: [UInt8])] = []
            entries.reserveCapacity(end - start + 1)
            for (offset, package) in packages[start..<end].enumerated() {
                data += package
                entries.append((BlobStripes.packageKey(firstIndex + offset), BlobStripes.bigEndian(UInt64(package.count), bytes: 4)))
            }
            entries.append((BlobStripes.nextKey, BlobStripes.bigEndian(UInt64(firstIndex + (end - start)), bytes: 8)))
            var operation = WriteOperation()
            operation.create(exclusive: false)
            operation.compare(key: BlobStripes.deletedKey, .equal, [])
            operation.compare(key: BlobStripes.nextKey, .less, BlobStripes.bigEndian(UInt64(firstIndex + 1), bytes: 8))
            operation.append(data)
            operation.set(entries)
            do {
                try await io.operate(operation, on: object)
            } catch where error.kind == .guardFailed {
                if error.failedGuard == 0 { throw StorageError(.invalidArgument, "blob \(blob) is deleted: no package can be written to it") }
                throw StorageError(.invalidArgument, "package \(firstIndex) of blob \(blob) is written already, or a later package is: packages are written once, in ascending order")
            } catch {
                throw StorageError(.io, "\(error)")
            }
            start = end
        }
    }

    /// Raises the stripe count recorded in stripe 0 to `count` (a no-op if it is higher).
    private func recordStripes(_ blob: BlobID, _ count: Int) async throws(StorageError) {
        let value = BlobStripes.bigEndian(UInt64(count), bytes: 4)
        var operation = WriteOperation()
        operation.create(exclusive: false)
        operation.compare(key: BlobStripes.stripesKey, .less, value)
        operation.set([(BlobStripes.stripesKey, value)])
        do {
            try await io.operate(operation, on: layout.object(blob, stripe: 0))
        } catch where error.kind == .guardFailed {
            return // already at least `count`
        } catch {
            throw StorageError(.io, "\(error)")
        }
    }

    // MARK: Reads

    /// Packages of a blob not deleted; a deleted blob reads as empty (a live read honours
    /// deletion marks, unlike a read view).
    public func read(_ blob: BlobID, packages: Range<Int>) async throws(StorageError) -> [[UInt8]] {
        try await reader.read(blob, packages, .live)
    }

    /// A view reading every blob readable now, even once deleted, for ``viewLifetime``; past
    /// it, only blobs not deleted. No round trip to take it.
    public func readView() async throws(StorageError) -> any BlobReader {
        RadosBlobReadView(reader: reader, expires: ContinuousClock.now + viewLifetime, lifetime: viewLifetime)
    }

    /// The packages of blobs not deleted: lists the pool's objects with the store's prefix (a
    /// full walk of the pool, on a thread of its own), then reads each stripe's index.
    public func packageCount() async throws(StorageError) -> Int {
        let stripes = try await stripeObjects().compactMap(layout.parse)
        let reader = self.reader
        let counts = try await concurrently(stripes, limit: Self.concurrency) { stripe throws(StorageError) in
            guard let index = try await reader.index(stripe.blob, stripe: stripe.stripe), !index.deleted else { return 0 }
            return index.packages.count
        }
        return counts.reduce(0, +)
    }

    /// The names of the pool's objects in the store's stripe name space (listing the pool:
    /// for checks and tests).
    public func stripeObjects() async throws(StorageError) -> [String] {
        let io = self.io, prefix = layout.objectPrefix
        return try await rados { () throws(RadosError) in try await io.objectNames(prefix: prefix) }
    }

    // MARK: Deletion

    /// Queues `blob` for reclamation and marks its stripes deleted (a no-op for an unknown
    /// blob). When it returns, the queue entry is durable and live reads no longer see the
    /// blob; its objects stay for read views until ``reclaimDue(now:)`` runs ``reclaimDelay``
    /// later. Three round trips: stripe 0's recorded stripe count, a probe past it, then the
    /// queue entry and the marks together.
    public func delete(_ blob: BlobID) async throws(StorageError) {
        let stripes = try await reader.stripeCount(of: blob)
        guard stripes > 0 else { return }
        let now = Self.milliseconds(Date())
        let queue = layout.reclaimQueue, mark = BlobStripes.bigEndian(now, bytes: 8), io = self.io, layout = self.layout
        let enqueue = {
            var operation = WriteOperation()
            operation.create(exclusive: false)
            operation.set([(BlobStripes.queueKey(milliseconds: now, blob), BlobStripes.bigEndian(UInt64(stripes), bytes: 4))])
            return operation
        }()
        // -1 stands for the queue entry; the marks go with it: if a crash leaves marks without
        // the entry, the caller's garbage marker is still there and the deletion is redone.
        try await concurrently(Array(-1..<stripes), limit: Self.concurrency) { (stripe: Int) throws(StorageError) -> Void in
            guard stripe >= 0 else {
                try await rados { () throws(RadosError) in try await io.operate(enqueue, on: queue) }
                return
            }
            var operation = WriteOperation()
            operation.assertExists()
            operation.set([(BlobStripes.deletedKey, mark)])
            do throws(RadosError) {
                try await io.operate(operation, on: layout.object(blob, stripe: stripe))
            } catch where error.kind == .notFound {
                return // a stripe never written (a gap)
            } catch {
                throw StorageError(.io, "\(error)")
            }
        }
    }

    /// Removes the objects of every blob deleted at least ``reclaimDelay`` before `now`
    /// (oldest first), then its queue entry; returns how many blobs it reclaimed. Safe to run
    /// on several nodes at once (removals of removed objects are ignored). Throws
    /// `.corruption` after the pass if the queue holds entries it cannot read (left in place).
    @discardableResult
    public func reclaimDue(now: Date = Date()) async throws(StorageError) -> Int {
        let delay = reclaimDelay.components
        let delayMilliseconds = UInt64(max(0, delay.seconds)) * 1000 + UInt64(max(0, delay.attoseconds)) / 1_000_000_000_000_000
        let nowMilliseconds = Self.milliseconds(now)
        let queue = layout.reclaimQueue, io = self.io, layout = self.layout
        var after: [UInt8]? = nil
        var reclaimed = 0
        var malformed: [[UInt8]] = []
        pages: while true {
            let page: OmapPage
            do {
                page = try await io.omapPage(queue, prefix: [], after: after, max: 256)
            } catch where error.kind == .notFound {
                break
            } catch {
                throw StorageError(.io, "\(error)")
            }
            for entry in page.entries {
                guard let (deleted, blob) = BlobStripes.parseQueueKey(entry.key), entry.value.count == 4 else {
                    malformed.append(entry.key)
                    continue
                }
                guard nowMilliseconds >= deleted, nowMilliseconds - deleted >= delayMilliseconds else { break pages }
                let stripes = Int(BlobStripes.readBigEndian(entry.value))
                try await concurrently(Array(0..<stripes), limit: Self.concurrency) { (stripe: Int) throws(StorageError) -> Void in
                    do throws(RadosError) {
                        try await io.remove(layout.object(blob, stripe: stripe))
                    } catch where error.kind == .notFound {
                        return
                    } catch {
                        throw StorageError(.io, "\(error)")
                    }
                }
                var done = WriteOperation()
                done.remove(keys: [entry.key])
                try await rados { () throws(RadosError) in try await io.operate(done, on: queue) }
                reclaimed += 1
            }
            guard page.more, let last = page.entries.last else { break }
            after = last.key
        }
        if let first = malformed.first {
            throw StorageError(.corruption, "the reclaim queue \(queue) holds \(malformed.count) entries that are no deletion, first \(StorageError.printable(first)); \(reclaimed) blob(s) reclaimed")
        }
        return reclaimed
    }

    /// Runs ``reclaimDue(now:)`` every `period` until the task is cancelled, handing errors to
    /// `onError` (the next pass tries again). The owner runs it in a task of its own.
    public func reclaimPeriodically(every period: Duration, onError: @Sendable (StorageError) -> Void = { _ in }) async {
        while !Task.isCancelled {
            do throws(StorageError) {
                try await reclaimDue()
            } catch {
                onError(error)
            }
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
        }
    }

    static func milliseconds(_ date: Date) -> UInt64 {
        UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
