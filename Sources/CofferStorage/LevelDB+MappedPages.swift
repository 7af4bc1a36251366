import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension LevelDB {
    /// Bytes of values read between two releases of mapped table pages.
    static let bytesBetweenReleases = 16 << 20

    /// Counts value bytes read through iterators; every `bytesBetweenReleases`, across all
    /// readers of this database, releases the mapped table pages. Cheap per call: one atomic add.
    public func noteTableBytesRead(_ count: Int) {
        let total = bytesReadSinceRelease.add(count, ordering: .relaxed).newValue
        if total >= Self.bytesBetweenReleases {
            // Whoever crosses the threshold resets it and does the release.
            if bytesReadSinceRelease.compareExchange(expected: total, desired: 0, ordering: .relaxed).exchanged {
                releaseMappedTablePages()
            }
        }
    }

    /// Drops this process's resident pages of LevelDB's read-only table-file mappings.
    ///
    /// LevelDB reads table files through `mmap` and keeps each mapping while the table is in
    /// its table cache (at least 64 tables), so a long sequential read leaves up to
    /// 64 × table size of file pages resident in the process, counted in its RSS although
    /// they are clean page-cache pages. `MADV_DONTNEED` on these shared, read-only file
    /// mappings only unmaps the pages from this process: the data stays in the page cache
    /// and the next access faults it back in, so concurrent readers are unaffected but for a
    /// minor fault. Object reads call this every few MiB to keep memory bounded whatever the
    /// object size. A no-op where `/proc/self/maps` does not exist.
    public func releaseMappedTablePages() {
        #if os(Linux)
        guard let maps = Self.readProcSelfMaps() else { return }
        let directory = resolvedPath + "/"
        for line in maps.split(separator: "\n") {
            guard line.hasSuffix(".ldb"), line.contains(directory) else { continue }
            let bounds = line.prefix(while: { $0 != " " }).split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start,
                let address = UnsafeMutableRawPointer(bitPattern: start)
            else { continue }
            _ = madvise(address, Int(end - start), MADV_DONTNEED)
        }
        #endif
    }

    private static func readProcSelfMaps() -> String? {
        let fd = open("/proc/self/maps", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
