/// A read view of a blob store that can also list what the store holds, without reading
/// package bytes: for checks (`coffer fsck`) that compare the blobs stored with the blobs the
/// records reference, and find packages past a blob's end.
///
/// The read views of ``LevelDBBlobStore`` and ``MemoryBlobStore`` conform (``BlobStore/readView()``
/// returns one). On LevelDB, take it from a snapshot (``LevelDB/Snapshot/blobInventory``) with
/// the metadata view of the same snapshot, so that both answer as of one moment.
public protocol BlobInventory: BlobReader {
    /// One page of the stored blobs, in bytewise order of their ids, from `cursor` (the first
    /// blob when nil), at most `limit` entries (blobs and stray names together).
    func blobs(from cursor: BlobInventoryCursor?, limit: Int) async throws(StorageError) -> BlobInventoryPage

    /// The indexes of the packages of `blob` stored at or after `index`, ascending, at most
    /// `limit` of them.
    func packageIndexes(of blob: BlobID, from index: Int, limit: Int) async throws(StorageError) -> [Int]
}

/// Where a page of ``BlobInventory/blobs(from:limit:)`` starts.
public struct BlobInventoryCursor: Sendable, Hashable {
    /// The stored name (on LevelDB, the key) the page starts at or after.
    let position: [UInt8]

    init(position: [UInt8]) { self.position = position }

    /// The page starting at `blob` (included), e.g. to resume after a read error.
    public init(at blob: BlobID) { position = KeyLayout.chunks(of: blob) }

    /// The blob the page starts at, for inventories that are not LevelDB's; nil when the
    /// position is a stray LevelDB key rather than a blob's.
    public var blob: BlobID? {
        position.count >= 17 ? BlobID(bytes: Array(position[1..<17])) : nil
    }
}

/// One page of a blob inventory.
public struct BlobInventoryPage: Sendable {
    /// Blobs holding at least one package, in id order.
    public var blobs: [BlobID]
    /// Stored names in the package space that are no package of any blob (on LevelDB, keys
    /// under the chunk prefix that are not `c blobId u32be(index)`): damage, as stored bytes.
    public var strayNames: [[UInt8]]
    /// Where the next page starts; nil after the last.
    public var next: BlobInventoryCursor?

    public init(blobs: [BlobID], strayNames: [[UInt8]], next: BlobInventoryCursor?) {
        self.blobs = blobs
        self.strayNames = strayNames
        self.next = next
    }
}

extension LevelDB.Snapshot {
    /// The metadata store's read view at this snapshot (what ``LevelDBMetadataStore/snapshot()``
    /// returns).
    public var metadataReader: any MetadataReader { LevelDBMetadataSnapshot(snapshot: self) }

    /// The blob store's read view at this snapshot, with its inventory. Taken from the same
    /// snapshot as ``metadataReader``, the two views agree on every record and package.
    public var blobInventory: any BlobInventory { LevelDBBlobReadView(snapshot: self) }
}

extension LevelDBBlobReadView: BlobInventory {
    func blobs(from cursor: BlobInventoryCursor?, limit: Int) async throws(StorageError) -> BlobInventoryPage {
        guard limit > 0 else { throw StorageError(.invalidArgument, "inventory limit \(limit) is not positive") }
        let iterator = snapshot.db.makeIterator(snapshot: snapshot, fillCache: false)
        iterator.seek(cursor?.position ?? KeyLayout.allChunks)
        var page = BlobInventoryPage(blobs: [], strayNames: [], next: nil)
        while page.blobs.count + page.strayNames.count < limit, iterator.isValid(withPrefix: KeyLayout.allChunks) {
            let key = iterator.key
            guard key.count == KeyLayout.chunkKeyCount, let blob = BlobID(bytes: Array(key[1..<17])) else {
                page.strayNames.append(key)
                iterator.next()
                continue
            }
            page.blobs.append(blob)
            // Past the blob's last possible package: a seek per blob, not a step per package.
            let last = KeyLayout.chunk(blob: blob, index: KeyLayout.maxChunkIndex)
            iterator.seek(last)
            if iterator.isValid(withKey: last) { iterator.next() }
        }
        try iterator.checkError()
        if iterator.isValid(withPrefix: KeyLayout.allChunks) { page.next = BlobInventoryCursor(position: iterator.key) }
        return page
    }

    func packageIndexes(of blob: BlobID, from index: Int, limit: Int) async throws(StorageError) -> [Int] {
        try LevelDBBlobStore.checkRange(index..<index)
        let prefix = KeyLayout.chunks(of: blob)
        let iterator = snapshot.db.makeIterator(snapshot: snapshot, fillCache: false)
        iterator.seek(KeyLayout.chunk(blob: blob, index: index))
        var indexes: [Int] = []
        while indexes.count < limit, iterator.isValid(withPrefix: prefix) {
            let key = iterator.key
            if key.count == KeyLayout.chunkKeyCount, let number = KeyLayout.readBigEndian(key.suffix(4)) { indexes.append(Int(number)) }
            iterator.next()
        }
        try iterator.checkError()
        return indexes
    }
}

extension MemoryBlobReadView: BlobInventory {
    func blobs(from cursor: BlobInventoryCursor?, limit: Int) async throws(StorageError) -> BlobInventoryPage {
        guard limit > 0 else { throw StorageError(.invalidArgument, "inventory limit \(limit) is not positive") }
        let start = cursor?.position ?? KeyLayout.allChunks
        let ids = blobs.filter { !$0.value.isEmpty }.keys
            .filter { !KeyLayout.chunks(of: $0).lexicographicallyPrecedes(start) }
            .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        let page = Array(ids.prefix(limit))
        let next = ids.count > limit ? BlobInventoryCursor(at: ids[limit]) : nil
        return BlobInventoryPage(blobs: page, strayNames: [], next: next)
    }

    func packageIndexes(of blob: BlobID, from index: Int, limit: Int) async throws(StorageError) -> [Int] {
        Array((blobs[blob] ?? [:]).keys.filter { $0 >= index }.sorted().prefix(limit))
    }
}
