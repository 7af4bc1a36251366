import CofferCrypto
import CofferStorage
import Foundation

/// The append-only, hash-chained writer of the audit trail (docs/audit-trail.md).
///
/// The trail keeps its files in an ``AuditSink``: log files are the sink's segments, digest
/// files its objects (``FileAuditSink`` is the directory of docs/audit-trail.md). Each
/// ``record(_:)`` appends one JSON line to the active log file with a single append (on
/// files, one `write(2)` retried on short writes) before it returns; a record that cannot be
/// written throws, and the caller must then fail its operation. Finished files are sealed
/// (fsynced) and covered by a signed digest file at rotation (by size, by age) and at
/// ``close()``.
///
/// **Durability.** With the default options a record is in the operating system's page cache
/// when `record` returns: it survives a crash of the process, not a power loss before the
/// next rotation. Set ``Options/fsyncEachRecord`` to fsync every record (slower: one disk
/// flush per KMS call and per object operation).
///
/// Thread-safe: records from concurrent tasks are serialised by a lock, which also makes the
/// hash chain a single sequence. Only one writer may own a sink at a time (the sink's writer
/// role; on files an exclusive `flock` on `.coffer-audit.lock`).
public final class AuditTrail: @unchecked Sendable {
    /// Rotation and durability settings.
    public struct Options: Sendable, Hashable {
        /// A file is finished before a record would take it past this size (default 16 MiB).
        public var maxFileBytes: Int
        /// A file is finished once it is this old (default one hour), checked at each record
        /// and by ``AuditTrail/rotateIfDue()``.
        public var maxFileAge: TimeInterval
        /// fsync after every record (default `false`: fsync at rotation only).
        public var fsyncEachRecord: Bool
        /// After a failure the trail could not clean up (it refuses records), how long it waits
        /// between attempts to recover in place (default 1 s; see ``AuditTrail/record(_:)``).
        public var recoveryInterval: Duration

        public init(maxFileBytes: Int = 16 << 20, maxFileAge: TimeInterval = 3600, fsyncEachRecord: Bool = false,
                    recoveryInterval: Duration = .seconds(1)) {
            self.maxFileBytes = maxFileBytes
            self.maxFileAge = maxFileAge
            self.fsyncEachRecord = fsyncEachRecord
            self.recoveryInterval = recoveryInterval
        }
    }

    /// Where the trail's files are.
    public let sink: any AuditSink
    public let options: Options
    /// The raw Ed25519 public key that verifies this trail's digests.
    public let publicKey: [UInt8]

    let clock: @Sendable () -> Date
    let signer: AuditSigner
    /// The sink's writer role, held for the trail's life.
    let writer: any AuditSinkWriter
    private let lock = NSLock()
    /// Guarded by `lock`.
    var state: WriterState
    /// When the trail last tried to recover from a broken state; guarded by `lock`.
    private var lastRecoveryAttempt: ContinuousClock.Instant?

    /// Opens (or creates) the trail in `sink` with the signing key pair of `keyDirectory`,
    /// digests any log file a previous run left undigested (after a crash), and continues the
    /// hash chain from the last record of the newest file. Throws `.unavailable` when another
    /// writer holds the sink.
    public init(sink: any AuditSink, keyDirectory: String, options: Options = .init(),
                clock: @escaping @Sendable () -> Date = Date.init) throws {
        self.sink = sink
        self.options = options
        self.clock = clock
        writer = try AuditError.storage { () throws(StorageError) in try sink.openWriter() }
        signer = try AuditSigningKey.loadOrCreate(keyDirectory: keyDirectory)
        publicKey = signer.publicKey
        state = try WriterState.recover(sink: sink, writer: writer, signer: signer, now: clock())
    }

    /// Opens (or creates) the trail in `directory` (mode 0700): ``init(sink:keyDirectory:options:clock:)``
    /// over a ``FileAuditSink``.
    public convenience init(directory: String, keyDirectory: String, options: Options = .init(),
                            clock: @escaping @Sendable () -> Date = Date.init) throws {
        try self.init(sink: FileAuditSink(directory: directory), keyDirectory: keyDirectory, options: options, clock: clock)
    }

    /// The trail's clock: the time to put in a record's `eventTime`.
    public var now: Date { clock() }

    /// Appends one record. Returns once the whole line has been appended to the active file
    /// (and synced, with ``Options/fsyncEachRecord``).
    ///
    /// Throws ``AuditError`` `.secretRefused` for a record with a `Plaintext` member,
    /// `.invalidEvent` for an empty required member, `.io` when the line cannot be written
    /// (nothing of it stays in the file), `.unavailable` after ``close()`` or once a failed
    /// write or rotation could not be cleaned up, until the trail has recovered in place.
    public func record(_ event: AuditEvent) throws {
        try event.validate()
        try lock.withLock {
            try checkAvailable()
            let now = clock()
            let link = AuditChainLink(sequence: state.lastSequence + 1, previousHash: state.lastHash)
            let line = AuditRecordLine.encode(event, link: link)
            let bytes = line + [0x0a]
            if let current = state.current,
               current.bytes > 0 && current.bytes + Int64(bytes.count) > Int64(options.maxFileBytes) || isOld(current, now: now) {
                try finishCurrentFile(now: now)
            }
            let file = try state.current ?? openNewFile(now: now)
            try append(bytes, to: file)
            file.recordAppended(bytes, sequence: link.sequence)
            state.lastSequence = link.sequence
            state.lastHash = AuditRecordLine.hash(line)
        }
    }

    /// Finishes the active file when it is older than ``Options/maxFileAge`` (a server calls
    /// this from a timer so that a quiet trail still gets its digests on time).
    public func rotateIfDue() throws {
        try lock.withLock {
            try checkAvailable()
            let now = clock()
            if let current = state.current, isOld(current, now: now) { try finishCurrentFile(now: now) }
        }
    }

    /// Finishes the active file now (fsync, digest), if it has one.
    public func rotate() throws {
        try lock.withLock {
            try checkAvailable()
            try finishCurrentFile(now: clock())
        }
    }

    /// Finishes the active file and refuses further records. Calling it again does nothing.
    public func close() throws {
        try lock.withLock {
            guard !state.closed else { return }
            if state.broken == nil { try finishCurrentFile(now: clock()) }
            state.closed = true
        }
    }

    /// Throws unless the trail takes records. A trail broken by a failure it could not clean
    /// up (a torn line it could not remove, a failed rotation: typically its store was full or
    /// unreachable) tries, at most once per ``Options/recoveryInterval``, to recover in place as
    /// a restart would (``WriterState/recover(sink:writer:signer:now:)``: the torn line removed,
    /// the file sealed and digested, the chain continued in a new file); until that succeeds it
    /// refuses records, so no record is ever appended after a torn line.
    private func checkAvailable() throws {
        if state.closed { throw AuditError(.unavailable, "the audit trail is closed") }
        guard let broken = state.broken else { return }
        let now = ContinuousClock.now
        if let last = lastRecoveryAttempt, now - last < options.recoveryInterval {
            throw AuditError(.unavailable, "the audit trail refuses records after an earlier failure (\(broken)); it retries shortly")
        }
        lastRecoveryAttempt = now
        do {
            state = try WriterState.recover(sink: sink, writer: writer, signer: signer, now: clock())
        } catch {
            throw AuditError(.unavailable, "the audit trail refuses records after an earlier failure (\(broken)); recovering failed: \(error)")
        }
    }

    private func isOld(_ file: OpenLogFile, now: Date) -> Bool { now.timeIntervalSince(file.created) >= options.maxFileAge }
}
