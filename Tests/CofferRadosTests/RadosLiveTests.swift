import CofferRados
import Foundation
import Testing

/// The cluster the tests run against: `COFFER_TEST_RADOS_CONF` names its conf (e.g. from
/// `eval "$(scripts/ceph-dev.sh env /tmp/ceph-dev)"`), `COFFER_TEST_RADOS_POOL` its pool
/// (default `coffer`), `COFFER_TEST_RADOS_USER` the client (default `admin`).
enum Live {
    static let environment = ProcessInfo.processInfo.environment
    static let conf: String? = environment["COFFER_TEST_RADOS_CONF"].flatMap { $0.isEmpty ? nil : $0 }
    static let pool = environment["COFFER_TEST_RADOS_POOL"] ?? "coffer"
    static let user = environment["COFFER_TEST_RADOS_USER"] ?? "admin"

    static func cluster() async throws -> Cluster {
        try await Cluster.connect(conf: try #require(conf), user: user)
    }

    static func io() async throws -> IOContext {
        try await cluster().ioContext(pool: pool)
    }

    /// A fresh object name per test run, so that runs never see each other's objects.
    static func object(_ base: String) -> String { "test-\(base)-\(UUID().uuidString)" }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// Creates `object` (exclusively) with the omap `entries`.
func createIndex(_ io: IOContext, _ object: String, _ entries: [(key: [UInt8], value: [UInt8])]) async throws {
    var create = WriteOperation()
    create.create(exclusive: true)
    create.set(entries)
    try await io.operate(create, on: object)
}

/// Whether a write operation guarded by `compare(key, comparison, value)` on `object` goes
/// through (it then writes `written = key`).
func guardHolds(_ io: IOContext, _ object: String, _ key: String, _ comparison: OmapGuard.Comparison, _ value: [UInt8]) async throws -> Bool {
    var op = WriteOperation()
    op.compare(key: bytes(key), comparison, value)
    op.set([(bytes("written"), bytes(key))])
    do {
        try await io.operate(op, on: object)
    } catch {
        if error.kind == .guardFailed { return false }
        throw error
    }
    return true
}

@Suite(
    "librados wrapper against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosLiveTests {
    @Test func connectsWithAConfAndAUser() async throws {
        let cluster = try await Live.cluster()
        #expect(try cluster.fsid().count == 36)
        await #expect(throws: RadosError.self) { _ = try await cluster.ioContext(pool: "no-such-pool-\(UUID().uuidString)") }
        let conf = try #require(Live.conf)
        do {
            _ = try await Cluster.connect(conf: conf, user: "nobody-\(UUID().uuidString.prefix(8))", timeout: 5)
            Issue.record("a user without a key connected")
        } catch {
            #expect(error.code != 0)
        }
    }

    @Test func writesReadsByRangeStatsAndRemovesAnObject() async throws {
        let io = try await Live.io()
        let name = Live.object("blob")
        let data = (0..<(1 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        try await io.writeFull(name, data)
        #expect(try await io.stat(name).size == UInt64(data.count))
        #expect(try await io.read(name, length: data.count) == data)
        #expect(try await io.read(name, offset: 1000, length: 500) == Array(data[1000..<1500]))
        // A range past the end is cut short.
        #expect(try await io.read(name, offset: UInt64(data.count - 10), length: 100) == Array(data.suffix(10)))
        try await io.writeFull(name, bytes("short"))
        #expect(try await io.read(name, length: 100) == bytes("short"))
        try await io.remove(name)
        for attempt in [
            { _ = try await io.stat(name) },
            { _ = try await io.read(name, length: 10) },
            { try await io.remove(name) },
        ] as [@Sendable () async throws -> Void] {
            do {
                try await attempt()
                Issue.record("an operation on a removed object succeeded")
            } catch let error as RadosError {
                #expect(error.kind == .notFound)
            }
        }
    }

    @Test func concurrentOperationsCompleteAsynchronously() async throws {
        let io = try await Live.io()
        let names = (0..<64).map { Live.object("aio-\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, name) in names.enumerated() {
                group.addTask {
                    let payload = Array(repeating: UInt8(i), count: 4096 + i)
                    try await io.writeFull(name, payload)
                    #expect(try await io.read(name, length: 1 << 16) == payload)
                    try await io.remove(name)
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aGuardedWriteOperationAppliesAllOrNothing() async throws {
        let io = try await Live.io()
        let name = Live.object("index")
        try await createIndex(io, name, [(bytes("a"), bytes("1")), (bytes("b"), bytes("2"))])

        var passing = WriteOperation()
        passing.compare(key: bytes("a"), .equal, bytes("1"))
        passing.compare(key: bytes("b"), .greater, bytes("1"))
        passing.set([(bytes("c"), bytes("3"))])
        passing.remove(keys: [bytes("b")])
        try await io.operate(passing, on: name)

        var failing = WriteOperation()
        failing.compare(key: bytes("a"), .equal, bytes("1"))  // holds
        failing.compare(key: bytes("c"), .equal, bytes("not 3"))  // does not
        failing.set([(bytes("d"), bytes("4")), (bytes("a"), bytes("changed"))])
        failing.remove(keys: [bytes("c")])
        failing.writeFull(bytes("data that must not appear"))
        do {
            try await io.operate(failing, on: name)
            Issue.record("a failed guard let the operation through")
        } catch {
            #expect(error.kind == .guardFailed)
            #expect(error.code == ECANCELED)
            #expect(error.operation.contains("guard 1"))
        }
        let after = try await io.omapPage(name, prefix: [], max: 100)
        #expect(after.entries.map(\.key) == [bytes("a"), bytes("c")])
        #expect(after.entries.map(\.value) == [bytes("1"), bytes("3")])
        #expect(try await io.stat(name).size == 0)

        // An exclusive create of an existing object fails as `.exists`, changing nothing.
        var again = WriteOperation()
        again.create(exclusive: true)
        again.set([(bytes("e"), bytes("5"))])
        do {
            try await io.operate(again, on: name)
            Issue.record("an exclusive create of an existing object succeeded")
        } catch {
            #expect(error.kind == .exists)
        }
        #expect(try await io.omapValues(name, keys: [bytes("e")]).isEmpty)
        try await io.remove(name)
    }

    /// What Pacific's omap comparison does with a key that is absent (and with an object that
    /// is absent): the facts the RADOS metadata store's guards are designed around. An absent
    /// key compares as the empty value, so with values that are never empty, "absent" is
    /// `equal []` and "present" is `greater []`.
    @Test func anAbsentKeyComparesAsTheEmptyValue() async throws {
        let io = try await Live.io()
        let name = Live.object("absent")
        try await createIndex(io, name, [(bytes("present"), bytes("v")), (bytes("empty"), [])])
        #expect(try await guardHolds(io, name, "missing", .equal, []))
        #expect(try await !guardHolds(io, name, "missing", .greater, []))
        #expect(try await guardHolds(io, name, "missing", .less, bytes("a")))
        #expect(try await !guardHolds(io, name, "missing", .equal, bytes("v")))
        #expect(try await guardHolds(io, name, "present", .greater, []))
        #expect(try await !guardHolds(io, name, "present", .equal, []))
        // A stored empty value is indistinguishable from an absent key.
        #expect(try await guardHolds(io, name, "empty", .equal, []))
        #expect(try await !guardHolds(io, name, "empty", .greater, []))
        // Only the operations whose guard held wrote.
        #expect(try await io.omapValues(name, keys: [bytes("written")])[bytes("written")] == bytes("empty"))

        var onMissingObject = WriteOperation()
        onMissingObject.compare(key: bytes("k"), .equal, [])
        onMissingObject.set([(bytes("k"), [])])
        let missing = Live.object("missing")
        do {
            try await io.operate(onMissingObject, on: missing)
            Issue.record("a comparison on a missing object succeeded")
        } catch {
            #expect(error.kind == .notFound)
        }
        await #expect(throws: RadosError.self) { _ = try await io.stat(missing) }
        try await io.remove(name)
    }

    /// 16 writers race to move a generation key from 0 to 1 (the shape of `If-None-Match: *`
    /// on one index object): exactly one wins, the others fail their guard.
    @Test func racingGuardedWritesHaveExactlyOneWinner() async throws {
        let io = try await Live.io()
        let name = Live.object("race")
        try await createIndex(io, name, [(bytes("gen"), bytes("0"))])
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    var op = WriteOperation()
                    op.compare(key: bytes("gen"), .equal, bytes("0"))
                    op.set([(bytes("gen"), bytes("1")), (bytes("winner"), bytes(String(writer)))])
                    do {
                        try await io.operate(op, on: name)
                        return true
                    } catch let error as RadosError where error.kind == .guardFailed {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let values = try await io.omapValues(name, keys: [bytes("gen"), bytes("winner")])
        #expect(values[bytes("gen")] == bytes("1"))
        #expect(values[bytes("winner")] != nil)
        try await io.remove(name)
    }

    /// A paged scan validated by a generation key: each page is read with a guard on the
    /// generation, so a commit that lands between two pages fails the next page (the
    /// "validate instead of pin" candidate for snapshots).
    @Test func aGuardedReadFailsOnceTheGenerationMoves() async throws {
        let io = try await Live.io()
        let name = Live.object("readguard")
        let generation = bytes("gen")
        try await createIndex(io, name, [(generation, bytes("1")), (bytes("k/1"), bytes("a")), (bytes("k/2"), bytes("b"))])
        let first = try await io.omapPage(name, prefix: bytes("k/"), max: 1, requiring: [OmapGuard(key: generation, .equal, bytes("1"))])
        #expect(first.entries.map(\.key) == [bytes("k/1")])
        #expect(first.more)

        var commit = WriteOperation()
        commit.compare(key: generation, .equal, bytes("1"))
        commit.set([(generation, bytes("2")), (bytes("k/3"), bytes("c"))])
        try await io.operate(commit, on: name)

        do {
            _ = try await io.omapPage(
                name, prefix: bytes("k/"), after: bytes("k/1"), max: 1, requiring: [OmapGuard(key: generation, .equal, bytes("1"))]
            )
            Issue.record("a page was read under a generation that had moved")
        } catch {
            #expect(error.kind == .guardFailed)
        }
        let now = try await io.omapValues(name, keys: [bytes("k/3")], requiring: [OmapGuard(key: generation, .equal, bytes("2"))])
        #expect(now[bytes("k/3")] == bytes("c"))
        try await io.remove(name)
    }

    @Test func tenThousandKeysArePagedByPrefixInBytewiseOrder() async throws {
        let io = try await Live.io()
        let name = Live.object("omap10k")
        // Keys under the prefix, with bytes above 0x7f to check the order is unsigned.
        let keys = (0..<10_000).map { i -> [UInt8] in
            bytes("p/") + (i % 3 == 0 ? [0xC3, 0xA9] : []) + bytes(String(format: "%05d", i))
        }
        let others = (0..<100).map { bytes("o/\($0)") } + (0..<100).map { bytes("q/\($0)") } + [bytes("p"), bytes("p.")]
        var entries = keys.map { (key: $0, value: Array($0.reversed())) } + others.map { (key: $0, value: bytes("other")) }
        entries.shuffle()
        for start in stride(from: 0, to: entries.count, by: 1000) {
            var op = WriteOperation()
            op.set(Array(entries[start..<min(start + 1000, entries.count)]))
            try await io.operate(op, on: name)
        }
        var seen: [[UInt8]] = []
        var after: [UInt8]? = nil
        var pages = 0
        while true {
            let page = try await io.omapPage(name, prefix: bytes("p/"), after: after, max: 777)
            pages += 1
            for entry in page.entries {
                #expect(entry.value == Array(entry.key.reversed()))
            }
            seen += page.entries.map(\.key)
            guard page.more, let last = page.entries.last?.key else { break }
            after = last
        }
        #expect(seen.count == 10_000)
        #expect(seen == keys.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(pages == 13)
        // The OSD caps a page at osd_max_omap_entries_per_request (1024 by default) and says
        // there is more.
        let capped = try await io.omapPage(name, prefix: bytes("p/"), max: 5000)
        #expect(capped.entries.count == 1024)
        #expect(capped.more)
        // A key lookup returns exactly the present keys.
        let found = try await io.omapValues(name, keys: [keys[0], keys[9_999], bytes("p/absent")])
        #expect(found.count == 2)
        #expect(found[keys[9_999]] == Array(keys[9_999].reversed()))
        try await io.remove(name)
    }

    /// Keys are binary-safe in sets, removals, comparisons and lookups by key, but the prefix
    /// and start key of a paged read are C strings: the wrapper refuses zero bytes there.
    @Test func keysWithZeroBytesRoundTripButCannotBePrefixes() async throws {
        let io = try await Live.io()
        let name = Live.object("zero")
        let key: [UInt8] = [UInt8(ascii: "o"), 0x62, 0x00, 0x6B, 0x00]
        var op = WriteOperation()
        op.set([(key, [0x00, 0x01])])
        try await io.operate(op, on: name)
        var guarded = WriteOperation()
        guarded.compare(key: key, .equal, [0x00, 0x01])
        guarded.remove(keys: [key])
        guarded.set([(key + [0x00], [])])
        try await io.operate(guarded, on: name)
        let all = try await io.omapPage(name, prefix: [], max: 10)
        #expect(all.entries.map(\.key) == [key + [0x00]])
        #expect(try await io.omapValues(name, keys: [key + [0x00]]).count == 1)
        do {
            _ = try await io.omapPage(name, prefix: [UInt8(ascii: "o"), 0x62, 0x00], max: 10)
            Issue.record("a prefix with a zero byte was accepted")
        } catch {
            #expect(error.code == EINVAL)
        }
        try await io.remove(name)
    }
}
