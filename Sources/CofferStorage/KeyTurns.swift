import Synchronization

/// First-come turns on keys for the tasks of one process: a task that takes a key's turn
/// runs alone among the tasks that take the same key's turn, and those wait in arrival order.
///
/// ``ObjectStore`` takes the turn of the record a read-decide-commit replaces (an object, a
/// part) around its optimistic retry loop. Without turns, writers of one key in one process
/// race: each reads the record, and all but the first to commit find it changed and read
/// again, while a commit in flight (waiting for its group's log sync) makes every read taken
/// meanwhile stale. A writer could lose any number of rounds in a row. With turns, writers
/// of one key in this process never conflict with one another; conflicts are left to writers
/// in other processes (nodes of a shared store) and to operations on other keys (a bucket
/// deletion), which the optimistic retry handles.
///
/// Keys with no waiter cost one dictionary insert and removal under a mutex. A waiting task
/// suspends (it holds no thread); it is not cancellable, since it waits only for commits
/// already in flight.
final class KeyTurns: Sendable {
    private struct Entry {
        /// Tasks waiting for this key's turn, first come first.
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The keys whose turn is taken.
    private let taken = Mutex<[[UInt8]: Entry]>([:])

    /// Runs `body` in `key`'s turn; calls `willWait` first when the turn is taken.
    func withTurn<R, E: Error>(_ key: [UInt8], willWait: () -> Void = {}, _ body: () async throws(E) -> R) async throws(E) -> R {
        await take(key, willWait: willWait)
        defer { pass(key) }
        return try await body()
    }

    /// The number of keys whose turn is taken (for tests).
    var takenCount: Int { taken.withLock { $0.count } }

    /// The number of tasks waiting for `key`'s turn (for tests).
    func waiterCount(_ key: [UInt8]) -> Int { taken.withLock { $0[key]?.waiters.count ?? 0 } }

    private func take(_ key: [UInt8], willWait: () -> Void) async {
        let free = taken.withLock { taken -> Bool in
            guard taken[key] == nil else { return false }
            taken[key] = Entry()
            return true
        }
        if free { return }
        willWait()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = taken.withLock { taken -> Bool in
                // The turn may have been passed on since the first look.
                guard taken[key] != nil else {
                    taken[key] = Entry()
                    return true
                }
                taken[key]!.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands `key`'s turn to its first waiter, or frees it.
    private func pass(_ key: [UInt8]) {
        let next = taken.withLock { taken -> CheckedContinuation<Void, Never>? in
            guard var entry = taken[key], !entry.waiters.isEmpty else {
                taken[key] = nil
                return nil
            }
            let next = entry.waiters.removeFirst()
            taken[key] = entry
            return next
        }
        next?.resume()
    }
}
