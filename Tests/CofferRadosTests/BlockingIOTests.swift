import CofferRados
import Foundation
import Testing

/// Whether `operation` goes through on `object` (false: a guard failed).
func holds(_ io: IOContext, _ operation: BlockingIO.DataOperation, on object: String) throws -> Bool {
    do {
        try io.blocking.operate(operation, on: object)
        return true
    } catch where error.kind == .guardFailed {
        return false
    }
}

/// The kind of `RadosError` that `body` throws (nil: none; another error is an issue).
func radosKind(_ body: () throws -> Void) -> RadosError.Kind? {
    do {
        try body()
        return nil
    } catch let error as RadosError {
        return error.kind
    } catch {
        Issue.record("not a RadosError: \(error)")
        return nil
    }
}

/// The blocking calls (`io.blocking`), and the facts about extended-attribute guards and
/// cls locks the RADOS audit sink rests on.
@Suite(
    "librados blocking calls against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct BlockingIOTests {
    @Test func writesAppendsTruncatesReadsAndStats() async throws {
        let io = try await Live.io()
        let name = Live.object("blocking")
        defer { try? io.blocking.remove(name) }
        try io.blocking.writeFull(name, bytes("hello"))
        try io.blocking.append(name, bytes(", world"))
        try io.blocking.write(name, bytes("J"), at: 0)
        #expect(try io.blocking.read(name, length: 100) == bytes("Jello, world"))
        #expect(try io.blocking.read(name, offset: 7, length: 3) == bytes("wor"))
        #expect(try io.blocking.stat(name).size == 12)
        let (size, tail) = try io.blocking.readWithSize(name, offset: 10, length: 100)
        #expect(size == 12 && tail == bytes("ld"))
        let (_, none) = try io.blocking.readWithSize(name, offset: 50, length: 100)
        #expect(none == [], "past the end")
        try io.blocking.truncate(name, to: 5)
        #expect(try io.blocking.read(name, length: 100) == bytes("Jello"))
        try io.blocking.writeFull(name, [])
        #expect(try io.blocking.stat(name).size == 0)
        // The async and the blocking calls see the same object.
        #expect(try await io.stat(name).size == 0)
        try io.blocking.remove(name)
        #expect(radosKind { _ = try io.blocking.stat(name) } == .notFound)
        #expect(radosKind { _ = try io.blocking.readWithSize(name, length: 10) } == .notFound)
        #expect(radosKind { _ = try io.blocking.read(name, length: 10) } == .notFound)
        #expect(radosKind { try io.blocking.remove(name) } == .notFound)
    }

    @Test func omapOperationsAndReads() async throws {
        let io = try await Live.io()
        let name = Live.object("blocking-omap")
        defer { try? io.blocking.remove(name) }
        var create = WriteOperation()
        create.create(exclusive: true)
        create.set((0..<30).map { (key: bytes("k\(100 + $0)"), value: bytes("v\($0)")) })
        try io.blocking.operate(create, on: name)
        var guarded = WriteOperation()
        guarded.compare(key: bytes("k100"), .equal, bytes("v0"))
        guarded.compare(key: bytes("k101"), .equal, bytes("wrong"))
        guarded.set([(key: bytes("k100"), value: bytes("changed"))])
        do {
            try io.blocking.operate(guarded, on: name)
            Issue.record("a failed guard let the operation through")
        } catch {
            #expect(error.kind == .guardFailed && error.failedGuard == 1)
        }
        #expect(try io.blocking.omapValues(name, keys: [bytes("k100"), bytes("none")]) == [bytes("k100"): bytes("v0")])
        var keys: [[UInt8]] = []
        var after: [UInt8]? = nil
        while true {
            let page = try io.blocking.omapPage(name, prefix: bytes("k1"), after: after, max: 7)
            keys += page.entries.map(\.key)
            guard page.more, let last = page.entries.last else { break }
            after = last.key
        }
        #expect(keys == (0..<30).map { bytes("k\(100 + $0)") })
    }

    /// What Pacific's extended-attribute comparison does: the stored value on the left (as
    /// ``BlockingIO/XattrComparison`` mirrors librados's operator), compared bytewise as a
    /// string; an attribute the object lacks compares as empty; on an object that does not
    /// exist the operation fails with ENOENT, even after an exclusive create in the same
    /// operation.
    @Test func xattrGuards() async throws {
        let io = try await Live.io()
        let name = Live.object("xattr")
        defer { try? io.blocking.remove(name) }
        var create = BlockingIO.DataOperation()
        create.create(exclusive: true)
        create.setXattr("n", bytes("0005"))
        try io.blocking.operate(create, on: name)
        #expect(try io.blocking.xattr(name, "n") == bytes("0005"))
        #expect(try io.blocking.xattr(name, "missing") == nil)

        func guarded(_ attribute: String, _ comparison: BlockingIO.XattrComparison, _ value: String) throws -> Bool {
            var operation = BlockingIO.DataOperation()
            operation.compareXattr(attribute, comparison, bytes(value))
            operation.setXattr("touched", bytes(value))
            return try holds(io, operation, on: name)
        }
        #expect(try guarded("n", .equal, "0005"))
        #expect(try !guarded("n", .equal, "0006"))
        #expect(try guarded("n", .notEqual, "0006"))
        #expect(try guarded("n", .lessOrEqual, "0005"))
        #expect(try guarded("n", .lessOrEqual, "0007"))
        #expect(try !guarded("n", .lessOrEqual, "0004"), "stored 0005 is not <= 0004")
        #expect(try guarded("n", .less, "0006"))
        #expect(try !guarded("n", .less, "0005"))
        #expect(try guarded("n", .greater, "0004"))
        #expect(try !guarded("n", .greater, "0009"))
        #expect(try guarded("n", .greaterOrEqual, "0005"))
        #expect(try guarded("missing", .equal, ""), "an absent attribute compares as empty")
        #expect(try guarded("missing", .lessOrEqual, "0001"))
        #expect(try !guarded("missing", .greater, ""))

        // All or nothing: a failed guard leaves the data and the attributes as they were.
        var failing = BlockingIO.DataOperation()
        failing.setXattr("n", bytes("9999"))
        failing.write(bytes("data"), at: 0)
        failing.compareXattr("n", .equal, bytes("0000"))
        #expect(try !holds(io, failing, on: name))
        #expect(try io.blocking.xattr(name, "n") == bytes("0005"))
        #expect(try io.blocking.stat(name).size == 0)

        let absent = Live.object("xattr-absent")
        var onAbsent = BlockingIO.DataOperation()
        onAbsent.create(exclusive: true)
        onAbsent.compareXattr("n", .equal, [])
        onAbsent.setXattr("n", bytes("1"))
        #expect(radosKind { try io.blocking.operate(onAbsent, on: absent) } == .notFound)
        #expect(radosKind { _ = try io.blocking.stat(absent) } == .notFound, "nothing was created")
    }

    /// Exclusive cls locks with a duration: another holder is refused (EBUSY) until the lock
    /// expires or is released; a renewal (MUST_RENEW) extends it, and fails with ENOENT once
    /// it expired or was broken instead of taking it again.
    @Test func exclusiveLocksExpireRenewAndBreak() async throws {
        let io = try await Live.io(), other = try await Live.io()
        let name = Live.object("lock")
        defer { try? io.blocking.remove(name) }
        let lock = "test-lock"
        // Lock expiry is the OSD's clock, which a test cannot inject: the test waits on real
        // time, with seconds of slack each way (the machine may be loaded), and polls for the
        // takeover rather than sleeping a fixed time.
        let duration = Duration.seconds(6)
        let start = ContinuousClock.now
        try io.blocking.lockExclusive(name, lock: lock, cookie: "a", description: "holder a", duration: duration)
        #expect(try io.blocking.stat(name).size == 0, "the lock created the object")
        #expect(throws: RadosError.self) {
            try other.blocking.lockExclusive(name, lock: lock, cookie: "b", description: "holder b", duration: .seconds(2))
        }
        do {
            try io.blocking.lockExclusive(name, lock: lock, cookie: "a", description: "holder a", duration: duration)
            Issue.record("the same holder locked twice")
        } catch {
            #expect(error.code == EEXIST)
        }
        let lockers = try other.blocking.lockers(name, lock: lock)
        #expect(lockers.map(\.cookie) == ["a"])
        #expect(lockers.first?.client.hasPrefix("client.") == true)

        // Renewed halfway for a whole duration more: still held past the first expiry.
        try await Task.sleep(until: start + .seconds(3))
        try io.blocking.renewExclusiveLock(name, lock: lock, cookie: "a", description: "holder a", duration: duration)
        try await Task.sleep(until: start + .milliseconds(6500))
        do {
            try other.blocking.lockExclusive(name, lock: lock, cookie: "b", description: "holder b", duration: .seconds(30))
            Issue.record("a renewed lock was taken")
        } catch {
            #expect(error.code == EBUSY)
        }
        // Once the renewal expires (about 9 s in), b takes it; a's renewal then fails and does
        // not take it back.
        let deadline = ContinuousClock.now + .seconds(30)
        /// The errno of b's attempt to lock, nil once it holds the lock.
        func bLocks() -> Int32? {
            do {
                try other.blocking.lockExclusive(name, lock: lock, cookie: "b", description: "holder b", duration: .seconds(30))
                return nil
            } catch {
                return error.code
            }
        }
        while let code = bLocks() {
            #expect(code == EBUSY)
            guard code == EBUSY, ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(ContinuousClock.now - start >= .milliseconds(8900), "the renewed lock held for its whole duration")
        do {
            try io.blocking.renewExclusiveLock(name, lock: lock, cookie: "a", description: "holder a", duration: duration)
            Issue.record("an expired holder renewed")
        } catch {
            #expect(error.code == ENOENT || error.code == EBUSY)
        }
        #expect(radosKind { try io.blocking.unlock(name, lock: lock, cookie: "a") } == .notFound)

        // Broken by someone else: b's renewal fails with ENOENT, and a may lock.
        let holder = try #require(try io.blocking.lockers(name, lock: lock).first)
        #expect(holder.cookie == "b")
        try io.blocking.breakLock(name, lock: lock, client: holder.client, cookie: holder.cookie)
        do {
            try other.blocking.renewExclusiveLock(name, lock: lock, cookie: "b", description: "holder b", duration: .seconds(30))
            Issue.record("a broken lock was renewed")
        } catch {
            #expect(error.code == ENOENT)
        }
        try io.blocking.lockExclusive(name, lock: lock, cookie: "a", description: "holder a", duration: nil)
        try io.blocking.unlock(name, lock: lock, cookie: "a")
        #expect(try io.blocking.lockers(name, lock: lock).isEmpty)
    }
}
