import Foundation

/// Exponential backoff with full jitter (the AWS SDKs' "standard" retry mode): the delay before
/// retry `n` (1-based) is uniformly random in `0 ... min(maxBackoff, baseBackoff * 2^(n-1))`.
struct RetryPolicy: Sendable {
    var maxAttempts: Int
    var baseBackoff: Duration
    var maxBackoff: Duration

    /// The cap of the delay before retry `retry` (1 = the delay after the first failed attempt).
    func cap(beforeRetry retry: Int) -> Duration {
        let doublings = min(max(retry - 1, 0), 30)
        let cap = baseBackoff * (1 << doublings)
        return min(cap, maxBackoff)
    }
}

/// What the service reads from the world, injected so tests control it: the clock used for
/// signing, the sleep between attempts and the jitter drawn below each backoff cap.
struct ServiceEnvironment: Sendable {
    var now: @Sendable () -> Date
    var sleep: @Sendable (Duration) async throws -> Void
    /// Returns a duration in `0 ... cap`.
    var jitter: @Sendable (Duration) -> Duration

    static let live = ServiceEnvironment(
        now: { Date() },
        sleep: { try await Task.sleep(for: $0) },
        jitter: { cap in
            let nanos = cap.components.seconds * 1_000_000_000 + cap.components.attoseconds / 1_000_000_000
            guard nanos > 0 else { return .zero }
            return .nanoseconds(Int64.random(in: 0...nanos))
        })
}
