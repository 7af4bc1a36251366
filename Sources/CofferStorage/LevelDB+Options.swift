import CLevelDB

extension LevelDB {
    /// Tuning knobs for opening a database. The defaults suit Coffer: object data is
    /// incompressible (and later encrypted), so compression is off; and memory stays bounded
    /// whatever the object sizes. LevelDB maps table files into memory for reading and keeps a
    /// mapping for as long as the table stays in its table cache, so the resident mapped bytes
    /// are bounded by roughly `(maxOpenFiles - 10) * table size`: small tables and a small
    /// table cache keep that under a few tens of MiB (see docs/benchmarks.md).
    public struct Options: Sendable, Hashable {
        /// Create the database directory if it does not exist.
        public var createIfMissing: Bool = true
        /// Use Snappy compression for table blocks. Off by default.
        public var compression: Bool = false
        /// Bytes buffered in the memtable before it is flushed to a table file.
        public var writeBufferSize: Int = 8 << 20
        /// Capacity of the LRU block cache.
        public var blockCacheBytes: Int = 8 << 20
        /// Maximum number of table files LevelDB keeps open (LevelDB keeps at least 64 tables).
        public var maxOpenFiles: Int = 74
        /// Target size of a table file below level 0. LevelDB syncs each table it finishes,
        /// so 4 MiB tables sync a large upload's compactions a quarter as often as 1 MiB ones
        /// (docs/benchmarks.md); the mapped-table bound holds (tables are released as read).
        public var maxFileSize: Int = 4 << 20
        /// Approximate size of a table block.
        public var blockSize: Int = 64 << 10
        /// Ask LevelDB to check aggressively for corruption: a damaged log or MANIFEST fails the
        /// open instead of being skipped, and a damaged table stops compactions (writes then
        /// fail) instead of being merged into new tables. On by default; reads verify block
        /// checksums either way.
        public var paranoidChecks: Bool = true
        /// Bits per key of the bloom filter policy; 0 disables the filter.
        public var bloomBitsPerKey: Int = 10
        /// The longest a synced commit waits for announced commits to join its group (one log
        /// sync for all of them; ``GroupCommitter``). Zero never waits.
        public var groupCommitDelay: Duration = .milliseconds(2)
        /// A group stops waiting for announced commits once it holds this many.
        public var groupCommitTarget: Int = 4

        /// Creates the default options.
        public init() {}
    }
}

/// Owns the C option objects of one open database; freed after the database is closed.
struct LevelDBOptionHandles: ~Copyable {
    let options: OpaquePointer
    let cache: OpaquePointer?
    let filter: OpaquePointer?

    init(_ o: LevelDB.Options) {
        let options = leveldb_options_create()!
        leveldb_options_set_create_if_missing(options, o.createIfMissing ? 1 : 0)
        leveldb_options_set_paranoid_checks(options, o.paranoidChecks ? 1 : 0)
        leveldb_options_set_compression(
            options, Int32(o.compression ? leveldb_snappy_compression : leveldb_no_compression))
        leveldb_options_set_write_buffer_size(options, max(o.writeBufferSize, 64 << 10))
        leveldb_options_set_max_open_files(options, Int32(clamping: max(o.maxOpenFiles, 16)))
        leveldb_options_set_block_size(options, max(o.blockSize, 1024))
        leveldb_options_set_max_file_size(options, max(o.maxFileSize, 64 << 10))
        var cache: OpaquePointer?
        if o.blockCacheBytes > 0 {
            cache = leveldb_cache_create_lru(o.blockCacheBytes)
            leveldb_options_set_cache(options, cache)
        }
        var filter: OpaquePointer?
        if o.bloomBitsPerKey > 0 {
            filter = leveldb_filterpolicy_create_bloom(Int32(clamping: o.bloomBitsPerKey))
            leveldb_options_set_filter_policy(options, filter)
        }
        self.options = options
        self.cache = cache
        self.filter = filter
    }

    deinit {
        leveldb_options_destroy(options)
        if let cache { leveldb_cache_destroy(cache) }
        if let filter { leveldb_filterpolicy_destroy(filter) }
    }
}
