@testable import CofferS3
import Foundation
import HTTPTypes
import Testing

/// Conditional reads (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since on GET
/// and HEAD, with S3's precedence: a true If-Match overrides a false If-Unmodified-Since, an
/// If-None-Match overrides If-Modified-Since) and conditional writes (`If-None-Match: *` and
/// `If-Match` on PUT). The object is written at the test clock's start time.
@Suite struct ConditionalRequestTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Headers; `ETAG` stands for the object's quoted ETag.
        var headers: [(String, String)]
        var status: HTTPResponse.Status
        var testDescription: String { name }
    }

    static let written = TestClock.start
    static let before = S3Date.http(written.addingTimeInterval(-3600))
    static let after = S3Date.http(written.addingTimeInterval(3600))
    static let exactly = S3Date.http(written)
    static let other = "\"00000000000000000000000000000000\""

    static let reads: [Case] = [
        Case(name: "If-Match equal", headers: [("If-Match", "ETAG")], status: .ok),
        Case(name: "If-Match other", headers: [("If-Match", other)], status: .preconditionFailed),
        Case(name: "If-Match *", headers: [("If-Match", "*")], status: .ok),
        Case(name: "If-Match in a list", headers: [("If-Match", "\(other), ETAG")], status: .ok),
        Case(name: "If-None-Match equal", headers: [("If-None-Match", "ETAG")], status: .notModified),
        Case(name: "If-None-Match other", headers: [("If-None-Match", other)], status: .ok),
        Case(name: "If-None-Match *", headers: [("If-None-Match", "*")], status: .notModified),
        Case(name: "If-Modified-Since before", headers: [("If-Modified-Since", before)], status: .ok),
        Case(name: "If-Modified-Since exactly", headers: [("If-Modified-Since", exactly)], status: .notModified),
        Case(name: "If-Modified-Since after", headers: [("If-Modified-Since", after)], status: .notModified),
        Case(name: "If-Unmodified-Since after", headers: [("If-Unmodified-Since", after)], status: .ok),
        Case(name: "If-Unmodified-Since exactly", headers: [("If-Unmodified-Since", exactly)], status: .ok),
        Case(name: "If-Unmodified-Since before", headers: [("If-Unmodified-Since", before)], status: .preconditionFailed),
        // S3: If-Match true and If-Unmodified-Since false: 200.
        Case(name: "If-Match true overrides If-Unmodified-Since false",
             headers: [("If-Match", "ETAG"), ("If-Unmodified-Since", before)], status: .ok),
        Case(name: "If-Match false with If-Unmodified-Since true", headers: [("If-Match", other), ("If-Unmodified-Since", after)],
             status: .preconditionFailed),
        // S3: If-None-Match false (the ETag matches) and If-Modified-Since true: 304.
        Case(name: "If-None-Match false with If-Modified-Since true",
             headers: [("If-None-Match", "ETAG"), ("If-Modified-Since", before)], status: .notModified),
        // RFC 7232 3.3: If-Modified-Since is ignored when If-None-Match is present.
        Case(name: "If-None-Match true with If-Modified-Since false",
             headers: [("If-None-Match", other), ("If-Modified-Since", after)], status: .ok),
        // A failed If-Match is answered before If-None-Match is looked at.
        Case(name: "If-Match false with If-None-Match false", headers: [("If-Match", other), ("If-None-Match", "ETAG")],
             status: .preconditionFailed),
        Case(name: "If-Unmodified-Since false with If-None-Match false",
             headers: [("If-Unmodified-Since", before), ("If-None-Match", "ETAG")], status: .preconditionFailed),
        Case(name: "an unparsable date is ignored", headers: [("If-Modified-Since", "yesterday")], status: .ok),
    ]

    @Test(arguments: reads)
    func conditionalRead(_ test: Case) async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let etag = try #require(try await s3.putObject("bkt", "k", "hello").header("etag"))
            s3.clock.advance(by: 7200)  // reads come later than the write
            let headers = test.headers.map { ($0.0, $0.1.replacingOccurrences(of: "ETAG", with: etag)) }
            for method in [HTTPRequest.Method.get, .head] {
                let reply = try await s3.send(method, "/bkt/k", headers: headers)
                #expect(reply.status == test.status, "\(method) \(reply.status.code)")
                switch test.status {
                case .ok:
                    #expect(reply.text == (method == .get ? "hello" : ""))
                case .notModified:
                    #expect(reply.body.isEmpty)
                    #expect(reply.header("etag") == etag)
                    #expect(reply.header("last-modified") == Self.exactly)
                default:
                    #expect(method == .head ? reply.body.isEmpty : reply.code == "PreconditionFailed")
                }
            }
        }
    }

    @Test func lastModifiedComesFromTheInjectedClock() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.putObject("bkt", "k")
            s3.clock.advance(by: 60)
            try await s3.putObject("bkt", "later")
            #expect(try await s3.send(.head, "/bkt/k").header("last-modified") == Self.exactly)
            #expect(try await s3.send(.head, "/bkt/later").header("last-modified") == S3Date.http(Self.written.addingTimeInterval(60)))
            // The second is not yet modified since the first was written; the first is.
            try await s3.send(.get, "/bkt/later", headers: [("If-Modified-Since", Self.exactly)]).expect(.ok)
            try await s3.send(.get, "/bkt/k", headers: [("If-Modified-Since", Self.exactly)]).expect(.notModified)
        }
    }

    @Test func putIfNoneMatchStarCreatesOnlyOnce() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            try await s3.send(.put, "/bkt/k", headers: [("If-None-Match", "*")], body: Array("first".utf8)).expect(.ok)
            let second = try await s3.send(.put, "/bkt/k", headers: [("If-None-Match", "*")], body: Array("second".utf8)).expect(.preconditionFailed)
            #expect(second.code == "PreconditionFailed")
            #expect(second.xml?.childText("Condition") == "If-None-Match")
            #expect(try await s3.send(.get, "/bkt/k").text == "first")
        }
    }

    @Test func putIfMatchReplacesOnlyThatVersion() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let etag = try #require(try await s3.putObject("bkt", "k", "first").header("etag"))
            let refused = try await s3.send(.put, "/bkt/k", headers: [("If-Match", Self.other)], body: Array("x".utf8)).expect(.preconditionFailed)
            #expect(refused.xml?.childText("Condition") == "If-Match")
            #expect(try await s3.send(.get, "/bkt/k").text == "first")
            let replaced = try await s3.send(.put, "/bkt/k", headers: [("If-Match", etag)], body: Array("second".utf8)).expect(.ok)
            #expect(replaced.header("etag") != etag)
            #expect(try await s3.send(.get, "/bkt/k").text == "second")
            // The old ETag no longer matches.
            try await s3.send(.put, "/bkt/k", headers: [("If-Match", etag)], body: Array("third".utf8)).expect(.preconditionFailed)
        }
    }

    @Test func putIfMatchOnAMissingKeyIsNoSuchKey() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            // S3: "If there's no current object version with the same name ... 404 Not Found".
            let reply = try await s3.send(.put, "/bkt/none", headers: [("If-Match", Self.other)], body: Array("x".utf8)).expect(.notFound)
            #expect(reply.code == "NoSuchKey")
        }
    }

    @Test func putIfNoneMatchOtherThanStarIsNotImplemented() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let reply = try await s3.send(.put, "/bkt/k", headers: [("If-None-Match", Self.other)], body: Array("x".utf8)).expect(.notImplemented)
            #expect(reply.code == "NotImplemented")
        }
    }
}
