import CLevelDB

extension LevelDB {
    /// Creates an iterator over the whole database, as of `snapshot` if one is given.
    ///
    /// Without a snapshot the iterator still sees one consistent view (LevelDB takes an
    /// implicit snapshot). `fillCache: false` suits long scans that should not evict hot blocks.
    public func makeIterator(snapshot: Snapshot? = nil, fillCache: Bool = true) -> Iterator {
        Iterator(db: self, snapshot: snapshot, fillCache: fillCache)
    }

    /// A cursor over keys in bytewise order. Not safe for concurrent use; use one per thread.
    ///
    /// Key and value accessors are valid only while the iterator is positioned on an entry.
    public final class Iterator {
        private let db: LevelDB
        private let snapshot: Snapshot?
        private let readOptions: OpaquePointer
        private let handle: OpaquePointer

        init(db: LevelDB, snapshot: Snapshot?, fillCache: Bool) {
            self.db = db
            self.snapshot = snapshot
            let ro = LevelDB.makeReadOptions(fillCache: fillCache, snapshot: snapshot)
            self.readOptions = ro
            self.handle = leveldb_create_iterator(db.handle, ro)!
        }

        deinit {
            leveldb_iter_destroy(handle)
            leveldb_readoptions_destroy(readOptions)
        }

        /// Whether the iterator is positioned on an entry.
        public var isValid: Bool { leveldb_iter_valid(handle) != 0 }

        /// Positions at the first key >= `key`.
        public func seek(_ key: [UInt8]) {
            key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { k in
                    leveldb_iter_seek(handle, k.baseAddress, k.count)
                }
            }
        }

        /// Positions at the first key of the database.
        public func seekToFirst() { leveldb_iter_seek_to_first(handle) }

        /// Advances to the next key. Requires ``isValid``.
        public func next() { leveldb_iter_next(handle) }

        /// Calls `body` with the current key's bytes, without copying them.
        public func withKey<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            var length = 0
            let pointer = leveldb_iter_key(handle, &length)
            return try body(UnsafeRawBufferPointer(start: pointer, count: length))
        }

        /// Calls `body` with the current value's bytes, without copying them.
        public func withValue<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            var length = 0
            let pointer = leveldb_iter_value(handle, &length)
            return try body(UnsafeRawBufferPointer(start: pointer, count: length))
        }

        /// A copy of the current key.
        public var key: [UInt8] { withKey { [UInt8]($0) } }

        /// A copy of the current value.
        public var value: [UInt8] { withValue { [UInt8]($0) } }

        /// Whether the iterator is valid and the current key starts with `prefix`.
        public func isValid(withPrefix prefix: [UInt8]) -> Bool {
            guard isValid else { return false }
            return withKey { key in
                key.count >= prefix.count && key.prefix(prefix.count).elementsEqual(prefix)
            }
        }

        /// Whether the iterator is valid and the current key equals `other`.
        public func isValid(withKey other: [UInt8]) -> Bool {
            guard isValid else { return false }
            return withKey { key in key.elementsEqual(other) }
        }

        /// Throws if the iterator stopped because of an error rather than the end of the data.
        public func checkError() throws(StorageError) {
            var err: UnsafeMutablePointer<CChar>?
            leveldb_iter_get_error(handle, &err)
            try LevelDB.check(err, "iterate")
        }
    }
}
