@testable import CofferRados
import Foundation
import Synchronization
import Testing

/// Watch and notify between two connections (two nodes).
@Suite(
    "Watch and notify against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct WatchTests {
    @Test func aNotificationReachesEveryWatcherWithItsPayload() async throws {
        let object = "test-watch-\(UUID().uuidString)"
        let a = try await Live.io(), b = try await Live.io()
        defer { Task { try? await a.remove(object) } }
        let received = Mutex<[[UInt8]]>([])
        let watch = try a.watch(object) { payload in received.withLock { $0.append(payload) } }
        // notify waits for every watcher's acknowledgement, sent after the handler returned.
        try await b.notify(object, payload: Array("key-state-changed".utf8))
        #expect(received.withLock { $0 } == [Array("key-state-changed".utf8)])
        // The notifier's own watch hears it too.
        let own = Mutex(0)
        let second = try b.watch(object) { _ in own.withLock { $0 += 1 } }
        try await b.notify(object, payload: [1])
        #expect(received.withLock { $0.count } == 2 && own.withLock { $0 } == 1)
        // After cancel, nothing more arrives.
        watch.cancel()
        second.cancel()
        try await b.notify(object, payload: [2])
        #expect(received.withLock { $0.count } == 2 && own.withLock { $0 } == 1)
    }
}
