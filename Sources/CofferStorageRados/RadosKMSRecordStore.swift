import CofferKMS
import CofferRados
import CofferStorage
import Foundation
import Synchronization

/// The built-in KMS's records (``KMSRecordStore``) in the omap of a RADOS index object, shared
/// by every node, written exactly as ``RadosMetadataStore`` writes (escaped keys, tagged values,
/// a new generation per write: ``WriteOperation/apply(_:)``), so the server keeps them in the
/// metadata store's own index object, beside the other records, as LevelDB keeps `k` and `a`
/// keys beside them (fsck and migration read one key space).
///
/// Blocking librados calls (``BlockingIO``), as the protocol is synchronous: one round trip per
/// read or write; the KMS's records are few and small.
///
/// **Exclusive access across nodes** is the cluster's advisory lock (`cls_lock`) on the object:
/// ``exclusively(_:)`` takes a lock of this process first (so one node's threads queue
/// locally), then the exclusive RADOS lock `coffer.kms.writer` with a cookie unique to this
/// store and a duration of ``lockDuration`` (a node that dies holding it frees it when that
/// passes), runs the body, and unlocks. A body that outlives the duration would lose the lock's
/// protection: KMS bodies are a few reads and one write, milliseconds.
public final class RadosKMSRecordStore: KMSRecordStore {
    public let io: IOContext
    public let object: String
    /// How long an unreleased lock protects (a crashed holder's lock expires after it).
    public let lockDuration: Duration
    /// How long ``exclusively(_:)`` waits for another node's lock before failing.
    public let lockWait: Duration
    private let cookie = UUID().uuidString
    private let local = Mutex(())
    static let lockName = "coffer.kms.writer"

    public init(io: IOContext, object: String, lockDuration: Duration = .seconds(30), lockWait: Duration = .seconds(20)) {
        self.io = io
        self.object = object
        self.lockDuration = lockDuration
        self.lockWait = lockWait
    }

    public func get(_ key: [UInt8]) throws(StorageError) -> [UInt8]? {
        let omapKey = OmapKeys.escape(key)
        let stored: [[UInt8]: [UInt8]]
        do {
            stored = try io.blocking.omapValues(object, keys: [omapKey])
        } catch where error.kind == .notFound {
            return nil
        } catch {
            throw StorageError(.io, "\(error)")
        }
        return try stored[omapKey].map { (value) throws(StorageError) in try OmapKeys.decodeValue(value, key: key) }
    }

    public func entries(withPrefix prefix: [UInt8], from start: [UInt8]?) throws(StorageError) -> [MetadataEntry] {
        let escapedPrefix = OmapKeys.escape(prefix)
        var after: [UInt8]? = nil
        var out: [MetadataEntry] = []
        while true {
            let page: OmapPage
            do {
                page = try io.blocking.omapPage(object, prefix: escapedPrefix, after: after, max: 1000)
            } catch where error.kind == .notFound {
                return out
            } catch {
                throw StorageError(.io, "\(error)")
            }
            for entry in page.entries where !OmapKeys.isInternal(entry.key) {
                guard let key = OmapKeys.unescape(entry.key) else {
                    throw StorageError(.corruption, "omap key \(StorageError.printable(entry.key)) of \(object) is not escaped")
                }
                if let start, key.lexicographicallyPrecedes(start) { continue }
                out.append(MetadataEntry(key: key, value: try OmapKeys.decodeValue(entry.value, key: key)))
            }
            guard page.more, let last = page.entries.last else { return out }
            after = last.key
        }
    }

    public func apply(puts: [MetadataEntry], deletes: [[UInt8]]) throws(StorageError) {
        var batch = MetadataBatch()
        for key in deletes { batch.delete(key) }
        for entry in puts { batch.put(entry.key, entry.value) }
        var operation = WriteOperation()
        operation.create(exclusive: false)
        // As a metadata commit: escaped keys, tagged values, and a new generation, so that a
        // validated snapshot of the same index object notices the change.
        operation.apply(batch)
        do { try io.blocking.operate(operation, on: object) } catch { throw StorageError(.io, "\(error)") }
    }

    public func exclusively<R>(_ body: () throws(KMSError) -> R) throws(KMSError) -> R {
        try local.withLock { _ throws(KMSError) -> R in
            try acquire()
            defer { try? io.blocking.unlock(object, lock: Self.lockName, cookie: cookie) }
            return try body()
        }
    }

    /// Takes the cluster lock, waiting (with growing pauses up to 50 ms) while another node
    /// holds it, at most ``lockWait``.
    private func acquire() throws(KMSError) {
        let deadline = ContinuousClock.now + lockWait
        var pause = Duration.milliseconds(1)
        while true {
            do {
                try io.blocking.lockExclusive(object, lock: Self.lockName, cookie: cookie, description: "coffer kms record update", duration: lockDuration)
                return
            } catch where error.code == EBUSY && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
                pause = min(pause * 2, .milliseconds(50))
            } catch {
                throw KMSError(.internalFailure, "cannot lock the key records")
            }
        }
    }
}
