import CofferStorage
import Foundation

/// The `ceiling` phase of `coffer bench`: what the disk and LevelDB allow small PUTs, with no
/// HTTP, no signature, no sealing and no audit. `threads` threads each write synced batches of
/// one package-sized value (a random 4 KiB, under a chunk-like key) and one ~200-byte record
/// (under an object-like key), through the C API, with the options of Coffer's store; LevelDB
/// groups concurrent synced writers into one log write and one sync (group commit), exactly as
/// it does for the server's commits. A 4 KiB PUT does at least this work, so the small-PUT
/// rate divided by this one says how close the server comes to the disk's limit.
enum CeilingBenchmark {
    struct Figures: Sendable {
        var opsPerSecond: Double
        /// This process's CPU time per batch (user + system), µs.
        var cpuMicrosPerOp: Double
    }

    static func run(directory: String, threads: Int, count: Int, valueSize: Int, recordSize: Int) throws -> Figures {
        let db = try LevelDB(path: directory, options: ObjectStore.Options().database)
        let perThread = max(1, count / threads)
        let failures = Failures()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for thread in 0..<threads {
            done.enter()
            let worker = Thread {
                defer { done.leave() }
                var generator = SystemRandomNumberGenerator()
                let value = (0..<valueSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let record = [UInt8](repeating: UInt8(ascii: "r"), count: recordSize)
                start.wait()
                for index in 0..<perThread {
                    let batch = WriteBatch()
                    let blob = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    batch.put([UInt8(ascii: "c")] + blob + [0, 0, 0, 0], value)
                    batch.put(Array("obench\u{0}ceiling/\(thread)/\(index)".utf8), record)
                    do { try db.write(batch, sync: true) } catch { failures.record(error); return }
                }
            }
            worker.start()
        }
        let cpu0 = CPUTimes.now(server: nil).client
        let clock = ContinuousClock.now
        for _ in 0..<threads { start.signal() }
        done.wait()
        let elapsed = ContinuousClock.now - clock
        let cpu1 = CPUTimes.now(server: nil).client
        if let error = failures.first { throw error }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let ops = Double(perThread * threads)
        return Figures(opsPerSecond: ops / seconds, cpuMicrosPerOp: (cpu1 - cpu0) / ops * 1e6)
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var errors: [any Error] = []
        func record(_ error: any Error) { lock.withLock { errors.append(error) } }
        var first: (any Error)? { lock.withLock { errors.first } }
    }
}
