import CofferStorage
import CofferStorageConformance
import CofferStorageRados
import Foundation
import Testing

@Suite(
    "RadosMetadataStore: races and rates against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosMetadataStoreRaceTests {
    /// A prefix condition and a write into the prefix never both win: the generation guard
    /// serializes them.
    @Test func prefixConditionsSerializeWithWritesIntoThePrefix() async throws {
        try await Live.withStore { store in
            try await MetadataStoreConformance.prefixConditionsSerializeWithWritesIntoThePrefix(store, rounds: 20)
        }
    }

    /// Sequential rates of a 1-key conditional commit and a 100-key scan page (printed; only
    /// when COFFER_TEST_RADOS_RATES is set).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["COFFER_TEST_RADOS_RATES"] != nil))
    func rates() async throws {
        try await Live.withStore { store in
            let commits = 500
            var start = ContinuousClock.now
            for i in 0..<commits {
                var batch = MetadataBatch()
                batch.require(.absent(bytes("rate/\(1000 + i)")))
                batch.put(bytes("rate/\(1000 + i)"), Array(repeating: 7, count: 100))
                try await store.commit(batch, durability: .synced)
            }
            let commitSeconds = (ContinuousClock.now - start) / .seconds(1)
            var counted = MetadataBatch()
            counted.require(.keyCount(prefix: bytes("none/"), count: 0))
            counted.put(bytes("x"), [1])
            start = ContinuousClock.now
            for _ in 0..<200 { try await store.commit(counted, durability: .synced) }
            let countedSeconds = (ContinuousClock.now - start) / .seconds(1)
            let scans = 500
            start = ContinuousClock.now
            for i in 0..<scans {
                let page = try await store.scan(ScanRequest(prefix: bytes("rate/"), start: .at(bytes("rate/\(1000 + i % 400)")), limit: 100))
                #expect(page.entries.count == 100)
            }
            let scanSeconds = (ContinuousClock.now - start) / .seconds(1)
            start = ContinuousClock.now
            for _ in 0..<50 { _ = try await store.snapshot() }
            let snapshotSeconds = (ContinuousClock.now - start) / .seconds(1)
            print("RATES conditional 1-key commit: \(Int(Double(commits) / commitSeconds))/s; keyCount commit: \(Int(200 / countedSeconds))/s; 100-key scan page: \(Int(Double(scans) / scanSeconds))/s; snapshot of 501 keys: \(Int(50 / snapshotSeconds))/s")
        }
    }
}
