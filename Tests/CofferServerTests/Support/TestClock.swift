import Foundation
import Synchronization

/// The clock the in-process tests inject into every part of the server that reads the time
/// (`CofferServer.assemble(clock:)`), and that the signing client signs with. It stands still
/// until a test moves it: tests never sleep, and never read the wall clock.
final class TestClock: Sendable {
    /// 2026-03-02T10:00:00Z: an arbitrary, fixed start.
    static let start = Date(timeIntervalSince1970: 1_772_445_600)

    private let current: Mutex<Date>

    init(_ start: Date = TestClock.start) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The closure handed to the server.
    var read: @Sendable () -> Date { { [self] in now } }
}
