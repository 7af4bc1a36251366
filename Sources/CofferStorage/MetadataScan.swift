/// One page request of an ordered prefix scan.
public struct ScanRequest: Sendable, Hashable {
    /// Where the page starts.
    public enum Start: Sendable, Hashable {
        /// At the first key of the prefix.
        case first
        /// At the first key at or after this one.
        case at([UInt8])
        /// At the first key strictly after this one (a continuation).
        case after([UInt8])
    }

    /// Only keys starting with these bytes are returned.
    public var prefix: [UInt8]
    /// Where the page starts (a start before the prefix means the prefix's first key).
    public var start: Start
    /// The most entries to return; must be positive.
    public var limit: Int

    /// Creates a request.
    public init(prefix: [UInt8], start: Start = .first, limit: Int = 1000) {
        self.prefix = prefix
        self.start = start
        self.limit = limit
    }

    /// The smallest key the page may return.
    public var lowerBound: [UInt8] {
        switch start {
        case .first: return prefix
        case .at(let key): return key.lexicographicallyPrecedes(prefix) ? prefix : key
        case .after(let key):
            let next = key + [0]
            return next.lexicographicallyPrecedes(prefix) ? prefix : next
        }
    }
}

/// One stored key and its value.
public struct MetadataEntry: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// One page of a scan.
public struct ScanPage: Sendable, Hashable {
    /// The entries in key order.
    public var entries: [MetadataEntry]
    /// Whether more keys of the prefix follow the last entry.
    public var hasMore: Bool

    public init(entries: [MetadataEntry], hasMore: Bool) {
        self.entries = entries
        self.hasMore = hasMore
    }

    /// The request for the next page of `request`, or nil after the last page.
    public func continuation(of request: ScanRequest) -> ScanRequest? {
        guard hasMore, let last = entries.last else { return nil }
        return ScanRequest(prefix: request.prefix, start: .after(last.key), limit: request.limit)
    }
}

extension ScanRequest {
    /// Throws unless the limit is positive.
    func validate() throws(StorageError) {
        guard limit > 0 else { throw StorageError(.invalidArgument, "scan limit \(limit) is not positive") }
    }
}
