import CofferRados
import CofferStorage
import Foundation
import Synchronization

/// The writer of a ``RadosAuditSink``: the node's lock (kept by a ``LockKeeper``), the writer's
/// epoch, and the segments it created and has not sealed with their lengths. Releasing it
/// stops the renewals and unlocks. Every call checks the lock first, and every change carries
/// the epoch guard (``RadosAuditSink`` explains both).
final class RadosAuditSinkWriter: AuditSinkWriter {
    let sink: RadosAuditSink
    /// This writer's epoch, as stored (20 digits).
    let epoch: [UInt8]
    private let keeper: LockKeeper
    /// The segments this writer created and has not sealed, with their lengths.
    private let open = Mutex<[String: Int]>([:])

    init(sink: RadosAuditSink, epoch: [UInt8], keeper: LockKeeper) {
        self.sink = sink
        self.epoch = epoch
        self.keeper = keeper
    }

    deinit {
        keeper.stop()
        try? sink.io.blocking.unlock(sink.indexObject, lock: RadosAuditSink.lockName, cookie: keeper.cookie)
    }

    private var io: BlockingIO { sink.io.blocking }

    // MARK: Segments

    func createSegment(_ name: String, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        try keeper.check()
        var entry = indexChange()
        entry.compare(key: Array(name.utf8), .equal, [])
        entry.set([(key: Array(name.utf8), value: RadosAuditSink.Entry.open.value)])
        do {
            try io.operate(entry, on: sink.indexObject)
        } catch where error.kind == .guardFailed && error.failedGuard == 1 {
            throw StorageError(.alreadyExists, "audit item \(name) of node \(sink.node) already exists")
        } catch {
            throw indexError(error)
        }
        var create = BlockingIO.DataOperation()
        create.truncate(to: 0)
        create.setXattr(RadosAuditSink.epochXattr, epoch)
        create.setXattr(RadosAuditSink.lengthXattr, Array("0".utf8))
        do {
            try upsert(sink.dataObject(name), create, createFirst: true)
        } catch {
            // Best effort: unlist the name again (left listed, it reads as an empty segment).
            var undo = indexChange()
            undo.compare(key: Array(name.utf8), .equal, RadosAuditSink.Entry.open.value)
            undo.remove(keys: [Array(name.utf8)])
            try? io.operate(undo, on: sink.indexObject)
            throw error
        }
        open.withLock { $0[name] = 0 }
    }

    func append(_ bytes: [UInt8], to name: String, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        guard let length = open.withLock({ $0[name] }) else {
            throw StorageError(.invalidArgument, "audit segment \(name) is not open for appending")
        }
        try keeper.check()
        guard !bytes.isEmpty else { return }
        var append = BlockingIO.DataOperation()
        append.compareXattr(RadosAuditSink.epochXattr, .equal, epoch)
        append.compareXattr(RadosAuditSink.lengthXattr, .equal, Self.decimal(length))
        append.write(bytes, at: UInt64(length))
        append.setXattr(RadosAuditSink.lengthXattr, Self.decimal(length + bytes.count))
        let object = sink.dataObject(name)
        do {
            try io.operate(append, on: object)
        } catch where error.kind == .guardFailed {
            throw explainFailedGuard(object, expectedLength: length)
        } catch {
            throw StorageError(.io, "\(error)")
        }
        open.withLock { $0[name] = length + bytes.count }
    }

    func truncate(_ name: String, to length: Int, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        try keeper.check()
        let object = sink.dataObject(name)
        let size: UInt64
        do {
            size = try io.stat(object).size
        } catch where error.kind == .notFound {
            guard try sink.entry(name)?.isSegment == true else { throw StorageError(.notFound, "no audit segment \(name) of node \(sink.node)") }
            size = 0  // its creation was cut by a crash: empty
        } catch {
            throw StorageError(.io, "\(error)")
        }
        guard length >= 0, UInt64(length) <= size else {
            throw StorageError(.invalidArgument, "cannot truncate \(name) (\(size) bytes) to \(length) bytes")
        }
        if size == 0 { return }
        var cut = BlockingIO.DataOperation()
        cut.compareXattr(RadosAuditSink.epochXattr, .lessOrEqual, epoch)
        cut.truncate(to: UInt64(length))
        cut.setXattr(RadosAuditSink.lengthXattr, Self.decimal(length))
        do {
            try io.operate(cut, on: object)
        } catch where error.kind == .guardFailed {
            throw explainFailedGuard(object, expectedLength: nil)
        } catch {
            throw StorageError(.io, "\(error)")
        }
        open.withLock { if $0[name] != nil { $0[name] = length } }
    }

    func seal(_ name: String) throws(StorageError) {
        try AuditSinkName.check(name)
        open.withLock { _ = $0.removeValue(forKey: name) }
        try keeper.check()
        var sealing = indexChange()
        sealing.compare(key: Array(name.utf8), .equal, RadosAuditSink.Entry.open.value)
        sealing.set([(key: Array(name.utf8), value: RadosAuditSink.Entry.sealed.value)])
        do {
            try io.operate(sealing, on: sink.indexObject)
        } catch where error.kind == .guardFailed && error.failedGuard == 1 {
            // Not open: sealed already, an object (written synced), or not there.
            guard try sink.entry(name) != nil else { throw StorageError(.notFound, "no audit segment \(name) of node \(sink.node)") }
        } catch {
            throw indexError(error)
        }
    }

    // MARK: Objects

    func writeObject(_ name: String, _ bytes: [UInt8]) throws(StorageError) {
        try AuditSinkName.check(name)
        guard open.withLock({ $0[name] == nil }) else { throw StorageError(.invalidArgument, "audit segment \(name) is open for appending") }
        try keeper.check()
        var write = BlockingIO.DataOperation()
        write.writeFull(bytes)
        write.setXattr(RadosAuditSink.epochXattr, epoch)
        try upsert(sink.dataObject(name), write, createFirst: false)
        var entry = indexChange()
        entry.set([(key: Array(name.utf8), value: RadosAuditSink.Entry.object.value)])
        do {
            try io.operate(entry, on: sink.indexObject)
        } catch {
            throw indexError(error)
        }
    }

    // MARK: Fencing and guards

    /// Marks segment `name`, left open by an earlier writer, with this writer's epoch (creating
    /// it empty if a crash cut its creation): the earlier writer's appends now fail.
    func fence(_ name: String) throws(StorageError) {
        var mark = BlockingIO.DataOperation()
        mark.setXattr(RadosAuditSink.epochXattr, epoch)
        try upsert(sink.dataObject(name), mark, createFirst: false)
    }

    /// Applies `steps` to `object` whether or not it exists, unless a later writer marked it:
    /// guarded by `coffer.epoch <= epoch` when it exists (an absent attribute compares as
    /// empty, below any epoch), an exclusive create when it does not (an attribute comparison
    /// needs a stored object). Starts with the create when `createFirst`.
    private func upsert(_ object: String, _ steps: BlockingIO.DataOperation, createFirst: Bool) throws(StorageError) {
        var create = createFirst
        for _ in 0..<4 {
            var operation = BlockingIO.DataOperation()
            if create {
                operation.create(exclusive: true)
            } else {
                operation.compareXattr(RadosAuditSink.epochXattr, .lessOrEqual, epoch)
            }
            operation.append(contentsOf: steps)
            do {
                try io.operate(operation, on: object)
                return
            } catch where create ? error.kind == .exists : error.kind == .notFound {
                create.toggle()
            } catch where error.kind == .guardFailed {
                throw StorageError(.writerActive, "a later audit writer of node \(sink.node) took over \(object)")
            } catch {
                throw StorageError(.io, "\(error)")
            }
        }
        throw StorageError(.io, "\(object) kept appearing and disappearing while the audit writer wrote it")
    }

    /// A change of the index, guarded by the index's epoch being this writer's (guard 0).
    private func indexChange() -> WriteOperation {
        var operation = WriteOperation()
        operation.compare(key: RadosAuditSink.epochKey, .equal, epoch)
        return operation
    }

    /// The error of a failed index change: `.writerActive` when the epoch guard failed.
    private func indexError(_ error: RadosError) -> StorageError {
        if error.kind == .guardFailed && error.failedGuard == 0 {
            return StorageError(.writerActive, "a later audit writer of node \(sink.node) took over \(sink.indexObject)")
        }
        return StorageError(.io, "\(error)")
    }

    /// Why a guarded data write of `object` failed: a later writer (`.writerActive`) or a
    /// length that is not the one this writer knows (`.io`: changed behind its back, or an
    /// append that failed here but was stored; the trail then truncates to the known length).
    private func explainFailedGuard(_ object: String, expectedLength: Int?) -> StorageError {
        let stored = (try? io.xattr(object, RadosAuditSink.epochXattr)) ?? nil
        if let stored, stored.lexicographicallyPrecedes(epoch) == false, stored != epoch {
            return StorageError(.writerActive, "a later audit writer of node \(sink.node) took over \(object)")
        }
        guard let expectedLength else { return StorageError(.io, "\(object) changed behind its audit writer's back") }
        let length = ((try? io.xattr(object, RadosAuditSink.lengthXattr)) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? "unknown"
        return StorageError(.io, "\(object) is \(length) bytes long where its audit writer expected \(expectedLength)")
    }

    static func decimal(_ value: Int) -> [UInt8] { Array(String(value).utf8) }
}

/// Keeps the writer's lock: a thread of its own renews it every third of its duration until
/// ``stop()``; once a renewal answers that the lock is gone (expired or broken: `ENOENT`, or
/// held by another writer: `EBUSY`), ``check()`` throws `.writerActive` for ever. Other
/// renewal errors (a timeout) are retried at the next tick; the epoch guards protect the
/// trail if the lock lapses meanwhile.
final class LockKeeper: Sendable {
    let io: IOContext
    let object: String
    let cookie: String
    let description: String
    let duration: Duration
    private let lost = Mutex<String?>(nil)
    private let stopped = DispatchSemaphore(value: 0)

    init(io: IOContext, object: String, cookie: String, description: String, duration: Duration) {
        self.io = io
        self.object = object
        self.cookie = cookie
        self.description = description
        self.duration = duration
    }

    /// Starts the renewing thread.
    func start() {
        let (seconds, attoseconds) = (duration / 3).components
        let interval = DispatchTimeInterval.microseconds(Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
        Thread { [self] in
            while stopped.wait(timeout: .now() + interval) == .timedOut {
                do {
                    try io.blocking.renewExclusiveLock(object, lock: RadosAuditSink.lockName, cookie: cookie, description: description, duration: duration)
                } catch let error as RadosError where error.code == ENOENT || error.code == EBUSY {
                    lost.withLock { $0 = "\(error)" }
                    return
                } catch {
                    continue
                }
            }
        }.start()
    }

    /// Stops the renewing thread (it may finish one renewal in flight).
    func stop() { stopped.signal() }

    /// `.writerActive` once the lock is known to be gone.
    func check() throws(StorageError) {
        if let reason = lost.withLock({ $0 }) {
            throw StorageError(.writerActive, "the audit writer lost its lock on \(object): \(reason)")
        }
    }
}
