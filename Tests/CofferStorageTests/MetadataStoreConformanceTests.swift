import CofferStorage
import CofferStorageConformance
import Testing

/// The contract of ``MetadataStore`` (``MetadataStoreConformance``), checked on the LevelDB
/// and memory stores.
@Suite struct MetadataStoreConformanceTests {
    @Test(arguments: Backend.allCases, MetadataStoreConformance.checks)
    func conformance(_ backend: Backend, _ check: MetadataStoreConformance.Check) async throws {
        try await withStores(backend) { store, _ in try await check.run(store) }
    }
}
