@testable import CofferStorage
import CofferStorageConformance
import Testing

/// LevelDB's group committer (``GroupCommitter``) and commit announcements: synced commits are
/// written in groups, one log sync per group; a group waits for announced commits only.
/// Figures are counted by the store (``LevelDB/commitStatistics``), never timed.
@Suite struct GroupCommitTests {
    /// A database whose groups wait up to `delay` for announced commits.
    func withDatabase(delay: Duration, target: Int = 4, _ body: (LevelDB, LevelDBMetadataStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var options = LevelDB.Options()
        options.groupCommitDelay = delay
        options.groupCommitTarget = target
        let database = try LevelDB(path: directory.path + "/db", options: options)
        try await body(database, LevelDBMetadataStore(database: database))
    }

    /// Returns once a commit is queued and held open by the commit thread (a condition, not a
    /// time: the thread holds it while an announcement is open and the delay outlasts the test).
    static func untilQueued(_ database: LevelDB) async {
        while database.committer.queuedCount == 0 { await Task.yield() }
    }

    func put(_ key: String, _ value: String = "v") -> MetadataBatch {
        var batch = MetadataBatch()
        batch.put(bytes(key), bytes(value))
        return batch
    }

    /// Many concurrent synced commits all land; none costs more than one sync, and the store
    /// counts every commit.
    @Test func concurrentSyncedCommitsAllLand() async throws {
        try await withDatabase(delay: .zero) { database, store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        for i in 0..<10 { try await store.commit(put("k/\(task)/\(i)", "\(task).\(i)"), durability: .synced) }
                    }
                }
                try await group.waitForAll()
            }
            for task in 0..<32 {
                for i in 0..<10 { #expect(try await store.get(bytes("k/\(task)/\(i)")) == bytes("\(task).\(i)")) }
            }
            let figures = database.commitStatistics
            #expect(figures.commits == 320)
            #expect(figures.syncs >= 1 && figures.syncs <= 320)
        }
    }

    /// A commit made while another is announced waits for it: both are written with one sync.
    /// (The delay is far longer than the test, so only the announced commit's arrival can end
    /// the wait.)
    @Test(.timeLimit(.minutes(1))) func aCommitWaitsForAnAnnouncedOne() async throws {
        try await withDatabase(delay: .seconds(600)) { database, store in
            let announcement = store.announceCommit()
            let first = Task { try await store.commit(put("first"), durability: .synced) }
            // The announced commit arrives once the first is queued (and held), fulfilling its
            // announcement.
            await Self.untilQueued(database)
            try await store.commit(put("second"), durability: .synced, fulfilling: [announcement])
            try await first.value
            #expect(database.commitStatistics == .init(commits: 2, syncs: 1))
            #expect(database.committer.announcedCount == 0)
        }
    }

    /// A group waits no longer once it holds the target number of commits.
    @Test(.timeLimit(.minutes(1))) func aGroupStopsWaitingAtItsTarget() async throws {
        try await withDatabase(delay: .seconds(600), target: 3) { database, store in
            let pending = store.announceCommit()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<3 { group.addTask { try await store.commit(put("t\(i)"), durability: .synced) } }
                try await group.waitForAll()
            }
            #expect(database.commitStatistics.commits == 3)
            #expect(database.committer.announcedCount == 1)
            pending.withdraw()
            #expect(database.committer.announcedCount == 0)
        }
    }

    /// Withdrawing an announcement (a write that failed or grew large) ends the wait for it.
    @Test(.timeLimit(.minutes(1))) func withdrawingEndsTheWait() async throws {
        try await withDatabase(delay: .seconds(600)) { database, store in
            let announcement = store.announceCommit()
            let waiting = Task { try await store.commit(put("alone"), durability: .synced) }
            await Self.untilQueued(database)
            announcement.withdraw()
            announcement.withdraw() // idempotent
            try await waiting.value
            #expect(database.commitStatistics == .init(commits: 1, syncs: 1))
            #expect(database.committer.announcedCount == 0)
        }
    }

    /// With nothing announced, a commit never waits (the delay would outlast the test).
    @Test(.timeLimit(.minutes(1))) func nothingAnnouncedNoWait() async throws {
        try await withDatabase(delay: .seconds(600)) { database, store in
            for i in 0..<5 { try await store.commit(put("seq\(i)"), durability: .synced) }
            #expect(database.commitStatistics == .init(commits: 5, syncs: 5))
        }
    }

    /// An announcement released without a commit (its commit failed its condition, or its
    /// owner went away) is withdrawn, so it holds no group open.
    @Test func aReleasedAnnouncementIsWithdrawn() async throws {
        try await withDatabase(delay: .seconds(600)) { database, store in
            var batch = put("conditional")
            batch.require(.present(bytes("missing")))
            do {
                let announcement = store.announceCommit()
                #expect(database.committer.announcedCount == 1)
                await #expect(throws: StorageError.self) {
                    try await store.commit(batch, durability: .synced, fulfilling: [announcement])
                }
            }
            #expect(database.committer.announcedCount == 0)
        }
    }

    /// The object store's writes end their announcements: a committed object, a discarded
    /// blob, a blob larger than one batch (withdrawn as it grows) leave none open.
    @Test func objectWritesLeaveNoAnnouncementOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var options = ObjectStore.Options()
        options.chunkBatchBytes = 1024
        let store = try await ObjectStore(directory: directory.path, options: options)
        let committer = try #require(store.db).committer
        try await makeBucket(store, "announce")

        let small = try await store.makeBlobWriter(announcement: store.announceCommit())
        try await small.writeChunk(Array(repeating: 1, count: 100))
        #expect(committer.announcedCount == 1)
        let ref = try await small.finish(logicalSize: 100)
        #expect(committer.announcedCount == 1) // kept for the commit
        try await store.commitObject(objectRecord(bucket: "announce", key: "small", segments: [ref]))
        #expect(committer.announcedCount == 0)

        let discarded = try await store.makeBlobWriter()
        _ = try await discarded.finish(logicalSize: 0)
        try await store.discard([discarded.id])
        #expect(committer.announcedCount == 0)

        let large = try await store.makeBlobWriter()
        for _ in 0..<3 { try await large.writeChunk(Array(repeating: 2, count: 1000)) }
        #expect(committer.announcedCount == 0) // withdrawn when the first batch was written
        try await large.discard()
        #expect(committer.announcedCount == 0)
    }
}
