@testable import CofferStorage
import Synchronization
import Testing

@Suite struct KeyTurnsTests {
    /// What the tasks of a test saw.
    final class Observations: Sendable {
        let order = Mutex<[Int]>([])
        let inside = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        let waited = Atomic<Int>(0)
    }

    /// Tasks in one key's turn never overlap, waiters get the turn in arrival order, and a
    /// waiter is told before it waits.
    @Test func oneKeyRunsOneAtATimeFirstComeFirst() async throws {
        let turns = KeyTurns()
        let seen = Observations()
        let (held, holding) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The first task takes the turn and holds it until told to go.
            group.addTask {
                await turns.withTurn([1], willWait: { Issue.record("the first task found the turn taken") }) {
                    holding.yield()
                    for await _ in released { break }
                    seen.order.withLock { $0.append(0) }
                }
            }
            for await _ in held { break }
            // The others queue one after another (each is waiting before the next starts).
            for index in 1...4 {
                let (isQueued, queued) = AsyncStream.makeStream(of: Void.self)
                group.addTask {
                    await turns.withTurn([1], willWait: { seen.waited.add(1, ordering: .relaxed); queued.yield() }) {
                        if seen.inside.add(1, ordering: .relaxed).newValue > 1 { seen.overlapped.store(true, ordering: .relaxed) }
                        seen.order.withLock { $0.append(index) }
                        await Task.yield()
                        seen.inside.subtract(1, ordering: .relaxed)
                    }
                }
                for await _ in isQueued { break }
                // Let the waiter reach its continuation (it registers right after willWait).
                while turns.waiterCount([1]) < index { await Task.yield() }
            }
            // Another key's turn is free meanwhile.
            await turns.withTurn([2], willWait: { Issue.record("key 2 waited for key 1") }) {}
            release.yield()
            try await group.waitForAll()
        }
        #expect(seen.order.withLock { $0 } == [0, 1, 2, 3, 4])
        let waits = seen.waited.load(ordering: .relaxed), overlaps = seen.overlapped.load(ordering: .relaxed)
        #expect(waits == 4)
        #expect(!overlaps)
        #expect(turns.takenCount == 0)
    }

    /// A body that throws passes the turn on.
    @Test func aThrowingBodyPassesTheTurn() async {
        struct Failure: Error {}
        let turns = KeyTurns()
        await #expect(throws: Failure.self) { try await turns.withTurn([1]) { () async throws(Failure) in throw Failure() } }
        #expect(turns.takenCount == 0)
        await turns.withTurn([1], willWait: { Issue.record("the turn was not passed on") }) {}
    }
}
