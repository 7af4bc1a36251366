import CofferStorage
import Testing

/// The contract of ``AuditSink`` (see its documentation) as checks any implementation's test
/// target runs against its sinks: `@Test(arguments: AuditSinkConformance.checks)`, each check
/// on a fresh, empty sink. The one copy of the suite (CofferAuditTests runs it on files and
/// memory, CofferStorageRadosTests on RADOS).
public enum AuditSinkConformance {
    /// One check of the contract, run on an empty sink.
    public struct Check: Sendable, CustomTestStringConvertible {
        public let name: String
        public let run: @Sendable (any AuditSink) throws -> Void

        public var testDescription: String { name }
    }

    public static let checks: [Check] = [
        Check(name: "appendsReadBackInOrder", run: appendsReadBackInOrder),
        Check(name: "readFromAnOffsetFollowsAGrowingSegment", run: readFromAnOffsetFollowsAGrowingSegment),
        Check(name: "aSegmentCannotBeCreatedTwice", run: aSegmentCannotBeCreatedTwice),
        Check(name: "truncateRemovesAFailedAppend", run: truncateRemovesAFailedAppend),
        Check(name: "objectsAreReplacedAtomically", run: objectsAreReplacedAtomically),
        Check(name: "listingIsInBytewiseOrder", run: listingIsInBytewiseOrder),
        Check(name: "oneWriterAtATime", run: oneWriterAtATime),
        Check(name: "sealingClosesASegmentAndACrashKeepsItsBytes", run: sealingClosesASegmentAndACrashKeepsItsBytes),
    ]

    /// The code of the `StorageError` that `body` throws; nil when it throws nothing (another
    /// error type is recorded as an issue).
    public static func code(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> StorageError.Code? {
        do {
            try body()
            return nil
        } catch let error as StorageError {
            return error.code
        } catch {
            Issue.record("not a StorageError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    static func appendsReadBackInOrder(_ sink: any AuditSink) throws {
        let writer = try sink.openWriter()
        try writer.createSegment("log-1", durability: .buffered)
        #expect(try sink.read("log-1") == [], "a new segment is empty")
        try writer.append(bytes("one\n"), to: "log-1", durability: .buffered)
        try writer.append(bytes("two\n"), to: "log-1", durability: .synced)
        try writer.append([], to: "log-1", durability: .buffered)
        try writer.append(bytes("three"), to: "log-1", durability: .buffered)
        #expect(try sink.read("log-1") == bytes("one\ntwo\nthree"))
        #expect(code { _ = try sink.read("log-2") } == .notFound)
        #expect(code { try writer.append([1], to: "log-2", durability: .buffered) } == .invalidArgument)
    }

    static func readFromAnOffsetFollowsAGrowingSegment(_ sink: any AuditSink) throws {
        let writer = try sink.openWriter()
        try writer.createSegment("s", durability: .buffered)
        try writer.append(bytes("abcdef"), to: "s", durability: .buffered)
        #expect(try sink.read("s", from: 0) == bytes("abcdef"))
        #expect(try sink.read("s", from: 4) == bytes("ef"))
        #expect(try sink.read("s", from: 6) == [], "at the end")
        #expect(try sink.read("s", from: 60) == [], "past the end")
        try writer.append(bytes("gh"), to: "s", durability: .buffered)
        #expect(try sink.read("s", from: 6) == bytes("gh"), "what was appended since")
        #expect(code { _ = try sink.read("s", from: -1) } == .invalidArgument)
    }

    static func aSegmentCannotBeCreatedTwice(_ sink: any AuditSink) throws {
        do {
            let writer = try sink.openWriter()
            try writer.createSegment("a", durability: .synced)
            try writer.append(bytes("kept"), to: "a", durability: .buffered)
            #expect(code { try writer.createSegment("a", durability: .buffered) } == .alreadyExists)
            try writer.writeObject("o", bytes("object"))
            #expect(code { try writer.createSegment("o", durability: .buffered) } == .alreadyExists)
        }
        let next = try sink.openWriter()
        #expect(code { try next.createSegment("a", durability: .buffered) } == .alreadyExists, "not by a later writer either")
        #expect(try sink.read("a") == bytes("kept"), "the segment is untouched")
        #expect(try sink.read("o") == bytes("object"))
    }

    static func truncateRemovesAFailedAppend(_ sink: any AuditSink) throws {
        let writer = try sink.openWriter()
        try writer.createSegment("s", durability: .buffered)
        try writer.append(bytes("line 1\n"), to: "s", durability: .buffered)
        // What a failed append may leave: a prefix of its bytes.
        try writer.append(bytes("line 2 (tor"), to: "s", durability: .buffered)
        try writer.truncate("s", to: 7, durability: .buffered)
        #expect(try sink.read("s") == bytes("line 1\n"))
        try writer.append(bytes("line 2\n"), to: "s", durability: .buffered)
        #expect(try sink.read("s") == bytes("line 1\nline 2\n"), "appends continue at the cut")
        #expect(code { try writer.truncate("s", to: 15, durability: .buffered) } == .invalidArgument, "past the end")
        #expect(code { try writer.truncate("s", to: -1, durability: .buffered) } == .invalidArgument)
        #expect(code { try writer.truncate("t", to: 0, durability: .buffered) } == .notFound)
        #expect(try sink.read("s") == bytes("line 1\nline 2\n"))
    }

    static func objectsAreReplacedAtomically(_ sink: any AuditSink) throws {
        let writer = try sink.openWriter()
        try writer.writeObject("d", bytes("first version, long"))
        #expect(try sink.read("d") == bytes("first version, long"))
        try writer.writeObject("d", bytes("second"))
        #expect(try sink.read("d") == bytes("second"), "the whole new object, nothing of the old")
        #expect(try sink.list() == ["d"], "no temporary item is listed")
        try writer.createSegment("s", durability: .buffered)
        #expect(code { try writer.writeObject("s", [1]) } == .invalidArgument, "an open segment")
        #expect(try sink.read("s") == [])
    }

    static func listingIsInBytewiseOrder(_ sink: any AuditSink) throws {
        let writer = try sink.openWriter()
        #expect(try sink.list() == [], "the writer's own lock is not listed")
        let names = ["b", "a-2", "é", "a", "B", "a-10", "ab", "z.digest.json"]
        for (index, name) in names.enumerated() {
            if index.isMultiple(of: 2) {
                try writer.createSegment(name, durability: .buffered)
            } else {
                try writer.writeObject(name, [UInt8(index)])
            }
        }
        #expect(try sink.list() == ["B", "a", "a-10", "a-2", "ab", "b", "z.digest.json", "é"])
        for bad in ["", ".hidden", "a/b", "x\u{0}", String(repeating: "n", count: 256)] {
            #expect(code { try writer.createSegment(bad, durability: .buffered) } == .invalidArgument, "\(bad.debugDescription)")
            #expect(code { try writer.writeObject(bad, [1]) } == .invalidArgument, "\(bad.debugDescription)")
            #expect(code { _ = try sink.read(bad) } == .invalidArgument, "\(bad.debugDescription)")
        }
    }

    static func oneWriterAtATime(_ sink: any AuditSink) throws {
        var first: (any AuditSinkWriter)? = try sink.openWriter()
        #expect(code { _ = try sink.openWriter() } == .writerActive)
        #expect(first != nil)
        #expect(try sink.list() == [], "readers need no claim")
        first = nil
        #expect(code { _ = try sink.openWriter() } == nil, "released with its writer")
    }

    static func sealingClosesASegmentAndACrashKeepsItsBytes(_ sink: any AuditSink) throws {
        do {
            let writer = try sink.openWriter()
            try writer.createSegment("sealed", durability: .buffered)
            try writer.append(bytes("x"), to: "sealed", durability: .buffered)
            try writer.seal("sealed")
            #expect(code { try writer.append(bytes("y"), to: "sealed", durability: .buffered) } == .invalidArgument)
            #expect(code { try writer.seal("missing") } == .notFound)
            try writer.createSegment("left", durability: .buffered)
            try writer.append(bytes("acknowledged\n"), to: "left", durability: .buffered)
            // The writer goes away without sealing: a crash.
        }
        #expect(try sink.read("left") == bytes("acknowledged\n"))
        #expect(try sink.read("sealed") == bytes("x"))
        let next = try sink.openWriter()
        #expect(code { try next.append(bytes("more"), to: "left", durability: .buffered) } == .invalidArgument,
                "a later writer only truncates and seals what a crash left")
        try next.truncate("left", to: 3, durability: .synced)
        try next.seal("left")
        #expect(try sink.read("left") == bytes("ack"))
    }
}
