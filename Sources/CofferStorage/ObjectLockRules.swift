import Foundation

/// S3's Object Lock rules, pure: no store, no clock (the moment is passed in). The store asks
/// them inside the conditional commit of the version they judge (``ObjectStore``'s deletions,
/// placements and lock changes), so a lock set concurrently is never raced past.
///
/// A retention whose `retainUntil` is not later than the moment asked about has expired and
/// protects nothing; a legal hold protects until it is turned off, whatever the retention.
public enum ObjectLockRules {
    /// The verdict on a retention change.
    public enum RetentionChange: Sendable, Hashable {
        /// The change may be made.
        case allowed
        /// The new retention's `retainUntil` is not in the future (S3: 400 InvalidArgument).
        case retainUntilNotInFuture
        /// The current retention, in force, forbids the change (S3: 403 AccessDenied): a
        /// COMPLIANCE retention is never shortened, removed nor turned into GOVERNANCE; a
        /// GOVERNANCE one is shortened or removed only by a caller who bypasses it.
        case protected(ObjectRetention)
    }

    /// What protects `record` from being removed at `date` (a deletion by version id, or a
    /// write that would replace it), or nil when nothing does: a legal hold that is ON, a
    /// COMPLIANCE retention in force, or a GOVERNANCE retention in force unless
    /// `bypassGovernance`. A retention is named before a legal hold when both protect.
    public static func protection(of record: ObjectRecord, at date: Date, bypassGovernance: Bool) -> ObjectLockProtection? {
        if let retention = record.retention, retention.isInForce(at: date), retention.mode == .compliance || !bypassGovernance {
            return .retention(retention)
        }
        if record.legalHold == .on { return .legalHold }
        return nil
    }

    /// Whether `current` (a version's retention, nil for none) may become `new` (nil: removed)
    /// at `now`:
    ///
    /// - a new retention must end after `now`;
    /// - no retention, or one expired at `now`: anything;
    /// - COMPLIANCE in force: only COMPLIANCE until the same date or later;
    /// - GOVERNANCE in force: GOVERNANCE or COMPLIANCE until the same date or later; with
    ///   `bypassGovernance` anything (shortened, removed).
    public static func retentionChange(
        from current: ObjectRetention?, to new: ObjectRetention?, at now: Date, bypassGovernance: Bool
    ) -> RetentionChange {
        if let new, !new.isInForce(at: now) { return .retainUntilNotInFuture }
        guard let current, current.isInForce(at: now) else { return .allowed }
        if current.mode == .governance && bypassGovernance { return .allowed }
        guard let new, new.retainUntil >= current.retainUntil else { return .protected(current) }
        if current.mode == .compliance && new.mode != .compliance { return .protected(current) }
        return .allowed
    }
}
