@testable import CofferAudit
import CofferStorage
import Foundation
import XCTest

/// The contract of ``AuditSink`` (see its documentation), checked on ``FileAuditSink`` and
/// ``MemoryAuditSink``.
final class AuditSinkConformanceTests: XCTestCase {
    /// Runs `body` once per implementation, each over a fresh, empty sink.
    private func forEachSink(_ body: (TrailFixture) throws -> Void) rethrows {
        for backend in TrailFixture.Backend.allCases {
            try body(TrailFixture(self, backend: backend))
        }
    }

    /// The code of the `StorageError` that `body` throws; nil when it throws nothing (another
    /// error type fails the test).
    private func code(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> StorageError.Code? {
        do {
            try body()
            return nil
        } catch let error as StorageError {
            return error.code
        } catch {
            XCTFail("not a StorageError: \(error)", file: file, line: line)
            return nil
        }
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testAppendsReadBackInOrder() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            let writer = try sink.openWriter()
            try writer.createSegment("log-1", durability: .buffered)
            XCTAssertEqual(try sink.read("log-1"), [], "\(fixture.backend): a new segment is empty")
            try writer.append(bytes("one\n"), to: "log-1", durability: .buffered)
            try writer.append(bytes("two\n"), to: "log-1", durability: .synced)
            try writer.append([], to: "log-1", durability: .buffered)
            try writer.append(bytes("three"), to: "log-1", durability: .buffered)
            XCTAssertEqual(try sink.read("log-1"), bytes("one\ntwo\nthree"), "\(fixture.backend)")
            XCTAssertEqual(code { _ = try sink.read("log-2") }, .notFound, "\(fixture.backend)")
            XCTAssertEqual(code { try writer.append([1], to: "log-2", durability: .buffered) }, .invalidArgument, "\(fixture.backend)")
        }
    }

    func testReadFromAnOffsetFollowsAGrowingSegment() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            let writer = try sink.openWriter()
            try writer.createSegment("s", durability: .buffered)
            try writer.append(bytes("abcdef"), to: "s", durability: .buffered)
            XCTAssertEqual(try sink.read("s", from: 0), bytes("abcdef"), "\(fixture.backend)")
            XCTAssertEqual(try sink.read("s", from: 4), bytes("ef"), "\(fixture.backend)")
            XCTAssertEqual(try sink.read("s", from: 6), [], "\(fixture.backend): at the end")
            XCTAssertEqual(try sink.read("s", from: 60), [], "\(fixture.backend): past the end")
            try writer.append(bytes("gh"), to: "s", durability: .buffered)
            XCTAssertEqual(try sink.read("s", from: 6), bytes("gh"), "\(fixture.backend): what was appended since")
            XCTAssertEqual(code { _ = try sink.read("s", from: -1) }, .invalidArgument, "\(fixture.backend)")
        }
    }

    func testASegmentCannotBeCreatedTwice() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            do {
                let writer = try sink.openWriter()
                try writer.createSegment("a", durability: .synced)
                try writer.append(bytes("kept"), to: "a", durability: .buffered)
                XCTAssertEqual(code { try writer.createSegment("a", durability: .buffered) }, .alreadyExists, "\(fixture.backend)")
                try writer.writeObject("o", bytes("object"))
                XCTAssertEqual(code { try writer.createSegment("o", durability: .buffered) }, .alreadyExists, "\(fixture.backend)")
            }
            let next = try sink.openWriter()
            XCTAssertEqual(code { try next.createSegment("a", durability: .buffered) }, .alreadyExists,
                           "\(fixture.backend): not by a later writer either")
            XCTAssertEqual(try sink.read("a"), bytes("kept"), "\(fixture.backend): the segment is untouched")
            XCTAssertEqual(try sink.read("o"), bytes("object"), "\(fixture.backend)")
        }
    }

    func testTruncateRemovesAFailedAppend() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            let writer = try sink.openWriter()
            try writer.createSegment("s", durability: .buffered)
            try writer.append(bytes("line 1\n"), to: "s", durability: .buffered)
            // What a failed append may leave: a prefix of its bytes.
            try writer.append(bytes("line 2 (tor"), to: "s", durability: .buffered)
            try writer.truncate("s", to: 7, durability: .buffered)
            XCTAssertEqual(try sink.read("s"), bytes("line 1\n"), "\(fixture.backend)")
            try writer.append(bytes("line 2\n"), to: "s", durability: .buffered)
            XCTAssertEqual(try sink.read("s"), bytes("line 1\nline 2\n"), "\(fixture.backend): appends continue at the cut")
            XCTAssertEqual(code { try writer.truncate("s", to: 15, durability: .buffered) }, .invalidArgument, "\(fixture.backend): past the end")
            XCTAssertEqual(code { try writer.truncate("s", to: -1, durability: .buffered) }, .invalidArgument, "\(fixture.backend)")
            XCTAssertEqual(code { try writer.truncate("t", to: 0, durability: .buffered) }, .notFound, "\(fixture.backend)")
            XCTAssertEqual(try sink.read("s"), bytes("line 1\nline 2\n"), "\(fixture.backend)")
        }
    }

    func testObjectsAreReplacedAtomically() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            let writer = try sink.openWriter()
            try writer.writeObject("d", bytes("first version, long"))
            XCTAssertEqual(try sink.read("d"), bytes("first version, long"), "\(fixture.backend)")
            try writer.writeObject("d", bytes("second"))
            XCTAssertEqual(try sink.read("d"), bytes("second"), "\(fixture.backend): the whole new object, nothing of the old")
            XCTAssertEqual(try sink.list(), ["d"], "\(fixture.backend): no temporary item is listed")
            try writer.createSegment("s", durability: .buffered)
            XCTAssertEqual(code { try writer.writeObject("s", [1]) }, .invalidArgument, "\(fixture.backend): an open segment")
            XCTAssertEqual(try sink.read("s"), [], "\(fixture.backend)")
        }
    }

    func testListingIsInBytewiseOrder() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            let writer = try sink.openWriter()
            XCTAssertEqual(try sink.list(), [], "\(fixture.backend): the writer's own lock is not listed")
            let names = ["b", "a-2", "é", "a", "B", "a-10", "ab", "z.digest.json"]
            for (index, name) in names.enumerated() {
                if index.isMultiple(of: 2) {
                    try writer.createSegment(name, durability: .buffered)
                } else {
                    try writer.writeObject(name, [UInt8(index)])
                }
            }
            XCTAssertEqual(try sink.list(), ["B", "a", "a-10", "a-2", "ab", "b", "z.digest.json", "é"], "\(fixture.backend)")
            for bad in ["", ".hidden", "a/b", "x\u{0}", String(repeating: "n", count: 256)] {
                XCTAssertEqual(code { try writer.createSegment(bad, durability: .buffered) }, .invalidArgument, "\(fixture.backend): \(bad.debugDescription)")
                XCTAssertEqual(code { try writer.writeObject(bad, [1]) }, .invalidArgument, "\(fixture.backend): \(bad.debugDescription)")
                XCTAssertEqual(code { _ = try sink.read(bad) }, .invalidArgument, "\(fixture.backend): \(bad.debugDescription)")
            }
        }
    }

    func testOneWriterAtATime() throws {
        try forEachSink { fixture in
            var first: (any AuditSinkWriter)? = try fixture.sink.openWriter()
            XCTAssertEqual(code { _ = try fixture.sink.openWriter() }, .writerActive, "\(fixture.backend)")
            XCTAssertNotNil(first)
            XCTAssertEqual(try fixture.sink.list(), [], "\(fixture.backend): readers need no claim")
            first = nil
            XCTAssertNotNil(try fixture.sink.openWriter(), "\(fixture.backend): released with its writer")
        }
    }

    func testSealingClosesASegmentAndACrashKeepsItsBytes() throws {
        try forEachSink { fixture in
            let sink = fixture.sink
            do {
                let writer = try sink.openWriter()
                try writer.createSegment("sealed", durability: .buffered)
                try writer.append(bytes("x"), to: "sealed", durability: .buffered)
                try writer.seal("sealed")
                XCTAssertEqual(code { try writer.append(bytes("y"), to: "sealed", durability: .buffered) }, .invalidArgument, "\(fixture.backend)")
                XCTAssertEqual(code { try writer.seal("missing") }, .notFound, "\(fixture.backend)")
                try writer.createSegment("left", durability: .buffered)
                try writer.append(bytes("acknowledged\n"), to: "left", durability: .buffered)
                // The writer goes away without sealing: a crash.
            }
            XCTAssertEqual(try sink.read("left"), bytes("acknowledged\n"), "\(fixture.backend)")
            XCTAssertEqual(try sink.read("sealed"), bytes("x"), "\(fixture.backend)")
            let next = try sink.openWriter()
            XCTAssertEqual(code { try next.append(bytes("more"), to: "left", durability: .buffered) }, .invalidArgument,
                           "\(fixture.backend): a later writer only truncates and seals what a crash left")
            try next.truncate("left", to: 3, durability: .synced)
            try next.seal("left")
            XCTAssertEqual(try sink.read("left"), bytes("ack"), "\(fixture.backend)")
        }
    }

    /// What is specific to the directory: paths, modes, the lock file, the temporary name.
    func testFileSinkLayout() throws {
        let fixture = TrailFixture(self)
        let sink = FileAuditSink(directory: fixture.directory)
        XCTAssertEqual(code { _ = try sink.list() }, .io, "nothing is created before a writer")
        let writer = try sink.openWriter()
        try writer.createSegment("coffer-audit-20261125T120000Z-000001.jsonl", durability: .synced)
        try writer.writeObject("coffer-audit-20261125T120000Z-000001.digest.json", bytes("{}\n"))
        let fm = FileManager.default
        func mode(_ path: String) throws -> Int? { (try fm.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue }
        XCTAssertEqual(try mode(fixture.directory), 0o700)
        XCTAssertEqual(try mode(fixture.path("coffer-audit-20261125T120000Z-000001.jsonl")), 0o600)
        XCTAssertEqual(try mode(fixture.path("coffer-audit-20261125T120000Z-000001.digest.json")), 0o600)
        XCTAssertTrue(fm.fileExists(atPath: fixture.path(".coffer-audit.lock")))
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: fixture.directory).sorted(),
                       [".coffer-audit.lock", "coffer-audit-20261125T120000Z-000001.digest.json", "coffer-audit-20261125T120000Z-000001.jsonl"])
        XCTAssertEqual(code { _ = try FileAuditSink(directory: fixture.directory).openWriter() }, .writerActive,
                       "another instance over the same directory")
        try fm.createDirectory(atPath: fixture.path("subdirectory"), withIntermediateDirectories: false)
        XCTAssertEqual(try sink.list().count, 2, "only regular files are listed")
    }
}
