import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

@Suite struct WritePreconditionTests {
    @Test(arguments: Backend.allCases) func conditionalCommitsAreCheckedAgainstTheCurrentObject(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let first = objectRecord(key: "k", segments: [try await writeBlob(store, [bytes("a")])], etag: "a")
            #expect(await errorCode { try await store.commitObject(first, precondition: .etagMatches("a")) } == .notFound)
            try await store.commitObject(first, precondition: .absent)
            let second = objectRecord(key: "k", segments: [try await writeBlob(store, [bytes("b")])], etag: "b")
            #expect(await errorCode { try await store.commitObject(second, precondition: .absent) } == .preconditionFailed)
            #expect(await errorCode { try await store.commitObject(second, precondition: .etagMatches("zzz")) } == .preconditionFailed)
            #expect(try await store.object(bucket: "bucket", key: "k")?.etag == "a")
            try await store.commitObject(second, precondition: .etagMatches("a"))
            #expect(try await store.object(bucket: "bucket", key: "k")?.etag == "b")
            #expect(try await store.chunkCount() == 1)
        }
    }

    /// Of many concurrent `If-None-Match: *` creates of one key, exactly one wins; the others
    /// fail with `.preconditionFailed` and their blobs are discarded.
    @Test(arguments: Backend.allCases) func exactlyOneCreateWins(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let outcomes = try await withThrowingTaskGroup(of: (Int, StorageError.Code?).self) { group in
                for task in 0..<12 {
                    group.addTask {
                        (task, await errorCode { try await putObject(store, key: "k", chunks: [[UInt8(task)]], etag: "e\(task)", precondition: .absent) })
                    }
                }
                return try await group.reduce(into: [(task: Int, code: StorageError.Code?)]()) { $0.append($1) }
            }
            let winners = outcomes.filter { $0.code == nil }.map(\.task)
            #expect(winners.count == 1)
            #expect(outcomes.filter { $0.code == .preconditionFailed }.count == 11)
            let winner = try #require(winners.first)
            #expect(try await store.object(bucket: "bucket", key: "k")?.etag == "e\(winner)")
            #expect(try await store.chunkCount() == 1)
            #expect(try await store.pendingBlobCount() == 0)
        }
    }

    /// `If-Match` as compare-and-swap: each round, every task tries to replace the version
    /// it read; exactly one per round succeeds, so no update is lost.
    @Test(arguments: Backend.allCases) func ifMatchRacesLoseNoUpdate(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            try await putObject(store, key: "k", etag: "v0")
            for round in 1...8 {
                let current = try #require(try await store.object(bucket: "bucket", key: "k")).etag
                let codes = try await withThrowingTaskGroup(of: StorageError.Code?.self) { group in
                    for task in 0..<6 {
                        group.addTask {
                            await errorCode { try await putObject(store, key: "k", etag: "v\(round)-\(task)", precondition: .etagMatches(current)) }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(codes.filter { $0 == nil }.count == 1)
                #expect(codes.filter { $0 == .preconditionFailed }.count == 5)
                #expect(try await store.object(bucket: "bucket", key: "k")?.etag.hasPrefix("v\(round)-") == true)
            }
            #expect(try await store.chunkCount() == 1)
            #expect(try await store.pendingBlobCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)
        }
    }
}
