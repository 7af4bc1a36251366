import CofferRados
import CofferStorage
import CofferStorageConformance
import CofferStorageRados
import Foundation
import Testing

extension Live {
    static func io() async throws -> IOContext {
        try await Cluster.connect(conf: try #require(conf), user: user).ioContext(pool: pool)
    }

    /// A fresh node name: no two tests (or runs) share a trail.
    static func node(_ base: String = "test") -> String { "\(base)-\(UUID().uuidString.prefix(18))" }

    /// A sink of a fresh node on a connection of its own; the node's objects (and `extra` data
    /// objects, such as ones the test knows are not listed) are removed afterwards.
    static func withAuditSink<R>(
        lockDuration: Duration = .seconds(30), extra: [String] = [], _ body: (RadosAuditSink) async throws -> R
    ) async throws -> R {
        let sink = try RadosAuditSink(io: try await io(), node: node(), lockDuration: lockDuration)
        do {
            let result = try await body(sink)
            await removeTrail(sink, extra: extra)
            return result
        } catch {
            await removeTrail(sink, extra: extra)
            throw error
        }
    }

    /// Removes the objects of `sink`'s node: every listed item, `extra` names, the index object
    /// and the node's entry in the node list.
    static func removeTrail(_ sink: RadosAuditSink, extra: [String] = []) async {
        for name in ((try? sink.list()) ?? []) + extra { try? await sink.io.remove(sink.dataObject(name)) }
        try? await sink.io.remove(sink.indexObject)
        var unregister = WriteOperation()
        unregister.remove(keys: [Array(sink.node.utf8)])
        try? await sink.io.operate(unregister, on: RadosAuditSink.nodesObject)
    }

    /// Breaks every hold on `sink`'s writer lock, as an operator would for a node known dead.
    static func breakWriterLock(_ sink: RadosAuditSink) throws {
        let lockers = try sink.io.blocking.lockers(sink.indexObject, lock: RadosAuditSink.lockName)
        #expect(lockers.count == 1)
        for locker in lockers {
            try sink.io.blocking.breakLock(sink.indexObject, lock: RadosAuditSink.lockName, client: locker.client, cookie: locker.cookie)
        }
    }
}

/// The code of the `StorageError` that `body` throws (nil: none).
func code(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> StorageError.Code? {
    AuditSinkConformance.code(body, sourceLocation: sourceLocation)
}

@Suite(
    "RadosAuditSink against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosAuditSinkTests {
    @Test(arguments: AuditSinkConformance.checks)
    func conformance(_ check: AuditSinkConformance.Check) async throws {
        try await Live.withAuditSink { sink in try check.run(sink) }
    }

    @Test func nodeNamesAreChecked() async throws {
        let io = try await Live.io()
        for bad in ["", "a/b", "a b", "é", String(repeating: "n", count: 65), "x\u{0}"] {
            #expect(code { _ = try RadosAuditSink(io: io, node: bad) } == .invalidArgument, "\(bad.debugDescription)")
        }
        for good in ["a", "node-1.eu_west", String(repeating: "n", count: 64)] {
            #expect(code { _ = try RadosAuditSink(io: io, node: good) } == nil, "\(good)")
        }
        #expect(code { _ = try RadosAuditSink(io: io, node: "a", lockDuration: .milliseconds(500)) } == .invalidArgument)
    }

    /// Two nodes' trails share a pool and names, never objects.
    @Test func twoNodesDoNotSeeEachOthersNames() async throws {
        try await Live.withAuditSink { first in
            try await Live.withAuditSink { second in
                let one = try first.openWriter(), two = try second.openWriter()
                try one.createSegment("log", durability: .buffered)
                try one.append(bytes("first node\n"), to: "log", durability: .buffered)
                try one.writeObject("only-first", bytes("1"))
                try two.createSegment("log", durability: .buffered)
                try two.append(bytes("second node\n"), to: "log", durability: .buffered)
                try two.writeObject("only-second", bytes("2"))
                #expect(try first.list() == ["log", "only-first"])
                #expect(try second.list() == ["log", "only-second"])
                #expect(try first.read("log") == bytes("first node\n"))
                #expect(try second.read("log") == bytes("second node\n"))
                #expect(code { _ = try first.read("only-second") } == .notFound)
                #expect(code { _ = try second.read("only-first") } == .notFound)
                #expect(first.dataObject("log") != second.dataObject("log"))
            }
        }
    }

    /// The node list names every node whose writer was opened, and only once.
    @Test func theNodeListNamesEveryNodeWithATrail() async throws {
        try await Live.withAuditSink { first in
            try await Live.withAuditSink { second in
                let never = try RadosAuditSink(io: first.io, node: Live.node("never-opened"))
                _ = try first.openWriter()
                _ = try second.openWriter()
                _ = try second.openWriter()
                let nodes = try RadosAuditSink.nodes(io: first.io)
                #expect(nodes.contains(first.node) && nodes.contains(second.node))
                #expect(!nodes.contains(never.node))
                #expect(nodes == AuditSinkName.sorted(Set(nodes)), "bytewise order, each once")
                #expect(try never.list() == [], "a node without a trail lists nothing")
                #expect(code { _ = try never.read("log") } == .notFound)
            }
        }
    }

    /// Another process (another client of the cluster, another sink instance) on the same node
    /// name gets `.writerActive` until the first writer is released.
    @Test func aSecondWriterOnTheSameNodeIsRefusedUntilTheFirstIsReleased() async throws {
        try await Live.withAuditSink { sink in
            let elsewhere = try RadosAuditSink(io: try await Live.io(), node: sink.node)
            var first: (any AuditSinkWriter)? = try sink.openWriter()
            try first?.createSegment("log", durability: .buffered)
            try first?.append(bytes("from the first writer\n"), to: "log", durability: .buffered)
            #expect(code { _ = try elsewhere.openWriter() } == .writerActive)
            let lockers = try sink.io.blocking.lockers(sink.indexObject, lock: RadosAuditSink.lockName)
            #expect(lockers.count == 1)
            first = nil
            #expect(try sink.io.blocking.lockers(sink.indexObject, lock: RadosAuditSink.lockName).isEmpty, "released: unlocked")
            let second = try elsewhere.openWriter()
            #expect(try elsewhere.read("log") == bytes("from the first writer\n"))
            try second.truncate("log", to: 5, durability: .synced)
            try second.seal("log")
            #expect(code { _ = try sink.openWriter() } == .writerActive, "and now the first process is refused")
        }
    }

    /// A crashed node's lock expires after its duration and is then taken over; a living
    /// writer's lock does not expire (its thread renews it).
    @Test func anExpiredLockIsTakenOverAndALivingOneIsRenewed() async throws {
        // Durations with seconds of slack: the renewal thread may be late on a loaded machine.
        try await Live.withAuditSink(lockDuration: .seconds(6)) { sink in
            // A node that took the lock for 3 s and died: nobody renews it.
            let crashed = try await Live.io()
            let start = ContinuousClock.now
            try crashed.blocking.lockExclusive(sink.indexObject, lock: RadosAuditSink.lockName, cookie: "crashed-node",
                                               description: "a node that crashed", duration: .seconds(3))
            #expect(code { _ = try sink.openWriter() } == .writerActive)
            try await Task.sleep(until: start + .milliseconds(3600))
            let writer = try sink.openWriter()
            try writer.createSegment("log", durability: .buffered)
            // Longer than its duration later, the lock still holds and the writer still writes.
            try await Task.sleep(for: .seconds(8))
            let elsewhere = try RadosAuditSink(io: crashed, node: sink.node)
            #expect(code { _ = try elsewhere.openWriter() } == .writerActive)
            try writer.append(bytes("still the writer\n"), to: "log", durability: .buffered)
            #expect(try sink.read("log") == bytes("still the writer\n"))
        }
    }

    /// A writer whose lock was broken (or expired while it was paused) learns it at its next
    /// renewal and refuses every call from then on.
    @Test func aWriterThatLostItsLockRefusesToWrite() async throws {
        try await Live.withAuditSink(lockDuration: .seconds(2)) { sink in
            let writer = try sink.openWriter()
            try writer.createSegment("log", durability: .buffered)
            try Live.breakWriterLock(sink)
            // Its renewal thread tries every 2/3 s: it has noticed within 4 s, even when late.
            try await Task.sleep(for: .seconds(4))
            #expect(code { try writer.append(bytes("late\n"), to: "log", durability: .buffered) } == .writerActive)
            #expect(code { try writer.writeObject("digest", bytes("{}")) } == .writerActive)
            #expect(try sink.read("log") == [])
            #expect(try sink.list() == ["log"])
        }
    }

    /// A writer that was succeeded without noticing (its lock broken, no renewal due yet) is
    /// fenced by the epoch: none of its calls changes what readers see.
    @Test func aSucceededWriterIsFencedByTheEpoch() async throws {
        try await Live.withAuditSink(lockDuration: .seconds(300), extra: ["fresh"]) { sink in
            let old = try sink.openWriter()
            try old.createSegment("log", durability: .buffered)
            try old.append(bytes("acknowledged\n"), to: "log", durability: .buffered)
            try old.writeObject("digest", bytes("old digest"))
            try Live.breakWriterLock(sink)
            let successor = try RadosAuditSink(io: try await Live.io(), node: sink.node, lockDuration: .seconds(300))
            let new = try successor.openWriter()
            try new.writeObject("digest", bytes("new digest"))

            #expect(code { try old.append(bytes("stale\n"), to: "log", durability: .buffered) } == .writerActive)
            #expect(code { try old.truncate("log", to: 0, durability: .buffered) } == .writerActive)
            #expect(code { try old.createSegment("log-2", durability: .buffered) } == .writerActive)
            #expect(code { try old.writeObject("digest", bytes("stale digest")) } == .writerActive)
            #expect(code { try old.writeObject("fresh", bytes("stale")) } == .writerActive)
            #expect(code { try old.seal("log") } == .writerActive)
            #expect(try sink.list() == ["digest", "log"], "nothing the old writer tried is listed")
            #expect(try sink.read("log") == bytes("acknowledged\n"))
            #expect(try sink.read("digest") == bytes("new digest"))

            try new.truncate("log", to: 4, durability: .synced)
            try new.seal("log")
            try new.createSegment("log-2", durability: .buffered)
            try new.append(bytes("new\n"), to: "log-2", durability: .buffered)
            #expect(try sink.read("log") == bytes("ackn"))
            #expect(try sink.read("log-2") == bytes("new\n"))
        }
    }

    /// An append whose answer was lost (stored, but the writer saw an error) is never stored
    /// twice: the retry's length guard fails, and the writer's truncate to the length it
    /// knows removes the first copy.
    @Test func anAppendIsNeverStoredTwice() async throws {
        try await Live.withAuditSink { sink in
            let writer = try sink.openWriter()
            try writer.createSegment("log", durability: .buffered)
            try writer.append(bytes("one\n"), to: "log", durability: .buffered)
            // The next append lands, but its answer is lost: what the OSD holds afterwards.
            var landed = BlockingIO.DataOperation()
            landed.write(bytes("two\n"), at: 4)
            landed.setXattr("coffer.length", bytes("8"))
            try sink.io.blocking.operate(landed, on: sink.dataObject("log"))
            #expect(code { try writer.append(bytes("two\n"), to: "log", durability: .buffered) } == .io)
            #expect(try sink.read("log") == bytes("one\ntwo\n"), "not doubled")
            try writer.truncate("log", to: 4, durability: .buffered)
            try writer.append(bytes("two\n"), to: "log", durability: .buffered)
            #expect(try sink.read("log") == bytes("one\ntwo\n"))
        }
    }

    /// The crash orders: a segment whose creation stopped after its index entry reads as empty
    /// (and the next writer creates it); an object whose write stopped before its index entry
    /// is not listed, and its name can still be created.
    @Test func whatACrashLeavesReadsSafely() async throws {
        try await Live.withAuditSink(extra: ["unlisted"]) { sink in
            _ = try sink.openWriter()
            var listedOnly = WriteOperation()
            listedOnly.set([(key: bytes("cut"), value: bytes("open"))])
            try sink.io.blocking.operate(listedOnly, on: sink.indexObject)
            try sink.io.blocking.writeFull(sink.dataObject("unlisted"), bytes("never acknowledged"))
            #expect(try sink.list() == ["cut"])
            #expect(try sink.read("cut") == [])

            let next = try sink.openWriter()
            #expect(try sink.io.blocking.stat(sink.dataObject("cut")).size == 0, "fenced: created empty")
            try next.truncate("cut", to: 0, durability: .synced)
            try next.seal("cut")
            try next.createSegment("unlisted", durability: .buffered)
            #expect(try sink.read("unlisted") == [], "the unacknowledged bytes are gone")
            try next.append(bytes("x"), to: "unlisted", durability: .buffered)
            #expect(try sink.list() == ["cut", "unlisted"])
            #expect(try sink.read("unlisted") == bytes("x"))
        }
    }

    /// Reads of a segment larger than one read piece (4 MiB) come back whole and from any
    /// offset.
    @Test func largeSegmentsAreReadInPieces() async throws {
        try await Live.withAuditSink { sink in
            let writer = try sink.openWriter()
            try writer.createSegment("big", durability: .buffered)
            let chunk = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
            for _ in 0..<9 { try writer.append(chunk, to: "big", durability: .buffered) }
            let all = try sink.read("big")
            #expect(all.count == 9 << 20)
            #expect(all.suffix(1 << 20).elementsEqual(chunk))
            let tail = try sink.read("big", from: (9 << 20) - 100)
            #expect(tail.elementsEqual(chunk.suffix(100)))
            let middle = try sink.read("big", from: 3 << 20)
            #expect(middle.count == 6 << 20)
        }
    }
}
