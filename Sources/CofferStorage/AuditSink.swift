/// Reads of an audit sink: what `coffer audit read/verify`, LookupEvents and a follower need.
/// Reading never changes the sink, takes no lock and may run while the writer appends.
public protocol AuditSinkReader: Sendable {
    /// Every segment and object name, in bytewise (UTF-8) order.
    func list() throws(StorageError) -> [String]

    /// The bytes of segment or object `name` from `offset` to its current end (the whole item
    /// for offset 0; empty when `offset` is at or past the end). A segment being appended may
    /// end in the middle of an append. `.notFound` when there is no such name,
    /// `.invalidArgument` for a negative offset or a name ``AuditSinkName`` refuses.
    func read(_ name: String, from offset: Int) throws(StorageError) -> [UInt8]
}

extension AuditSinkReader {
    /// The whole segment or object `name`.
    public func read(_ name: String) throws(StorageError) -> [UInt8] { try read(name, from: 0) }
}

/// The append-only store of the audit trail (docs/audit-trail.md, docs/storage-layout.md "The
/// storage boundary"): **segments**, byte strings that only grow, and small **objects**,
/// replaced whole and atomically, in one namespace of names (``AuditSinkName``). The trail
/// keeps its log files as segments and its digest files as objects; names, bytes and their
/// meaning are the trail's, the sink never parses them.
///
/// The contract every implementation keeps (and `AuditSinkConformance`, in
/// `Tests/CofferStorageConformance`, checks):
/// - **One writer.** ``openWriter()`` claims the sink's one writer role, across processes (and
///   nodes, for a shared store); while that writer lives, another claim throws
///   `.writerActive`. Readers never need it.
/// - **Append-only.** A segment is created empty by the writer, grows only by its appends,
///   in order, and shrinks only by the writer's explicit ``AuditSinkWriter/truncate(_:to:durability:)``.
/// - **No silent loss.** An append that returns stored all its bytes; one that throws may have
///   stored any prefix of them, which the writer removes with `truncate`.
/// - **Durability**, per call: `.buffered` survives a crash of the process (not necessarily of
///   the machine), `.synced` is on stable storage when the call returns. ``AuditSinkWriter/seal(_:)``
///   and ``AuditSinkWriter/writeObject(_:_:)`` are always synced.
/// - **Atomic objects.** A reader sees an object's previous bytes or all of its new bytes.
///
/// **Synchronous, deliberately.** The trail appends one record per KMS call and per object
/// operation, on the request path, from synchronous code (`KMSAuditSink.record`, the S3
/// pipeline's data events), with the hash chain serialised under one lock: a record must be
/// stored before the caller acts on its result, and the next record's link depends on it. A
/// blocking call holds that lock for one append, as `write(2)` does today; an `async` protocol
/// would need the chain under an actor and every caller up to the HTTP handlers made `async`.
/// A remote store can keep this contract with blocking client calls (librados's
/// `rados_write`, `rados_append`, `rados_write_full`, `rados_trunc`, `rados_read` and
/// `rados_lock_exclusive` are synchronous), at one round trip per record and a few per
/// rotation; nothing here assumes a file system: no paths, descriptors, directories, renames
/// or memory mapping, and names are opaque.
public protocol AuditSink: AuditSinkReader {
    /// Claims the writer role, held until the returned writer is released (deinitialised).
    /// `.writerActive` when another writer holds it.
    func openWriter() throws(StorageError) -> any AuditSinkWriter
}

/// The one writer of an ``AuditSink``. A crash, or releasing the writer without sealing,
/// leaves its segments as they are: unsealed, with every byte of every append that returned.
/// Not for concurrent use: its owner serialises calls (the trail holds its lock).
public protocol AuditSinkWriter: AnyObject, Sendable {
    /// Creates the empty segment `name` and opens it for this writer's appends; `.synced`
    /// makes its creation durable too. `.alreadyExists` when the name is taken (a segment or
    /// an object): a segment is never created twice.
    func createSegment(_ name: String, durability: Durability) throws(StorageError)

    /// Appends all of `bytes` to segment `name`, which this writer created and has not
    /// sealed (else `.invalidArgument`). When it throws, any prefix of `bytes` may be stored.
    func append(_ bytes: [UInt8], to name: String, durability: Durability) throws(StorageError)

    /// Cuts segment `name` back to its first `length` bytes: after a failed append, or a
    /// segment torn by a crash. `.invalidArgument` when `length` is negative or past the
    /// segment's end, `.notFound` for no such segment.
    func truncate(_ name: String, to length: Int, durability: Durability) throws(StorageError)

    /// Finishes segment `name`: its bytes are on stable storage when it returns, and it is
    /// closed to this writer's appends (even when sealing throws). Sealing a segment a
    /// previous writer left (after a crash) makes it durable.
    func seal(_ name: String) throws(StorageError)

    /// Stores `bytes` as object `name`, replacing any object of that name atomically, synced.
    /// `.invalidArgument` when `name` is a segment open for appending.
    func writeObject(_ name: String, _ bytes: [UInt8]) throws(StorageError)
}

/// The names an audit sink accepts: 1 to 255 bytes of UTF-8 without `/` or NUL, not starting
/// with `.` (names starting with a dot are the implementation's own, such as a lock).
public enum AuditSinkName {
    public static func check(_ name: String) throws(StorageError) {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 255, bytes.first != UInt8(ascii: "."),
              !bytes.contains(UInt8(ascii: "/")), !bytes.contains(0) else {
            throw StorageError(.invalidArgument, "\(StorageError.printable(Array(bytes))) is not a valid audit sink name")
        }
    }

    /// Names in bytewise order, as ``AuditSinkReader/list()`` returns them.
    public static func sorted(_ names: some Sequence<String>) -> [String] {
        names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
