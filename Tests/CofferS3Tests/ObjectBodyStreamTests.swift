import CofferCrypto
import CofferStorage
import Foundation
import NIOCore
import Testing

@testable import CofferS3

/// The response body of a GET as the server writes it (`ObjectBodyStream.responseBody`): small
/// bodies directly, large ones read ahead on other threads (`ReadAhead.swift`). Whole bodies
/// and ranges are exact; a tampered package stops the body after the verified bytes before it;
/// a client that goes away mid-body stops the producer.
@Suite struct ObjectBodyStreamTests {
    typealias P = SealedPipelineTests

    /// Collects what the body writes; fails once `failAfter` bytes were written, if set.
    struct CollectingSink: ResponseBodySink {
        final class Bytes: @unchecked Sendable { var value: [UInt8] = [] }
        struct ClientGone: Error {}
        let bytes = Bytes()
        var failAfter: Int?
        mutating func write(_ buffer: ByteBuffer) async throws {
            if let failAfter, bytes.value.count >= failAfter { throw ClientGone() }
            bytes.value += buffer.readableBytesView
        }
    }

    static func body(_ store: ObjectStore, _ keys: ObjectKeys, range: ClosedRange<Int64>? = nil, failAfter: Int? = nil) async throws -> (CollectingSink, (any Error)?) {
        let reader = try #require(try await store.openObject(bucket: "bucket", key: "k"))
        let dataKey = try keys.dataKey(encryption: reader.record.encryption, bucket: "bucket", key: "k")
        let openers = try keys.openers(dataKey: dataKey, record: reader.record)
        guard case .stream(let length, let write) = ObjectBodyStream(reader: reader, openers: openers, range: range).responseBody() else {
            Issue.record("not a streamed body")
            return (CollectingSink(), nil)
        }
        let collecting = CollectingSink(failAfter: failAfter)
        var sink: any ResponseBodySink = collecting
        do {
            try await write(&sink)
            #expect(collecting.bytes.value.count == length)
            return (collecting, nil)
        } catch {
            return (collecting, error)
        }
    }

    @Test func largeAndSmallBodiesAndRangesAreExact() async throws {
        let keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
        let data = (0..<(40 * 65536 + 123)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let (store, remove) = try await P.makeStore()
        defer { remove() }
        _ = try await P.write(store, keys, data, splits: [100_000])
        let (whole, error) = try await Self.body(store, keys)
        #expect(error == nil)
        #expect(whole.bytes.value == data)
        for range: ClosedRange<Int64> in [0...0, 65535...65536, 1...131_072, 65536 * 3 + 5...65536 * 30, 100...Int64(data.count - 1)] {
            let (part, error) = try await Self.body(store, keys, range: range)
            #expect(error == nil)
            #expect(part.bytes.value == Array(data[Int(range.lowerBound)...Int(range.upperBound)]), "\(range)")
        }
    }

    @Test func aTamperedPackageStopsTheBodyAfterTheVerifiedBytes() async throws {
        let keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
        let data = (0..<(20 * 65536)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let (store, remove) = try await P.makeStore()
        defer { remove() }
        let record = try await P.write(store, keys, data, splits: [65536])
        let blob = record.segments[0]
        var package = try #require(try await store.readChunk(blob: blob.id, index: 9))
        package[100] ^= 0x80
        try #require(store.db).put([UInt8(ascii: "c")] + blob.id.bytes + [0, 0, 0, 9], package, sync: true)
        let (sink, error) = try await Self.body(store, keys)
        #expect(error != nil)
        let delivered = sink.bytes.value
        #expect(delivered.count <= 9 * 65536)
        #expect(delivered == Array(data[..<delivered.count]))
    }

    @Test func aClientGoneMidBodyStopsTheProducer() async throws {
        let keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
        let data = (0..<(64 * 65536)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let (store, remove) = try await P.makeStore()
        defer { remove() }
        _ = try await P.write(store, keys, data, splits: [1 << 20])
        let (sink, error) = try await Self.body(store, keys, failAfter: 300_000)
        #expect(error is CollectingSink.ClientGone)
        #expect(sink.bytes.value == Array(data[..<sink.bytes.value.count]))
        // The store is still usable: the producer let go of its reader.
        let (again, againError) = try await Self.body(store, keys)
        #expect(againError == nil)
        #expect(again.bytes.value == data)
    }
}
