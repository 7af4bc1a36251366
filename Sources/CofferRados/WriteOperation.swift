import CRados

/// The steps of one atomic RADOS write operation on one object (a `rados_write_op_t`),
/// applied in order by the OSD: every step or none. Guards (`create(exclusive:)`,
/// `assertExists`, `compare`) come first by convention; if one fails nothing is written.
public struct WriteOperation: Sendable, Hashable {
    enum Step: Sendable, Hashable {
        case create(exclusive: Bool)
        case assertExists
        case compare(OmapGuard)
        case set([OmapPage.Entry])
        case remove([[UInt8]])
        case writeFull([UInt8])
        case append([UInt8])
    }

    private(set) var steps: [Step] = []

    public init() {}

    /// Creates the object; with `exclusive`, fails with `.exists` if it exists.
    public mutating func create(exclusive: Bool) { steps.append(.create(exclusive: exclusive)) }

    /// Fails with `.notFound` unless the object exists.
    public mutating func assertExists() { steps.append(.assertExists) }

    /// Fails with `.guardFailed` unless the omap value under `key` compares with `value` as
    /// `comparison` says.
    public mutating func compare(key: [UInt8], _ comparison: OmapGuard.Comparison, _ value: [UInt8]) {
        steps.append(.compare(OmapGuard(key: key, comparison, value)))
    }

    /// Sets omap entries.
    public mutating func set(_ entries: [(key: [UInt8], value: [UInt8])]) {
        steps.append(.set(entries.map { OmapPage.Entry(key: $0.key, value: $0.value) }))
    }

    /// Removes omap keys (absent ones are ignored).
    public mutating func remove(keys: [[UInt8]]) { steps.append(.remove(keys)) }

    /// Replaces the object's data.
    public mutating func writeFull(_ data: [UInt8]) { steps.append(.writeFull(data)) }

    /// Appends `data` at the end of the object's data (creating the object). Together with
    /// omap steps in the same operation, the bytes and an index of them land atomically.
    public mutating func append(_ data: [UInt8]) { steps.append(.append(data)) }

    var guardCount: Int {
        steps.reduce(0) { count, step in
            if case .compare = step { count + 1 } else { count }
        }
    }

    /// Adds the steps to `op`; the i-th comparison reports its own result in `guardResults[i]`.
    func build(_ op: rados_write_op_t, guardResults: UnsafeMutablePointer<Int32>) {
        var guardIndex = 0
        for step in steps {
            switch step {
            case .create(let exclusive):
                rados_write_op_create(op, exclusive ? Int32(LIBRADOS_CREATE_EXCLUSIVE) : Int32(LIBRADOS_CREATE_IDEMPOTENT), nil)
            case .assertExists:
                rados_write_op_assert_exists(op)
            case .compare(let omapGuard):
                withCBuffers([omapGuard.key, omapGuard.value]) { buffers, lengths in
                    rados_write_op_omap_cmp2(op, buffers[0], omapGuard.comparison.rawValue, buffers[1], lengths[0], lengths[1], guardResults + guardIndex)
                }
                guardIndex += 1
            case .set(let entries):
                withCBuffers(entries.map(\.key)) { keys, keyLengths in
                    withCBuffers(entries.map(\.value)) { values, valueLengths in
                        rados_write_op_omap_set2(op, keys, values, keyLengths, valueLengths, entries.count)
                    }
                }
            case .remove(let keys):
                withCBuffers(keys) { pointers, lengths in
                    rados_write_op_omap_rm_keys2(op, pointers, lengths, keys.count)
                }
            case .writeFull(let data):
                data.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { chars in
                        rados_write_op_write_full(op, chars.baseAddress, chars.count)
                    }
                }
            case .append(let data):
                // librados copies the bytes into the operation here.
                data.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { chars in
                        rados_write_op_append(op, chars.baseAddress, chars.count)
                    }
                }
            }
        }
    }
}

/// A condition on one omap value, checked by the OSD inside a write or read operation: the
/// value stored under `key` compared with `value` (bytewise; the stored value on the left).
/// An absent key compares as the empty value.
public struct OmapGuard: Sendable, Hashable {
    /// librados documents equal, less and greater for omap comparisons.
    public enum Comparison: UInt8, Sendable, Hashable {
        case equal = 1  // LIBRADOS_CMPXATTR_OP_EQ
        case greater = 3  // LIBRADOS_CMPXATTR_OP_GT
        case less = 5  // LIBRADOS_CMPXATTR_OP_LT
    }

    public var key: [UInt8]
    public var comparison: Comparison
    public var value: [UInt8]

    public init(key: [UInt8], _ comparison: Comparison, _ value: [UInt8]) {
        self.key = key
        self.comparison = comparison
        self.value = value
    }
}
