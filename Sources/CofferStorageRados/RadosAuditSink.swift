import CofferRados
import CofferStorage
import Foundation

/// ``AuditSink`` in a Ceph RADOS pool: the audit trail of one Coffer node (docs/scale-out.md,
/// "RadosAuditSink"). Every node of a deployment writes its own trail, under its own node
/// name; readers list the nodes (``nodes(io:)``) to merge their trails.
///
/// - **Objects.** Segment or object `name` of node `n` is the RADOS object `audit.n/name`
///   (``dataObject(_:)``); the node's index object `audit.n` (``indexObject``) holds one omap
///   entry per name (value `open`, `sealed` or `object`) plus the sink's own keys, which start
///   with `.` as no name does (`.epoch`). ``list()`` pages that omap (names in bytewise order,
///   no pool listing). The omap of `audit-nodes` (``nodesObject``) names every node whose
///   writer was opened once.
/// - **One writer.** ``openWriter()`` takes the exclusive cls lock ``lockName`` on the index
///   object, with a cookie of its own and a duration (``lockDuration``, 30 s by default) so
///   that a crashed node's lock expires; a background thread of the writer renews it every
///   third of the duration (`LIBRADOS_LOCK_FLAG_MUST_RENEW`, so a lock that expired or was
///   broken is never silently taken back) and the writer refuses every call with
///   `.writerActive` once a renewal says the lock is gone. Releasing the writer stops the
///   thread and unlocks.
/// - **Fencing.** A writer whose lock expired while it was paused must not write after its
///   successor took over. Each writer takes the next **epoch** (`.epoch` of the index, a
///   20-digit decimal, bumped under a guard when the writer opens) and marks every segment it
///   creates, and every segment left open by its predecessors, with it (extended attribute
///   `coffer.epoch`). Every index change is guarded by `.epoch` equal to the writer's, every
///   data write by `coffer.epoch` not greater than the writer's: a writer that was succeeded
///   gets `.writerActive` and changes nothing that is listed.
/// - **Segments.** ``AuditSinkWriter/createSegment(_:durability:)`` writes the index entry
///   (`open`, guarded by the name being absent) first, then creates the object exclusively. A
///   crash between the two leaves a listed name without an object, which reads as the empty
///   segment it was about to be (and the next writer creates it when it fences it). Appends
///   are one write operation each, guarded by the length the writer expects (extended
///   attribute `coffer.length`, set by the same operation), writing at that offset: an append
///   is stored whole or not at all, and a retried or duplicated append can never store its
///   bytes twice. `truncate` is `rados_write_op_truncate` with the new length; `seal` turns the
///   index entry to `sealed`.
/// - **Objects** are one `write_full` (atomic on one object), then the index entry `object`. A
///   crash between the two leaves a new name's bytes in an object that is not listed (the
///   trail never reads an unlisted name; the next write of that name replaces it and lists
///   it); an existing object is replaced atomically either way.
/// - **Durability.** A librados write returns once committed on every replica, so `.buffered`
///   and `.synced` are the same, and `seal` has nothing left to flush.
///
/// Every call blocks its thread for its round trips (``BlockingIO``): the trail calls the sink
/// from synchronous code under its lock, as `AuditSink` says.
public struct RadosAuditSink: AuditSink {
    /// The object whose omap keys are the node names with a trail (values: their index objects).
    public static let nodesObject = "audit-nodes"
    /// The cls lock on the index object that makes one writer per node.
    public static let lockName = "coffer.audit.writer"
    /// The extended attribute of a data object: the epoch of the last writer that wrote it.
    static let epochXattr = "coffer.epoch"
    /// The extended attribute of a segment: its length, as its writer knows it.
    static let lengthXattr = "coffer.length"
    /// The index's epoch key (names never start with a dot).
    static let epochKey = Array(".epoch".utf8)
    /// The most bytes one read operation asks for.
    static let readPiece = 4 << 20
    /// The OSD's cap on entries per omap read (`osd_max_omap_entries_per_request`).
    static let pageCap = 1024

    /// What an index entry says about a name.
    enum Entry: String {
        /// A segment open for appending (by its writer, or left so by a crash).
        case open
        case sealed
        case object

        var isSegment: Bool { self != .object }
        var value: [UInt8] { Array(rawValue.utf8) }

        /// The entry stored for `name` in `index`; `.corruption` for an unknown value.
        init(_ name: String, _ stored: [UInt8], in index: String) throws(StorageError) {
            guard let entry = Entry(rawValue: String(decoding: stored, as: UTF8.self)) else {
                throw StorageError(.corruption, "\(index): the entry of \(name) is \(StorageError.printable(stored))")
            }
            self = entry
        }
    }

    /// The pool's I/O context.
    public let io: IOContext
    /// The node whose trail this is.
    public let node: String
    /// How long the writer's lock lasts without a renewal.
    public let lockDuration: Duration

    /// The sink of `node`'s trail in `io`'s pool. Nothing is created until ``openWriter()``.
    /// `.invalidArgument` unless `node` is 1 to 64 characters of `A-Z a-z 0-9 . _ -` and
    /// `lockDuration` is at least a second.
    public init(io: IOContext, node: String, lockDuration: Duration = .seconds(30)) throws(StorageError) {
        try Self.checkNode(node)
        guard lockDuration >= .seconds(1) else {
            throw StorageError(.invalidArgument, "the audit writer's lock duration \(lockDuration) is under a second")
        }
        self.io = io
        self.node = node
        self.lockDuration = lockDuration
    }

    /// `.invalidArgument` unless `node` is a valid node name.
    public static func checkNode(_ node: String) throws(StorageError) {
        let allowed = node.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
        guard allowed, (1...64).contains(node.utf8.count) else {
            throw StorageError(.invalidArgument, "\(StorageError.printable(Array(node.utf8.prefix(80)))) is not a valid audit node name (1 to 64 of A-Z a-z 0-9 . _ -)")
        }
    }

    /// The index object of this node's trail.
    public var indexObject: String { "audit.\(node)" }

    /// The RADOS object of segment or object `name`. Node names hold no `/` and names do not
    /// either, so no two (node, name) pairs share an object.
    public func dataObject(_ name: String) -> String { "audit.\(node)/\(name)" }

    /// The node names with a trail in `io`'s pool (their writer was opened once), in bytewise
    /// order.
    public static func nodes(io: IOContext) throws(StorageError) -> [String] {
        try omapEntries(io, nodesObject).map { entry throws(StorageError) in
            let key = entry.key
            guard let node = String(validating: key, as: UTF8.self), (try? checkNode(node)) != nil else {
                throw StorageError(.corruption, "\(nodesObject) lists \(StorageError.printable(key)), not a node name")
            }
            return node
        }
    }

    public func list() throws(StorageError) -> [String] {
        try entries().map(\.name)
    }

    /// Every name with its index entry, in bytewise order of the names.
    func entries() throws(StorageError) -> [(name: String, entry: Entry)] {
        var entries: [(name: String, entry: Entry)] = []
        for item in try Self.omapEntries(io, indexObject) where item.key.first != UInt8(ascii: ".") {
            guard let name = String(validating: item.key, as: UTF8.self), (try? AuditSinkName.check(name)) != nil else {
                throw StorageError(.corruption, "\(indexObject) lists \(StorageError.printable(item.key)), not an audit sink name")
            }
            entries.append((name, try Entry(name, item.value, in: indexObject)))
        }
        return entries
    }

    public func read(_ name: String, from offset: Int) throws(StorageError) -> [UInt8] {
        try AuditSinkName.check(name)
        guard offset >= 0 else { throw StorageError(.invalidArgument, "negative offset \(offset)") }
        let object = dataObject(name)
        var bytes: [UInt8]
        let size: UInt64
        do {
            (size, bytes) = try io.blocking.readWithSize(object, offset: UInt64(offset), length: Self.readPiece)
        } catch where error.kind == .notFound {
            // A segment whose creation a crash cut after its index entry: empty.
            if try entry(name)?.isSegment == true { return [] }
            throw StorageError(.notFound, "no audit item \(name) of node \(node)")
        } catch {
            throw StorageError(.io, "\(error)")
        }
        // The rest, in pieces, up to the size seen with the first piece.
        var position = UInt64(offset) + UInt64(bytes.count)
        while position < size {
            let piece = try radosBlocking { () throws(RadosError) in
                try io.blocking.read(object, offset: position, length: Int(min(UInt64(Self.readPiece), size - position)))
            }
            if piece.isEmpty { break }  // cut back meanwhile (a truncate)
            bytes += piece
            position += UInt64(piece.count)
        }
        return bytes
    }

    /// Claims the writer role: registers the node in ``nodesObject``, takes the lock, takes the
    /// next epoch, and fences every segment left open (marks it with the new epoch, creating
    /// it when a crash cut its creation). `.writerActive` while another writer holds the lock.
    public func openWriter() throws(StorageError) -> any AuditSinkWriter {
        var register = WriteOperation()
        register.create(exclusive: false)
        register.set([(key: Array(node.utf8), value: Array(indexObject.utf8))])
        try radosBlocking { () throws(RadosError) in try io.blocking.operate(register, on: Self.nodesObject) }

        let cookie = UUID().uuidString
        let description = "coffer audit writer of node \(node) (pid \(ProcessInfo.processInfo.processIdentifier))"
        do {
            try io.blocking.lockExclusive(indexObject, lock: Self.lockName, cookie: cookie, description: description, duration: lockDuration)
        } catch where error.code == EBUSY {
            throw StorageError(.writerActive, "another audit writer holds the lock of node \(node) (\(indexObject))")
        } catch {
            throw StorageError(.io, "\(error)")
        }
        let keeper = LockKeeper(io: io, object: indexObject, cookie: cookie, description: description, duration: lockDuration)
        do {
            let epoch = try nextEpoch()
            let writer = RadosAuditSinkWriter(sink: self, epoch: epoch, keeper: keeper)
            for (name, entry) in try entries() where entry == .open { try writer.fence(name) }
            keeper.start()
            return writer
        } catch {
            try? io.blocking.unlock(indexObject, lock: Self.lockName, cookie: cookie)
            throw error
        }
    }

    /// Moves the index's epoch one up, guarded by the value read: the writer's epoch.
    private func nextEpoch() throws(StorageError) -> [UInt8] {
        let current = try radosBlocking { () throws(RadosError) in try io.blocking.omapValues(indexObject, keys: [Self.epochKey]) }[Self.epochKey] ?? []
        let number: UInt64
        if current.isEmpty {
            number = 0
        } else if let text = String(validating: current, as: UTF8.self), let value = UInt64(text) {
            number = value
        } else {
            throw StorageError(.corruption, "\(indexObject): the epoch \(StorageError.printable(current)) is not a number")
        }
        let next = Self.epochValue(number + 1)
        var bump = WriteOperation()
        bump.compare(key: Self.epochKey, .equal, current)
        bump.set([(key: Self.epochKey, value: next)])
        do {
            try io.blocking.operate(bump, on: indexObject)
        } catch where error.kind == .guardFailed {
            throw StorageError(.writerActive, "another audit writer of node \(node) took epoch \(number + 1) meanwhile")
        } catch {
            throw StorageError(.io, "\(error)")
        }
        return next
    }

    /// An epoch as stored: 20 decimal digits, so that bytewise order is numeric order.
    static func epochValue(_ number: UInt64) -> [UInt8] {
        let digits = String(number)
        return Array((String(repeating: "0", count: max(0, 20 - digits.count)) + digits).utf8)
    }

    /// What the index says about `name` (nil: not listed).
    func entry(_ name: String) throws(StorageError) -> Entry? {
        let key = Array(name.utf8)
        let values: [[UInt8]: [UInt8]]
        do {
            values = try io.blocking.omapValues(indexObject, keys: [key])
        } catch where error.kind == .notFound {
            return nil
        } catch {
            throw StorageError(.io, "\(error)")
        }
        return try values[key].map { (value) throws(StorageError) in try Entry(name, value, in: indexObject) }
    }

    /// Every omap entry of `object`, in key order, page by page (none if the object does not
    /// exist).
    static func omapEntries(_ io: IOContext, _ object: String) throws(StorageError) -> [OmapPage.Entry] {
        var entries: [OmapPage.Entry] = []
        var after: [UInt8] = []
        while true {
            let page: OmapPage
            do {
                page = try io.blocking.omapPage(object, after: after, max: pageCap)
            } catch where error.kind == .notFound {
                return entries
            } catch {
                throw StorageError(.io, "\(error)")
            }
            entries += page.entries
            guard page.more, let last = page.entries.last else { return entries }
            after = last.key
        }
    }
}

/// Runs a blocking librados call, its errors as `.io`.
func radosBlocking<T>(_ body: () throws(RadosError) -> T) throws(StorageError) -> T {
    do {
        return try body()
    } catch {
        throw StorageError(.io, "\(error)")
    }
}
