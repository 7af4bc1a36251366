import CLevelDB

/// A set of puts and deletes that ``LevelDB/write(_:sync:)`` applies atomically.
///
/// A batch is a plain mutable buffer: build it on one thread, then hand it to `write`.
public final class WriteBatch {
    let handle: OpaquePointer
    /// Number of operations added since creation or the last ``clear()``.
    public private(set) var count = 0
    /// Approximate payload bytes (keys + values) added since creation or the last ``clear()``.
    public private(set) var byteCount = 0

    /// Creates an empty batch.
    public init() {
        handle = leveldb_writebatch_create()!
    }

    deinit {
        leveldb_writebatch_destroy(handle)
    }

    /// Adds a put of `value` under `key`.
    public func put(_ key: [UInt8], _ value: UnsafeRawBufferPointer) {
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { k in
                leveldb_writebatch_put(
                    handle, k.baseAddress, k.count,
                    value.baseAddress?.assumingMemoryBound(to: CChar.self), value.count)
            }
        }
        count += 1
        byteCount += key.count + value.count
    }

    /// Adds a put of `value` under `key`.
    public func put(_ key: [UInt8], _ value: [UInt8]) {
        value.withUnsafeBytes { put(key, $0) }
    }

    /// Adds a delete of `key`.
    public func delete(_ key: [UInt8]) {
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { k in
                leveldb_writebatch_delete(handle, k.baseAddress, k.count)
            }
        }
        count += 1
        byteCount += key.count
    }

    /// Adds every operation of `other`, after this batch's own.
    public func append(_ other: WriteBatch) {
        leveldb_writebatch_append(handle, other.handle)
        count += other.count
        byteCount += other.byteCount
    }

    /// Removes every operation so the batch can be reused.
    public func clear() {
        leveldb_writebatch_clear(handle)
        count = 0
        byteCount = 0
    }
}
