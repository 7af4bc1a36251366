import CofferStorage
import CofferStorageConformance
import Testing

/// Concurrent commits on every ``MetadataStore``: conditional commits are check-and-write
/// atomic with respect to each other.
@Suite struct MetadataStoreConcurrencyTests {
    /// Many tasks commit different keys at once: every commit lands.
    @Test(arguments: Backend.allCases) func concurrentWritersOfDifferentKeys(_ backend: Backend) async throws {
        try await withStores(backend) { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        for i in 0..<20 {
                            var batch = MetadataBatch()
                            batch.require(.absent(bytes("w/\(task)/\(i)")))
                            batch.put(bytes("w/\(task)/\(i)"), [UInt8(task), UInt8(i)])
                            try await store.commit(batch, durability: i % 2 == 0 ? .synced : .buffered)
                        }
                    }
                }
                try await group.waitForAll()
            }
            var request: ScanRequest? = ScanRequest(prefix: bytes("w/"), limit: 100)
            var count = 0
            while let current = request {
                let page = try await store.scan(current)
                count += page.entries.count
                request = page.continuation(of: current)
            }
            #expect(count == 16 * 20)
        }
    }

    /// Of many tasks creating one key on the condition that it is absent, exactly one wins.
    @Test(arguments: Backend.allCases) func exactlyOneConditionalCreateWins(_ backend: Backend) async throws {
        try await withStores(backend) { store, _ in
            for round in 0..<10 {
                let key = bytes("race/\(round)")
                let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for task in 0..<12 {
                        group.addTask {
                            var batch = MetadataBatch()
                            batch.require(.absent(key))
                            batch.put(key, [UInt8(task)])
                            do {
                                try await store.commit(batch, durability: .synced)
                                return true
                            } catch let error as StorageError where error.code == .conditionFailed && error.key == key {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(wins == 1)
            }
        }
    }

    /// Read-modify-write increments conditional on the value read: with retries, no
    /// increment is lost, so check and write are one atomic step.
    @Test(arguments: Backend.allCases) func conditionalIncrementsLoseNothing(_ backend: Backend) async throws {
        try await withStores(backend) { store, _ in
            let key = bytes("counter")
            try await store.commit({ var b = MetadataBatch(); b.put(key, [0, 0]); return b }(), durability: .synced)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<15 {
                            while true {
                                let current = try #require(try await store.get(key))
                                let value = Int(current[0]) << 8 | Int(current[1]) + 1
                                var batch = MetadataBatch()
                                batch.require(.equals(key, current))
                                batch.put(key, [UInt8(value >> 8), UInt8(value & 0xFF)])
                                if await errorCode({ try await store.commit(batch, durability: .buffered) }) == nil { break }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.get(key) == [0, 120])
        }
    }

    /// A prefix condition and a write into the prefix never both win
    /// (``MetadataStoreConformance/prefixConditionsSerializeWithWritesIntoThePrefix(_:rounds:)``).
    @Test(arguments: Backend.allCases) func prefixConditionsSerializeWithWritesIntoThePrefix(_ backend: Backend) async throws {
        try await withStores(backend) { store, _ in
            try await MetadataStoreConformance.prefixConditionsSerializeWithWritesIntoThePrefix(store, rounds: 30)
        }
    }
}
