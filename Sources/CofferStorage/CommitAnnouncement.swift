import Synchronization

/// Tells a ``MetadataStore`` that a synced commit is on its way: a small write has begun and
/// will commit as soon as its body is stored. A store that writes synced commits in groups
/// (LevelDB's ``GroupCommitter``) may hold a group open for a moment while announced commits
/// are still to come, so that they share one log sync instead of paying one each; with
/// nothing announced it never waits.
///
/// An announcement ends exactly once: when a commit that carries it is handed to the store's
/// writer (``MetadataStore/commit(_:durability:fulfilling:)``), when ``withdraw()`` is called
/// (the write turned out large, or failed), or when the last reference to it goes.
public final class CommitAnnouncement: Sendable {
    private let open: Atomic<Bool>
    private let onWithdraw: (@Sendable () -> Void)?

    /// An announcement that announces nothing (for stores that do not group commits).
    public init() {
        open = Atomic(false)
        onWithdraw = nil
    }

    /// An open announcement; `onWithdraw` runs if it ends without being fulfilled.
    init(onWithdraw: @escaping @Sendable () -> Void) {
        open = Atomic(true)
        self.onWithdraw = onWithdraw
    }

    /// Ends the announcement without a commit (idempotent).
    public func withdraw() {
        if take() { onWithdraw?() }
    }

    /// Ends the announcement; true if it was still open (the caller then accounts for it).
    func take() -> Bool {
        open.exchange(false, ordering: .acquiringAndReleasing)
    }

    deinit {
        withdraw()
    }
}
