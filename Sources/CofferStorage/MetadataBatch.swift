/// A set of puts and deletes committed atomically, with conditions checked atomically with
/// the write (see ``MetadataStore``). A plain value: build it, then hand it to `commit`.
public struct MetadataBatch: Sendable, Hashable {
    /// One write of the batch.
    public enum Operation: Sendable, Hashable {
        case put(key: [UInt8], value: [UInt8])
        case delete(key: [UInt8])

        /// The key the operation writes.
        public var key: [UInt8] {
            switch self {
            case .put(let key, _), .delete(let key): key
            }
        }
    }

    /// The writes, applied in order.
    public private(set) var operations: [Operation] = []
    /// The conditions, all of which must hold for the batch to be applied.
    public private(set) var conditions: [MetadataCondition] = []

    /// Creates an empty batch.
    public init() {}

    /// Adds a put of `value` under `key`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        operations.append(.put(key: key, value: value))
    }

    /// Adds a delete of `key` (a no-op if it is absent).
    public mutating func delete(_ key: [UInt8]) {
        operations.append(.delete(key: key))
    }

    /// Adds a condition that must hold when the batch is applied.
    public mutating func require(_ condition: MetadataCondition) {
        conditions.append(condition)
    }

    /// Whether the batch has neither writes nor conditions.
    public var isEmpty: Bool { operations.isEmpty && conditions.isEmpty }
}

/// A condition of a ``MetadataBatch``, evaluated against the store's state just before the
/// batch is applied.
public enum MetadataCondition: Sendable, Hashable {
    /// No value is stored under the key.
    case absent([UInt8])
    /// Some value is stored under the key.
    case present([UInt8])
    /// The value stored under the key is exactly these bytes.
    case equals([UInt8], [UInt8])
    /// Exactly `count` keys start with `prefix` (0: the prefix is empty). With `equals`
    /// conditions on `count` keys under the prefix, it pins the prefix's whole content.
    case keyCount(prefix: [UInt8], count: Int)

    /// No key starts with `prefix`.
    public static func noKeys(withPrefix prefix: [UInt8]) -> MetadataCondition {
        .keyCount(prefix: prefix, count: 0)
    }

    /// The key the condition is about (the prefix for `keyCount`).
    public var key: [UInt8] {
        switch self {
        case .absent(let key), .present(let key), .equals(let key, _): key
        case .keyCount(let prefix, _): prefix
        }
    }

    /// Whether a key condition holds for `current`, the value stored under its key. Always
    /// false for `keyCount`, which implementations evaluate by counting.
    public func holds(for current: [UInt8]?) -> Bool {
        switch self {
        case .absent: current == nil
        case .present: current != nil
        case .equals(_, let expected): current == expected
        case .keyCount: false
        }
    }
}
