import Foundation

/// A pool of threads for LevelDB work that blocks: waits for the key locks of a contended
/// commit (and that commit's synced write, through the ``GroupCommitter``), reclaiming a large
/// blob, synced package writes (``ObjectStore/Options/syncChunks``).
///
/// Such work must not run on Swift's cooperative pool (a handful of threads, one per core),
/// where a few blocked calls would stall every task of the process. Here each blocking call
/// has a thread of its own, up to ``maxThreads``. Threads start on demand and then stay, idle,
/// for the life of the process.
final class BlockingPool: @unchecked Sendable {
    /// The pool shared by every LevelDB store of the process.
    static let shared = BlockingPool(maxThreads: 64)

    /// The most threads the pool runs; further work waits for a free thread.
    let maxThreads: Int
    private let lock = ConditionLock()
    /// Queued work; a job returns the continuation resume to call once the job is released.
    private var jobs: [Job?] = []
    private var head = 0
    private var threads = 0
    private var waiting = 0
    private var wakeups = 0

    typealias Job = @Sendable () -> @Sendable () -> Void

    init(maxThreads: Int) {
        self.maxThreads = max(maxThreads, 1)
    }

    /// Runs `body` on a pool thread and returns its result. The pool lets go of `body` (and
    /// of what it captured, such as a database) before the caller resumes, so a store closed
    /// right after its last call is really closed.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(StorageError) -> T) async throws(StorageError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StorageError>, Never>) in
            submit {
                let result = Result { () throws(StorageError) -> T in try body() }
                return { continuation.resume(returning: result) }
            }
        }
        return try result.get()
    }

    private func submit(_ job: @escaping Job) {
        lock.withLock {
            jobs.append(job)
            if waiting > wakeups {
                wakeups += 1
                lock.signal()
            } else if threads < maxThreads {
                threads += 1
                let thread = Thread { [self] in work() }
                thread.name = "coffer-leveldb-\(threads)"
                thread.start()
            }
        }
    }

    private func work() {
        lock.lock()
        while true {
            if head < jobs.count {
                var job = jobs[head]
                jobs[head] = nil
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                } else if head >= 1024, head * 2 >= jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                lock.unlock()
                let resume = job?()
                job = nil
                resume?()
                lock.lock()
                continue
            }
            waiting += 1
            lock.wait()
            waiting -= 1
            if wakeups > 0 { wakeups -= 1 }
        }
    }
}
