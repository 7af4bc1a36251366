import Foundation
import Synchronization

/// Writes a database's synced batches from one thread, in groups: every batch that arrives
/// while a group is being written and synced goes into the next group, which is one
/// `leveldb_write` and one log sync for all of its batches (group commit).
///
/// LevelDB groups concurrent synced writers by itself, but only writers that are already
/// waiting inside `leveldb_write` when the leader takes the group; each of them needs a
/// thread of its own, and each hand-off between those threads is a wake-up. Here a commit
/// costs a queue append and, once its group is synced, a continuation resume; the writer
/// thread never sleeps while commits are queued.
///
/// A group is applied atomically as a whole (one LevelDB batch), so it either succeeds for
/// every commit in it or fails for every one, and nothing of a failed group is written. The
/// batches of one group come from commits whose key claims do not conflict
/// (``KeyLockTable``), so their order inside the group does not matter; a later group is
/// written after an earlier one, in arrival order.
///
/// **Waiting for announced commits.** On a disk whose sync is quick, commits rarely arrive
/// while one is syncing, so groups stay at one commit and every PUT pays a sync of its own.
/// When writers have announced that their commits are coming (``CommitAnnouncement``: a small
/// PUT being checked or received), the thread holds the group open while any is announced,
/// until the group has ``targetSize`` commits or ``maxDelay`` has passed since its first commit
/// arrived, whichever is first (as PostgreSQL's `commit_delay` does when other transactions
/// are active). With nothing announced (a single client, large uploads) it never waits; two
/// clients wait only for each other; and no group waits while another commit waits for keys
/// (the announced commit may be the one waiting for this group's keys).
///
/// The thread starts on the first synced commit and ends when the database is closed. It holds
/// no reference to the database between groups: each queued commit holds one.
final class GroupCommitter: @unchecked Sendable {
    /// The most bytes (keys + values) merged into one group; a larger commit is a group alone.
    static let maxGroupBytes = 4 << 20

    /// The longest a group is held open for announced commits.
    let maxDelay: Duration
    /// A group holds no longer for announced commits once it has this many.
    let targetSize: Int
    private let lock = ConditionLock()
    private var queue: [Entry] = []
    /// Announced commits not yet queued (nor withdrawn).
    private var announced = 0
    /// A commit waits for a key that a queued one holds: the next group must not wait.
    private var contended = false
    private var started = false
    private var stopped = false
    private let name: String
    /// Synced `leveldb_write` calls made: one per group, so one log sync each.
    let groups = Atomic<Int>(0)
    /// Commits written (the sum of the groups' sizes).
    let commits = Atomic<Int>(0)

    struct Entry {
        let database: LevelDB
        let batch: WriteBatch
        let done: @Sendable (StorageError?) -> Void
        /// When the commit was queued (`DispatchTime` nanoseconds).
        var queued: UInt64 = 0
    }

    init(name: String, maxDelay: Duration, targetSize: Int) {
        self.name = name
        self.maxDelay = maxDelay
        self.targetSize = targetSize
    }

    /// Writes `batch` in the next group and returns once it is synced; fulfils
    /// `announcements` as it is queued.
    func write(_ batch: WriteBatch, to database: LevelDB, fulfilling announcements: [CommitAnnouncement] = []) async throws(StorageError) {
        let error: StorageError? = await withCheckedContinuation { continuation in
            enqueue(Entry(database: database, batch: batch) { continuation.resume(returning: $0) }, fulfilling: announcements)
        }
        if let error { throw error }
    }

    /// Writes `batch` in the next group and blocks the calling thread until it is synced. For
    /// threads that may block (``BlockingPool``), never Swift's cooperative threads.
    func writeBlocking(_ batch: WriteBatch, to database: LevelDB, fulfilling announcements: [CommitAnnouncement] = []) throws(StorageError) {
        let waiter = Waiter()
        enqueue(Entry(database: database, batch: batch) { waiter.finish($0) }, fulfilling: announcements)
        if let error = waiter.wait() { throw error }
    }

    /// A new announcement of a commit to come.
    func announce() -> CommitAnnouncement {
        lock.withLock { announced += 1 }
        return CommitAnnouncement { [self] in
            lock.withLock {
                announced -= 1
                lock.signal()
            }
        }
    }

    /// Says that a commit waits for keys that queued commits hold (``KeyLockTable``): holding
    /// the group open would hold them too, and the announced commits may be the very ones
    /// waiting, so the next group is written without waiting.
    func noteContention() {
        lock.withLock {
            contended = true
            lock.signal()
        }
    }

    /// Announced commits not yet queued (for tests).
    var announcedCount: Int { lock.withLock { announced } }

    /// Commits queued and not yet taken into a group (for tests).
    var queuedCount: Int { lock.withLock { queue.count } }

    /// Ends the writer thread once the queue is empty. Called when the database closes (no
    /// commit can be queued then: each holds the database).
    func stop() {
        lock.withLock {
            stopped = true
            lock.signal()
        }
    }

    private func enqueue(_ entry: Entry, fulfilling announcements: [CommitAnnouncement]) {
        var entry = entry
        lock.withLock {
            for announcement in announcements where announcement.take() { announced -= 1 }
            entry.queued = DispatchTime.now().uptimeNanoseconds
            queue.append(entry)
            if !started {
                started = true
                let thread = Thread { [self] in run() }
                thread.name = name
                thread.start()
            } else {
                lock.signal()
            }
        }
    }

    private func run() {
        while let group = nextGroup() {
            let error = Self.apply(group)
            groups.add(1, ordering: .relaxed)
            commits.add(group.count, ordering: .relaxed)
            let callbacks = group.map(\.done)
            // The group's batches and database references go before anyone resumes, so a
            // database closed right after its last commit is really closed.
            _ = consume group
            for callback in callbacks { callback(error) }
        }
    }

    /// Waits for queued commits, and for announced ones (at most ``maxDelay`` after the oldest
    /// queued one arrived), and takes the next group: the oldest commit, then every following
    /// one of the same database while the group stays under ``maxGroupBytes``.
    private func nextGroup() -> [Entry]? {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty {
            if stopped { return nil }
            lock.wait()
        }
        let (seconds, attoseconds) = maxDelay.components
        let delay = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        let deadline = queue[0].queued + delay
        while announced > 0, queue.count < targetSize, !contended, !stopped, DispatchTime.now().uptimeNanoseconds < deadline {
            lock.wait(untilUptimeNanoseconds: deadline)
        }
        contended = false
        let first = queue[0]
        var bytes = first.batch.byteCount
        var end = 1
        while end < queue.count, queue[end].database === first.database,
              bytes + queue[end].batch.byteCount <= Self.maxGroupBytes {
            bytes += queue[end].batch.byteCount
            end += 1
        }
        let group = Array(queue[..<end])
        queue.removeFirst(end)
        return group
    }

    /// Writes one group with one synced `leveldb_write`.
    private static func apply(_ group: [Entry]) -> StorageError? {
        let database = group[0].database
        do throws(StorageError) {
            if group.count == 1 {
                try database.write(group[0].batch, sync: true)
            } else {
                let merged = WriteBatch()
                for entry in group { merged.append(entry.batch) }
                try database.write(merged, sync: true)
            }
            return nil
        } catch {
            return error
        }
    }
}

extension GroupCommitter {
    /// One blocked caller of ``writeBlocking(_:to:)``.
    final class Waiter: @unchecked Sendable {
        private let lock = ConditionLock()
        private var finished = false
        private var error: StorageError?

        func finish(_ error: StorageError?) {
            lock.withLock {
                self.error = error
                finished = true
                lock.signal()
            }
        }

        func wait() -> StorageError? {
            lock.withLock {
                while !finished { lock.wait() }
                return error
            }
        }
    }
}
