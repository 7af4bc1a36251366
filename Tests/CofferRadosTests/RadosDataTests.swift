import CofferRados
import Foundation
import Testing

/// The facts RadosBlobStore's stripes rest on: appends land with their omap index in one
/// atomic operation, guarded; the pool can be listed by name prefix.
@Suite(
    "librados data operations against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosDataTests {
    /// An operation that creates the object, then compares an omap key of it, holds on an
    /// object that did not exist (the comparison sees the created, empty omap); a failing
    /// guard appends nothing and sets no omap entry.
    @Test func appendsWithTheirIndexAllOrNothing() async throws {
        let io = try await Live.io()
        let name = Live.object("append")
        func append(_ data: [UInt8], at first: UInt8) -> WriteOperation {
            var operation = WriteOperation()
            operation.create(exclusive: false)
            operation.compare(key: bytes("next"), .less, [first + 1])
            operation.append(data)
            operation.set([(bytes("p\(first)"), [UInt8(data.count)]), (bytes("next"), [first + UInt8(data.count)])])
            return operation
        }
        try await io.operate(append([1, 2, 3], at: 0), on: name)
        try await io.operate(append([4, 5], at: 3), on: name)
        let error = await #expect(throws: RadosError.self) { try await io.operate(append([9, 9], at: 1), on: name) }
        #expect(error?.kind == .guardFailed)
        #expect(try await io.read(name, length: 100) == [1, 2, 3, 4, 5])
        #expect(try await io.omapValues(name, keys: [bytes("p0"), bytes("p1"), bytes("p3"), bytes("next")])
            == [bytes("p0"): [3], bytes("p3"): [2], bytes("next"): [5]])
        try await io.remove(name)
    }

    /// `objectNames(prefix:)` lists exactly the pool's objects whose names start with the prefix.
    @Test func listsObjectsByPrefix() async throws {
        let io = try await Live.io()
        let prefix = Live.object("listing") + "/"
        let names = (0..<5).map { "\(prefix)\($0)" }
        for name in names + [prefix.dropLast() + "-beside"] { try await io.writeFull(String(name), [1]) }
        let listed = try await io.objectNames(prefix: prefix)
        for name in names + [prefix.dropLast() + "-beside"] { try await io.remove(String(name)) }
        #expect(listed.sorted() == names)
        #expect(try await io.objectNames(prefix: prefix).isEmpty)
    }
}
