import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable (`pthread_mutex_t` + `pthread_cond_t`), for the few
/// places where threads of the LevelDB pool must wait for one another. Never used on Swift's
/// cooperative threads.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }

    func unlock() { pthread_mutex_unlock(mutex) }

    /// Waits for a signal; the lock must be held, and is held again on return.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits for a signal or until `DispatchTime.now().uptimeNanoseconds` reaches `deadline`;
    /// the lock must be held, and is held again on return. May return early (spuriously).
    func wait(untilUptimeNanoseconds deadline: UInt64) {
        let remaining = Int64(bitPattern: deadline &- DispatchTime.now().uptimeNanoseconds)
        guard remaining > 0 else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let target = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) + remaining
        var absolute = timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000))
        pthread_cond_timedwait(condition, mutex, &absolute)
    }

    /// Wakes one waiter.
    func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Runs `body` holding the lock.
    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}
