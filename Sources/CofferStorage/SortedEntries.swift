/// Key-value entries kept in bytewise key order in two arrays: the state of
/// ``MemoryMetadataStore``. A copy is a snapshot (arrays are copy-on-write).
struct SortedEntries: Sendable {
    private var keys: [[UInt8]] = []
    private var values: [[UInt8]] = []

    /// The index of the first key not before `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle].lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    func get(_ key: [UInt8]) -> [UInt8]? {
        let index = lowerBound(key)
        return index < keys.count && keys[index] == key ? values[index] : nil
    }

    mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        let index = lowerBound(key)
        if index < keys.count && keys[index] == key {
            values[index] = value
        } else {
            keys.insert(key, at: index)
            values.insert(value, at: index)
        }
    }

    mutating func delete(_ key: [UInt8]) {
        let index = lowerBound(key)
        guard index < keys.count && keys[index] == key else { return }
        keys.remove(at: index)
        values.remove(at: index)
    }

    /// How many keys start with `prefix`.
    func count(prefix: [UInt8]) -> Int {
        var index = lowerBound(prefix)
        var count = 0
        while index < keys.count && keys[index].starts(with: prefix) {
            count += 1
            index += 1
        }
        return count
    }

    func scan(_ request: ScanRequest) throws(StorageError) -> ScanPage {
        try request.validate()
        var index = lowerBound(request.lowerBound)
        var entries: [MetadataEntry] = []
        while entries.count < request.limit, index < keys.count, keys[index].starts(with: request.prefix) {
            entries.append(MetadataEntry(key: keys[index], value: values[index]))
            index += 1
        }
        let hasMore = entries.count == request.limit && index < keys.count && keys[index].starts(with: request.prefix)
        return ScanPage(entries: entries, hasMore: hasMore)
    }

    /// Whether `condition` holds.
    func holds(_ condition: MetadataCondition) -> Bool {
        if case .keyCount(let prefix, let expected) = condition { return count(prefix: prefix) == expected }
        return condition.holds(for: get(condition.key))
    }
}
