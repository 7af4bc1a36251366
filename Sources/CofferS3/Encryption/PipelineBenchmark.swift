import CofferCrypto
import CofferStorage
import Foundation
import Synchronization

/// The encryption issue's benchmark, in process and over a real store: the body pipeline
/// (chunker → stage → LevelDB, and back through the range reader) with the sealing stage,
/// against the same pipeline with the stage replaced by a plain copy, measured in one run;
/// and a 1 KiB range read from the middle of a large object against a whole 1 KiB object,
/// counting the packages each opens. The plain stage exists only here: it is reachable
/// through the `Benchmark` SPI, never from the server.
@_spi(Benchmark)
public enum PipelineBenchmark {
    public struct Result: Codable, Sendable {
        public var objectMiB: Int
        public var runs: Int
        public var sealedPutMBps: Double
        public var plainPutMBps: Double
        public var sealedGetMBps: Double
        public var plainGetMBps: Double
        public var putRatio: Double
        public var getRatio: Double
        public var rangeObjectMiB: Int
        public var rangeReadMicroseconds: Double
        public var smallObjectReadMicroseconds: Double
        public var packagesOpenedByRangeRead: Int
    }

    /// A copy in place of the cipher: what the pipeline costs without encryption. Injected into
    /// a server by the benchmark (`CofferServer.packageStage`), never by `coffer serve`.
    public static let plainCopyStage: any PackageStage = PlainCopyStage()

    struct PlainCopyStage: PackageStage, PackageSealing, PackageOpening {
        func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8] { Array(plaintext) }
        func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8] { stored }
        var header: String { "plain" }
        func sealer(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, partNumber: Int) -> any PackageSealing { self }
        func opener(dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce?, blob: BlobRef) throws -> any PackageOpening { self }
    }

    /// Counts the packages a read opens.
    final class CountingOpener: PackageOpening, @unchecked Sendable {
        let base: any PackageOpening
        let count = Atomic<Int>(0)
        init(_ base: any PackageOpening) { self.base = base }
        func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8] {
            count.add(1, ordering: .relaxed)
            return try base.open(stored, index: index, isFinal: isFinal)
        }
    }

    public static func run(directory: String, objectMiB: Int = 64, runs: Int = 5, rangeObjectMiB: Int = 1024) async throws -> Result {
        let store = try await ObjectStore(directory: directory)
        try await store.createBucket(BucketRecord(name: "bench", owner: "bench", region: "us-east-1", createdAt: Date()))
        let keys = ObjectKeys(keyring: try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1))
        let slice = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let size = objectMiB << 20

        var puts: [String: [Double]] = [:], gets: [String: [Double]] = [:]
        for run in 0..<runs {
            for sealed in (run % 2 == 0 ? [true, false] : [false, true]) {
                let name = sealed ? "sealed" : "plain"
                let key = "\(name)-\(run)"
                let (dataKey, encryption) = try keys.newObject(bucket: "bench", key: key)
                let versionNonce = VersionNonce.random()
                let stage: any PackageSealing = sealed ? keys.sealer(dataKey: dataKey, bucket: "bench", key: key, versionNonce: versionNonce, partNumber: 0) : PlainCopyStage()
                var start = ContinuousClock.now
                let blob = try await write(store, stage: stage, slice: slice, size: size)
                puts[name, default: []].append(megabytesPerSecond(size, since: start))
                let record = ObjectRecord(
                    bucket: "bench", key: key, size: blob.size, etag: "-", lastModified: Date(), owner: "bench", contentHeaders: [:],
                    userMetadata: [:], checksum: nil, parts: nil, segments: [blob], storageClass: "STANDARD", encryption: encryption,
                    versionNonce: versionNonce)
                try await store.commitObject(record)
                let reader = try await store.openObject(bucket: "bench", key: key)!
                let opener: any PackageOpening = sealed ? try keys.opener(dataKey: dataKey, bucket: "bench", key: key, versionNonce: versionNonce, blob: blob) : PlainCopyStage()
                start = ContinuousClock.now
                var read = 0
                try await ObjectBodyStream(reader: reader, openers: [opener], range: nil).forEachPiece { read += $0.count }
                precondition(read == size, "benchmark read \(read) of \(size) bytes")
                gets[name, default: []].append(megabytesPerSecond(size, since: start))
                _ = try await store.deleteObject(bucket: "bench", key: key)
            }
        }

        // A 1 KiB range from the middle of a large object versus a whole 1 KiB object.
        let big = try await sealedObject(store, keys, key: "range-big", slice: slice, size: rangeObjectMiB << 20)
        let small = try await sealedObject(store, keys, key: "range-small", slice: slice, size: 1024)
        let middle = Int64(rangeObjectMiB << 19) + 65536 - 512  // straddles a package boundary
        var rangeTimes: [Double] = [], smallTimes: [Double] = []
        var opened = 0
        for _ in 0..<200 {
            let (rangeTime, rangeOpened) = try await timedRead(store, keys, big, range: middle...(middle + 1023))
            rangeTimes.append(rangeTime)
            opened = max(opened, rangeOpened)
            smallTimes.append(try await timedRead(store, keys, small, range: nil).0)
        }
        let result = Result(
            objectMiB: objectMiB, runs: runs,
            sealedPutMBps: median(puts["sealed"]!), plainPutMBps: median(puts["plain"]!),
            sealedGetMBps: median(gets["sealed"]!), plainGetMBps: median(gets["plain"]!),
            putRatio: median(puts["sealed"]!) / median(puts["plain"]!), getRatio: median(gets["sealed"]!) / median(gets["plain"]!),
            rangeObjectMiB: rangeObjectMiB, rangeReadMicroseconds: median(rangeTimes), smallObjectReadMicroseconds: median(smallTimes),
            packagesOpenedByRangeRead: opened)
        return result
    }

    static func write(_ store: ObjectStore, stage: any PackageSealing, slice: [UInt8], size: Int) async throws -> BlobRef {
        let sink = try await BlobSink(store: store, sealer: stage, checksum: nil)
        var written = 0
        while written < size {
            let n = min(slice.count, size - written)
            try await sink.append(n == slice.count ? slice : Array(slice[0..<n]))
            written += n
        }
        return try await sink.finish().blob
    }

    static func sealedObject(_ store: ObjectStore, _ keys: ObjectKeys, key: String, slice: [UInt8], size: Int) async throws -> ObjectRecord {
        let (dataKey, encryption) = try keys.newObject(bucket: "bench", key: key)
        let versionNonce = VersionNonce.random()
        let blob = try await write(store, stage: keys.sealer(dataKey: dataKey, bucket: "bench", key: key, versionNonce: versionNonce, partNumber: 0), slice: slice, size: size)
        let record = ObjectRecord(
            bucket: "bench", key: key, size: blob.size, etag: "-", lastModified: Date(), owner: "bench", contentHeaders: [:],
            userMetadata: [:], checksum: nil, parts: nil, segments: [blob], storageClass: "STANDARD", encryption: encryption,
            versionNonce: versionNonce)
        try await store.commitObject(record)
        return record
    }

    /// Microseconds to open the object's key and read `range`, and the packages opened.
    static func timedRead(_ store: ObjectStore, _ keys: ObjectKeys, _ record: ObjectRecord, range: ClosedRange<Int64>?) async throws -> (Double, Int) {
        let start = ContinuousClock.now
        let reader = try await store.openObject(bucket: "bench", key: record.key)!
        let dataKey = try keys.dataKey(encryption: reader.record.encryption, bucket: "bench", key: record.key)
        let opener = CountingOpener(try keys.openers(dataKey: dataKey, record: reader.record)[0])
        var read = 0
        try await ObjectBodyStream(reader: reader, openers: [opener], range: range).forEachPiece { read += $0.count }
        let elapsed = ContinuousClock.now - start
        precondition(read == (range.map { Int($0.upperBound - $0.lowerBound + 1) } ?? Int(record.size)))
        return (seconds(elapsed) * 1e6, opener.count.load(ordering: .relaxed))
    }

    static func megabytesPerSecond(_ bytes: Int, since start: ContinuousClock.Instant) -> Double {
        Double(bytes) / 1e6 / seconds(ContinuousClock.now - start)
    }

    public static func seconds(_ duration: Duration) -> Double {
        let (s, attos) = duration.components
        return Double(s) + Double(attos) / 1e18
    }

    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
