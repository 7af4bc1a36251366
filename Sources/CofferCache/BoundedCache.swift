import Synchronization

/// Coffer's one in-memory cache: at most `capacity` entries, safe to share between tasks.
///
/// Every cache in Coffer holds something derived (a parsed policy, a decoded record, a signing
/// key) that can be derived again, so eviction is the simplest that keeps the bound: when a new
/// key would exceed the capacity, the cache starts over. A cache of values that are only valid
/// while their source is unchanged stores the source with the value and compares it on a hit
/// (`value(for:validFor:)`).
///
/// Its methods are `@inlinable` so that each use is specialised for its key and value types
/// (an unspecialised generic call looks the types' metadata up at run time, on every request).
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let capacity: Int
    @usableFromInline let entries = Mutex<[Key: Value]>([:])

    public init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.capacity = capacity
    }

    @inlinable public func value(for key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    @inlinable public func set(_ value: Value, for key: Key) {
        entries.withLock { map in
            if map.count >= capacity, map[key] == nil { map.removeAll(keepingCapacity: true) }
            map[key] = value
        }
    }

    /// The cached value, or `make()`'s result, cached. `make` runs outside the lock: two
    /// tasks missing together may both derive the value (it is the same value).
    @inlinable public func value<E: Error>(for key: Key, orMake make: () throws(E) -> Value) throws(E) -> Value {
        if let cached = value(for: key) { return cached }
        let made = try make()
        set(made, for: key)
        return made
    }

    @inlinable public func removeValue(for key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    @inlinable public func removeAll() {
        entries.withLock { $0.removeAll(keepingCapacity: true) }
    }

    @inlinable public var count: Int { entries.withLock { $0.count } }
}

extension BoundedCache {
    /// For values derived from a source that may change (a policy's text, a record's bytes):
    /// the cached value when it was derived from exactly `source`, else `make(source)`, cached.
    @inlinable public func value<Source: Equatable & Sendable, Derived: Sendable, E: Error>(
        for key: Key, validFor source: Source, orMake make: () throws(E) -> Derived
    ) throws(E) -> Derived where Value == (source: Source, value: Derived) {
        if let cached = value(for: key), cached.source == source { return cached.value }
        let made = try make()
        set((source, made), for: key)
        return made
    }
}
