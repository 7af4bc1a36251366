import CofferAudit
import CofferRados
import CofferStorage
import CofferStorageConformance
import CofferStorageRados
import Foundation
import Synchronization
import Testing

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_795_608_000))  // 2026-11-25T12:00:00Z

    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// A GenerateDataKey record of about 900 bytes.
func generateDataKey(_ number: Int, at time: Date) -> AuditEvent {
    let context = AuditContext(time: time, region: "us-east-1",
                               identity: .iamUser(accountId: "123456789012", userName: "alice", accessKeyId: "AKIAALICE"),
                               sourceIPAddress: "10.0.0.1", userAgent: "test-agent/1.0", requestID: UUID().uuidString,
                               recipientAccountId: "123456789012")
    return .kmsCall("GenerateDataKey", context: context, keyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    requestParameters: ["keyId": "alias/app", "keySpec": "AES_256",
                                        "encryptionContext": ["aws:s3:arn": .string("arn:aws:s3:::photos/\(number).jpg")]])
}

/// A fresh key directory for the trail's signing key pair, removed afterwards.
func withKeyDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let directory = NSTemporaryDirectory() + "coffer-rados-audit-keys-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}

@Suite(
    "The audit trail on RADOS against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosAuditTrailTests {
    /// `AuditTrail` over a `RadosAuditSink`: hundreds of records across rotations, a crash
    /// (the writer released without closing) and a restart that digests what it left, then
    /// `AuditVerifier` over the same sink: every digest and every link verifies; a byte changed
    /// in the pool is found.
    @Test func theTrailRecordsRotatesRecoversAndVerifies() async throws {
        try await withKeyDirectory { keys in
            try await Live.withAuditSink { sink in
                let clock = ManualClock()
                let options = AuditTrail.Options(maxFileBytes: 16 << 10)
                var trail: AuditTrail? = try AuditTrail(sink: sink, keyDirectory: keys, options: options, clock: clock.now)
                for number in 0..<300 {
                    try trail?.record(generateDataKey(number, at: clock.now()))
                    clock.advance(1)
                }
                try trail?.rotate()
                for number in 300..<310 { try trail?.record(generateDataKey(number, at: clock.now())) }
                #expect(throws: AuditError.self, "one writer per node") {
                    _ = try AuditTrail(sink: sink, keyDirectory: keys, options: options, clock: clock.now)
                }
                trail = nil  // a crash: the active file is left without a digest

                clock.advance(30)
                let restarted = try AuditTrail(sink: sink, keyDirectory: keys, options: options, clock: clock.now)
                for number in 310..<330 { try restarted.record(generateDataKey(number, at: clock.now())) }
                try restarted.close()

                let files = try AuditReader(sink: sink).logFiles()
                #expect(files.count > 15)
                #expect(files.allSatisfy { $0.digested })
                #expect(files.map(\.number) == Array(1...files.count))
                let report = AuditVerifier.verify(sink: sink, publicKey: restarted.publicKey)
                #expect(report.problem == nil, "\(report.summary)")
                #expect(report.recordsVerified == 330)
                #expect(report.digestsVerified == files.count)
                #expect(try AuditReader(sink: sink).records().map(\.chain.sequence) == Array(1...330))
                #expect(try sink.list().count == 2 * files.count, "a log file and a digest each, nothing else listed")

                // One byte changed in the pool behind the trail's back.
                let victim = try #require(files.dropFirst(3).first).name
                let middle = try sink.read(victim).count / 2
                let original = try #require(try sink.read(victim, from: middle).first)
                try sink.io.blocking.write(sink.dataObject(victim), [original == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")], at: UInt64(middle))
                let tampered = AuditVerifier.verify(sink: sink, publicKey: restarted.publicKey)
                #expect(tampered.problem?.file == victim, "\(tampered.summary)")
            }
        }
    }

    /// Appends per second of ~1 KiB records, sequential (printed; only when
    /// COFFER_TEST_RADOS_RATES is set): the sink's own appends, and whole trail records
    /// (JSON, chain, rotation at 16 MiB).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["COFFER_TEST_RADOS_RATES"] != nil))
    func rates() async throws {
        try await Live.withAuditSink { sink in
            let writer = try sink.openWriter()
            try writer.createSegment("rates", durability: .buffered)
            let record = Array(repeating: UInt8(ascii: "r"), count: 1023) + [0x0a]
            let appends = 2000
            var start = ContinuousClock.now
            for _ in 0..<appends { try writer.append(record, to: "rates", durability: .buffered) }
            let appendSeconds = (ContinuousClock.now - start) / .seconds(1)
            #expect(try sink.read("rates").count == appends * record.count)
            try writer.seal("rates")

            let readStart = ContinuousClock.now
            for _ in 0..<20 { _ = try sink.read("rates") }
            let readSeconds = (ContinuousClock.now - readStart) / .seconds(1)

            try await withKeyDirectory { keys in
                let trailSink = try RadosAuditSink(io: sink.io, node: Live.node("rates-trail"))
                let trail = try AuditTrail(sink: trailSink, keyDirectory: keys)
                let records = 2000
                start = ContinuousClock.now
                for number in 0..<records { try trail.record(generateDataKey(number, at: trail.now)) }
                let recordSeconds = (ContinuousClock.now - start) / .seconds(1)
                try trail.close()
                let bytes = try trailSink.list().filter { $0.hasSuffix(".jsonl") }.reduce(0) { $0 + (try trailSink.read($1).count) }
                await Live.removeTrail(trailSink)
                print("RATES RadosAuditSink append of 1 KiB: \(Int(Double(appends) / appendSeconds))/s; read of a 2 MiB segment: \(Int(20 / readSeconds))/s; AuditTrail.record (\(bytes / records) bytes a record): \(Int(Double(records) / recordSeconds))/s")
            }
        }
    }
}
