import CofferRados
import CofferStorage
import CofferStorageConformance
import CofferStorageRados
import Foundation
import Testing

/// The cluster: `COFFER_TEST_RADOS_CONF` names its conf (`eval "$(scripts/ceph-dev.sh env DIR)"`),
/// `COFFER_TEST_RADOS_POOL` its pool (default `coffer`), `COFFER_TEST_RADOS_USER` the client.
enum Live {
    static let environment = ProcessInfo.processInfo.environment
    static let conf: String? = environment["COFFER_TEST_RADOS_CONF"].flatMap { $0.isEmpty ? nil : $0 }
    static let pool = environment["COFFER_TEST_RADOS_POOL"] ?? "coffer"
    static let user = environment["COFFER_TEST_RADOS_USER"] ?? "admin"

    /// A store in an index object of its own (a fresh name per test), removed afterwards.
    static func withStore<R>(_ body: (RadosMetadataStore) async throws -> R) async throws -> R {
        let io = try await Cluster.connect(conf: try #require(conf), user: user).ioContext(pool: pool)
        let store = try await RadosMetadataStore.open(io: io, object: "test-store-\(UUID().uuidString)")
        do {
            let result = try await body(store)
            try? await io.remove(store.object)
            return result
        } catch {
            try? await io.remove(store.object)
            throw error
        }
    }
}

@Suite(
    "RadosMetadataStore against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosMetadataStoreTests {
    @Test(arguments: MetadataStoreConformance.checks)
    func conformance(_ check: MetadataStoreConformance.Check) async throws {
        try await Live.withStore { store in try await check.run(store) }
    }
}
