import Synchronization

/// The reference ``AuditSink``: segments and objects as byte arrays in one dictionary under
/// a mutex. Durability is moot (nothing outlives the instance, and nothing is lost before it
/// goes); a "crash" is releasing the writer without sealing, and "restarting" is opening a new
/// writer on the same instance.
public final class MemoryAuditSink: AuditSink {
    struct State {
        var items: [String: [UInt8]] = [:]
        /// Segments open for appending by the live writer.
        var open: Set<String> = []
        var writerActive = false
    }

    let state = Mutex(State())

    /// Creates an empty sink.
    public init() {}

    public func list() throws(StorageError) -> [String] {
        AuditSinkName.sorted(state.withLock { Array($0.items.keys) })
    }

    public func read(_ name: String, from offset: Int) throws(StorageError) -> [UInt8] {
        try AuditSinkName.check(name)
        guard offset >= 0 else { throw StorageError(.invalidArgument, "negative offset \(offset)") }
        guard let bytes = state.withLock({ $0.items[name] }) else { throw StorageError(.notFound, "no audit item \(name)") }
        return offset >= bytes.count ? [] : Array(bytes[offset...])
    }

    public func openWriter() throws(StorageError) -> any AuditSinkWriter {
        let claimed = state.withLock { state in
            guard !state.writerActive else { return false }
            state.writerActive = true
            return true
        }
        guard claimed else { throw StorageError(.writerActive, "another writer holds the audit sink") }
        return MemoryAuditSinkWriter(sink: self)
    }

    /// Replaces or removes (`nil`) an item behind the writer's back, as someone with access to
    /// the storage could: for tests of tampering and of torn appends.
    public func overwrite(_ name: String, with bytes: [UInt8]?) {
        state.withLock { $0.items[name] = bytes }
    }
}

/// The writer of a ``MemoryAuditSink``; releasing it frees the writer role.
final class MemoryAuditSinkWriter: AuditSinkWriter {
    let sink: MemoryAuditSink

    init(sink: MemoryAuditSink) { self.sink = sink }

    deinit {
        sink.state.withLock { state in
            state.open = []
            state.writerActive = false
        }
    }

    func createSegment(_ name: String, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        try sink.state.withLock { (state) throws(StorageError) in
            guard state.items[name] == nil else { throw StorageError(.alreadyExists, "audit item \(name) already exists") }
            state.items[name] = []
            state.open.insert(name)
        }
    }

    func append(_ bytes: [UInt8], to name: String, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        try sink.state.withLock { (state) throws(StorageError) in
            guard state.open.contains(name), state.items[name] != nil else {
                throw StorageError(.invalidArgument, "audit segment \(name) is not open for appending")
            }
            state.items[name]!.append(contentsOf: bytes)
        }
    }

    func truncate(_ name: String, to length: Int, durability: Durability) throws(StorageError) {
        try AuditSinkName.check(name)
        try sink.state.withLock { (state) throws(StorageError) in
            guard let bytes = state.items[name] else { throw StorageError(.notFound, "no audit segment \(name)") }
            guard length >= 0, length <= bytes.count else {
                throw StorageError(.invalidArgument, "cannot truncate \(name) (\(bytes.count) bytes) to \(length) bytes")
            }
            state.items[name] = Array(bytes.prefix(length))
        }
    }

    func seal(_ name: String) throws(StorageError) {
        try AuditSinkName.check(name)
        try sink.state.withLock { (state) throws(StorageError) in
            state.open.remove(name)
            guard state.items[name] != nil else { throw StorageError(.notFound, "no audit segment \(name)") }
        }
    }

    func writeObject(_ name: String, _ bytes: [UInt8]) throws(StorageError) {
        try AuditSinkName.check(name)
        try sink.state.withLock { (state) throws(StorageError) in
            guard !state.open.contains(name) else { throw StorageError(.invalidArgument, "audit segment \(name) is open for appending") }
            state.items[name] = bytes
        }
    }
}
