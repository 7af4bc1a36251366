import CofferStorage
import CofferStorageConformance
import Testing

/// The contract of ``BlobStore`` (``BlobStoreConformance``), checked on the LevelDB and
/// memory stores, whose read views are snapshots (so the snapshot checks too).
@Suite struct BlobStoreConformanceTests {
    @Test(arguments: Backend.allCases, BlobStoreConformance.checks + BlobStoreConformance.snapshotChecks)
    func conformance(_ backend: Backend, _ check: BlobStoreConformance.Check) async throws {
        try await withStores(backend) { _, blobs in try await check.run(blobs) }
    }
}
