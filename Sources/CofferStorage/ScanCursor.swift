/// Walks the entries under a prefix through paged scans of a ``MetadataReader``, like an
/// iterator: ``next()`` returns the entries in key order, fetching a page when it needs one;
/// ``seek(_:)`` moves on to a later key (a listing skips a whole common prefix that way).
struct ScanCursor {
    let reader: any MetadataReader
    let prefix: [UInt8]
    /// Entries fetched per scan; set it to what the caller expects to consume.
    var pageSize: Int
    private var start: ScanRequest.Start
    private var page: [MetadataEntry] = []
    private var position = 0
    private var exhausted = false

    init(reader: any MetadataReader, prefix: [UInt8], start: ScanRequest.Start = .first, pageSize: Int = 1000) {
        self.reader = reader
        self.prefix = prefix
        self.start = start
        self.pageSize = max(pageSize, 1)
    }

    /// Continues at the first key at or after `key`.
    mutating func seek(_ key: [UInt8]) {
        start = .at(key)
        page = []
        position = 0
        exhausted = false
    }

    /// The next entry, or nil after the prefix's last.
    mutating func next() async throws(StorageError) -> MetadataEntry? {
        if position == page.count {
            guard !exhausted else { return nil }
            let result = try await reader.scan(ScanRequest(prefix: prefix, start: start, limit: pageSize))
            page = result.entries
            position = 0
            exhausted = !result.hasMore
            if let last = page.last { start = .after(last.key) }
            guard !page.isEmpty else {
                exhausted = true
                return nil
            }
        }
        position += 1
        return page[position - 1]
    }
}
