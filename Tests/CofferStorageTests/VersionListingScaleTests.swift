@testable import CofferStorage
import Foundation
import Synchronization
import Testing

/// ListObjectVersions over 100,000 versions of one key: page by page, each page reading a
/// bounded number of entries from the store wherever it starts.
@Suite struct VersionListingScaleTests {
    static let versionCount = 100_000

    /// Stores `count` versions of `key` directly (as the store lays them out: the newest under
    /// `o`, the others under `v`), in a few large batches: committing them one by one would
    /// take minutes of log syncs and prove nothing more. Records are made from one encoded
    /// template whose id and stamp (fixed widths) are overwritten, as encoding 100,000 records
    /// costs seconds in a debug build.
    /// - Returns: the versions' ids, oldest first.
    static func storeVersions(_ store: ObjectStore, key: String, count: Int) async throws -> [VersionID] {
        var generator = RecordSeededGenerator(seed: 1)
        let first = VersionStamp(date: fixedDate)
        var template = ObjectRecord(bucket: "bucket", key: key, size: 0, etag: "e", lastModified: fixedDate, owner: "alice", segments: [])
        template.versionStamp = first
        template.versionId = VersionID.make(stamp: first, using: &generator)
        let templateBytes = try template.encoded()
        let idRange = try #require(range(of: Array(template.versionIdText.utf8), in: templateBytes))
        let stampRange = try #require(range(of: Array(String(first.rawValue).utf8), in: templateBytes))
        var ids: [VersionID] = []
        var batch = MetadataBatch()
        // Newest first, which is key order: each put appends to the memory store's arrays.
        for i in (0..<count).reversed() {
            let stamp = try #require(VersionStamp(rawValue: first.rawValue + UInt64(i)))
            let id = VersionID.make(stamp: stamp, using: &generator)
            ids.append(id)
            var bytes = templateBytes
            bytes.replaceSubrange(idRange, with: Array(id.description.utf8))
            bytes.replaceSubrange(stampRange, with: Array(String(stamp.rawValue).utf8))
            let storeKey = i == count - 1 ? KeyLayout.object(bucket: "bucket", key: key) : KeyLayout.version(bucket: "bucket", key: key, stamp: stamp)
            batch.put(storeKey, bytes)
            if batch.operations.count == 10_000 {
                try await store.metadata.commit(batch, durability: .buffered)
                batch = MetadataBatch()
            }
        }
        try await store.metadata.commit(batch, durability: .buffered)
        // The splice makes what encoding makes.
        let sample = try ObjectRecord(encoded: try #require(try await store.metadata.get(KeyLayout.version(bucket: "bucket", key: key, stamp: ids[7].stamp))))
        #expect(sample.versionId == ids[7] && sample.versionStamp == ids[7].stamp)
        return ids.reversed()
    }

    static func range(of needle: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
        guard needle.count <= bytes.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }

    @Test(arguments: Backend.allCases) func oneHundredThousandVersionsPageInBoundedMemory(_ backend: Backend) async throws {
        try await withStore(backend) { base, _ in
            try await makeBucket(base, versioning: .enabled)
            try await putVersion(base, key: "before", date: at(0))
            try await putVersion(base, key: "zafter", date: at(0))
            let ids = try await Self.storeVersions(base, key: "many", count: Self.versionCount)
            let counting = CountingMetadataStore(base: base.metadata)
            let store = try await ObjectStore(metadata: counting, blobs: base.blobs)

            var keyMarker: String? = "before"
            var versionMarker = VersionSelector.current
            var listed = 0
            var previous: VersionStamp?
            var pages = 0
            var misplaced = 0
            while true {
                counting.reset()
                let page = try await store.listObjectVersions(bucket: "bucket", prefix: "m", keyMarker: keyMarker, versionIdMarker: versionMarker, maxKeys: 1000)
                pages += 1
                // Each of the three scans reads at most one page of maxKeys + 1 entries.
                #expect(counting.entriesRead <= 3 * 1001, "page \(pages) read \(counting.entriesRead) entries")
                // Checked without an expectation per entry (300,000 of them cost seconds).
                for entry in page.versions {
                    let inOrder = previous.map { entry.record.stamp < $0 } ?? true
                    if entry.record.key != "many" || entry.isLatest != (listed == 0) || !inOrder { misplaced += 1 }
                    previous = entry.record.stamp
                    listed += 1
                }
                guard page.isTruncated else { break }
                #expect(page.versions.count == 1000)
                keyMarker = page.nextKeyMarker
                versionMarker = try #require(VersionSelector(versionId: page.nextVersionIdMarker))
            }
            #expect(listed == Self.versionCount)
            #expect(misplaced == 0)
            #expect(pages == Self.versionCount / 1000)
            #expect(previous == ids.first?.stamp)
            #expect(try await store.version(bucket: "bucket", key: "many", .current)?.versionId == ids.last)

            // A page that starts in the middle seeks there: it reads no more than it returns.
            counting.reset()
            let page = try await store.listObjectVersions(bucket: "bucket", keyMarker: "many", versionIdMarker: .id(ids[ids.count - 1 - 54_321]), maxKeys: 10)
            #expect(page.versions.compactMap(\.record.versionId) == Array(ids[(ids.count - 1 - 54_331)...(ids.count - 1 - 54_322)].reversed()))
            #expect(counting.entriesRead <= 3 * 11, "read \(counting.entriesRead) entries")
            // After the key's oldest version, the next key follows.
            let tail = try await store.listObjectVersions(bucket: "bucket", keyMarker: "many", versionIdMarker: .id(ids[0]), maxKeys: 10)
            #expect(tail.versions.map(\.record.key) == ["zafter"])
        }
    }
}

/// A metadata store that counts the entries its scans (and its snapshots' scans) return.
final class CountingMetadataStore: MetadataStore {
    let base: any MetadataStore
    private let count = Mutex(0)

    init(base: any MetadataStore) { self.base = base }

    var entriesRead: Int { count.withLock { $0 } }
    func reset() { count.withLock { $0 = 0 } }
    fileprivate func add(_ n: Int) { count.withLock { $0 += n } }

    func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? { try await base.get(key) }
    func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] { try await base.get(keys: keys) }
    func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
        let page = try await base.scan(request)
        add(page.entries.count)
        return page
    }
    func commit(_ batch: MetadataBatch, durability: Durability) async throws(StorageError) { try await base.commit(batch, durability: durability) }
    func snapshot() async throws(StorageError) -> any MetadataReader { CountingReader(base: try await base.snapshot(), store: self) }

    struct CountingReader: MetadataReader {
        let base: any MetadataReader
        let store: CountingMetadataStore
        func get(_ key: [UInt8]) async throws(StorageError) -> [UInt8]? { try await base.get(key) }
        func get(keys: [[UInt8]]) async throws(StorageError) -> [[UInt8]?] { try await base.get(keys: keys) }
        func scan(_ request: ScanRequest) async throws(StorageError) -> ScanPage {
            let page = try await base.scan(request)
            store.add(page.entries.count)
            return page
        }
    }
}
