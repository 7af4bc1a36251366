/// In-process locks over the keys of LevelDB commits, which make a conditional commit's check
/// and write one atomic step (LevelDB itself has no conditional write; it has one process).
///
/// A commit claims every key it writes exclusively, every key it only checks shared, and
/// every prefix it counts (a `keyCount` condition) as a range that no concurrent commit may
/// write into. Claims are taken all at once or not at all (so no deadlock), and granted in
/// arrival order among claims that conflict (so a bucket deletion is not starved by a stream
/// of commits into the bucket). Commits that touch different keys never wait for one another,
/// so LevelDB can still group their synced writes. Waiting happens on ``BlockingPool``
/// threads only.
final class KeyLockTable: @unchecked Sendable {
    /// The keys and prefixes one commit locks.
    struct Claim {
        var exclusive: Set<[UInt8]> = []
        var shared: Set<[UInt8]> = []
        var prefixes: [[UInt8]] = []

        /// The claim of a commit of `batch`.
        init(_ batch: MetadataBatch) {
            for operation in batch.operations { exclusive.insert(operation.key) }
            for condition in batch.conditions {
                switch condition {
                case .keyCount(let prefix, _): prefixes.append(prefix)
                default: if !exclusive.contains(condition.key) { shared.insert(condition.key) }
                }
            }
        }

        /// Whether the two claims may not be held at once. Set-disjointness walks the smaller
        /// set, so a claim of thousands of keys (a multipart completion) stays cheap to test.
        func conflicts(with other: Claim) -> Bool {
            if !exclusive.isDisjoint(with: other.exclusive) || !exclusive.isDisjoint(with: other.shared)
                || !shared.isDisjoint(with: other.exclusive) {
                return true
            }
            for prefix in prefixes where other.exclusive.contains(where: { $0.starts(with: prefix) }) { return true }
            for prefix in other.prefixes where exclusive.contains(where: { $0.starts(with: prefix) }) { return true }
            return false
        }
    }

    private let lock = ConditionLock()
    private var held: [UInt64: Claim] = [:]
    private var waiting: [(ticket: UInt64, claim: Claim)] = []
    private var nextTicket: UInt64 = 0

    /// Runs `body` holding `claim`; blocks the calling thread until it is granted.
    func withClaim<R, E: Error>(_ claim: Claim, _ body: () throws(E) -> R) throws(E) -> R {
        let ticket = acquire(claim)
        defer { release(ticket) }
        return try body()
    }

    /// Runs `body` holding `claim` if it can be granted at once; nil (and `body` not run) when
    /// it would have to wait.
    func withClaimIfFree<R, E: Error>(_ claim: Claim, _ body: () throws(E) -> R) throws(E) -> R? {
        guard let ticket = claimIfFree(claim) else { return nil }
        defer { release(ticket) }
        return try body()
    }

    /// Takes `claim` if it can be granted at once and returns its ticket for ``release(_:)``;
    /// nil when it would have to wait. Never blocks, so a cooperative thread may call it and
    /// hold the claim across an `await`.
    func claimIfFree(_ claim: Claim) -> UInt64? {
        lock.withLock {
            let ticket = nextTicket
            guard grantable(ticket, claim) else { return nil }
            nextTicket += 1
            held[ticket] = claim
            return ticket
        }
    }

    private func acquire(_ claim: Claim) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let ticket = nextTicket
        nextTicket += 1
        waiting.append((ticket, claim))
        while !grantable(ticket, claim) { lock.wait() }
        waiting.removeAll { $0.ticket == ticket }
        held[ticket] = claim
        return ticket
    }

    /// Whether `claim` conflicts with no held claim and no claim that arrived before it.
    private func grantable(_ ticket: UInt64, _ claim: Claim) -> Bool {
        for other in held.values where claim.conflicts(with: other) { return false }
        for other in waiting {
            if other.ticket == ticket { break }
            if claim.conflicts(with: other.claim) { return false }
        }
        return true
    }

    /// Releases a granted claim.
    func release(_ ticket: UInt64) {
        lock.withLock {
            held[ticket] = nil
            if !waiting.isEmpty { lock.broadcast() }
        }
    }
}
