import Foundation
import Synchronization

/// Keeps a serving store's identity record (``StoreIdentity``) up with its MANIFEST: once when
/// the database has opened (LevelDB wrote and synced a new MANIFEST), then at every
/// ``refresh(now:)``, which the server calls on a timer. A refresh writes the mark it read at
/// the *previous* refresh: LevelDB syncs each MANIFEST edit right after appending it, so a
/// mark one period old is on stable storage, and a power loss can never leave the record
/// promising more than the MANIFEST kept.
public final class StoreIdentityKeeper: Sendable {
    private struct State {
        var identity: StoreIdentity
        /// The MANIFEST's name and size when last read, and the mark read then.
        var lastRead: (name: String, size: UInt64)?
        var pending: StoreIdentity.Mark?
    }

    public let dataDir: String
    private let state: Mutex<State>

    /// Records the store as just opened: the mark of its current MANIFEST, in the record
    /// `existing` (a new record, with a new store id, when the data dir had none).
    public init(dataDir: String, existing: StoreIdentity?, now: Date = Date()) throws {
        let now = Self.wholeSeconds(now)
        self.dataDir = dataDir
        let (mark, name, size) = try Self.readMark(dataDir: dataDir)
        var identity = existing ?? StoreIdentity(storeId: UUID().uuidString.lowercased(), createdAt: now, updatedAt: now, mark: mark)
        identity.mark = mark
        identity.updatedAt = now
        try identity.write(dataDir: dataDir)
        state = Mutex(State(identity: identity, lastRead: (name, size), pending: nil))
    }

    /// The record as last written.
    public var identity: StoreIdentity { state.withLock { $0.identity } }

    /// Writes the mark read at the previous refresh if it grew, and reads the MANIFEST again if
    /// it changed. Returns whether the record was written.
    @discardableResult
    public func refresh(now: Date = Date()) throws -> Bool {
        let now = Self.wholeSeconds(now)
        let db = DataDirectory(path: dataDir).database
        let name = try String(contentsOfFile: db + "/CURRENT", encoding: .utf8).trimmingCharacters(in: .newlines)
        let size = (try FileManager.default.attributesOfItem(atPath: db + "/" + name)[.size] as? NSNumber)?.uint64Value ?? 0
        let (toWrite, mustRead): (StoreIdentity?, Bool) = state.withLock { state in
            var write: StoreIdentity? = nil
            if let pending = state.pending, pending != state.identity.mark, pending.covers(state.identity.mark) {
                var identity = state.identity
                identity.mark = pending
                identity.updatedAt = now
                write = identity
            }
            state.pending = nil
            return (write, state.lastRead.map { $0.name != name || $0.size != size } ?? true)
        }
        if let toWrite {
            try toWrite.write(dataDir: dataDir)
            state.withLock { $0.identity = toWrite }
        }
        if mustRead {
            let (mark, readName, readSize) = try Self.readMark(dataDir: dataDir, manifest: name)
            state.withLock { state in
                state.lastRead = (readName, readSize)
                state.pending = mark
            }
        }
        return toWrite != nil
    }

    /// The record keeps times in whole seconds (ISO 8601 without fractions).
    static func wholeSeconds(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// The mark of the MANIFEST `manifest` (by default the one `CURRENT` names), with its name
    /// and size.
    static func readMark(dataDir: String, manifest: String? = nil) throws -> (StoreIdentity.Mark, String, UInt64) {
        let db = DataDirectory(path: dataDir).database
        let name = try manifest ?? String(contentsOfFile: db + "/CURRENT", encoding: .utf8).trimmingCharacters(in: .newlines)
        guard case .manifest(let number)? = LevelDBFile(name: name) else { throw StoreDamage("\(db)/CURRENT does not name a MANIFEST file") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db + "/" + name))
        let manifest = try LevelDBManifest(bytes: [UInt8](bytes))
        guard let mark = StoreIdentity.Mark(manifest: manifest, manifestNumber: number) else {
            throw StoreDamage("\(db)/\(name) lacks the next file or sequence number")
        }
        return (mark, name, UInt64(bytes.count))
    }
}
