import CofferStorage
import Foundation

/// Follows several trails as one: the trails of the nodes that share a store, each hash-chained
/// on its own (docs/scale-out.md "The audit trail across nodes"). Each ``poll()`` returns the
/// records every trail gained since the previous poll, merged in event-time order (ties: by
/// node name, then by the node's own order), each with the node that wrote it.
///
/// Within one poll the order is exact; a record that reaches a slower node's trail after a
/// poll has returned later records of other nodes comes in the next poll, as with `tail -f` of
/// several files.
public struct MergedAuditFollower: Sendable {
    /// One record and the node whose trail holds it.
    public struct Entry: Sendable, Hashable {
        public var node: String
        public var record: AuditRecord
    }

    private var followers: [(node: String, follower: AuditFollower)]

    /// Followers of `sinks`, by node name.
    public init(sinks: [String: any AuditSinkReader]) {
        followers = sinks.keys.sorted().compactMap { node in sinks[node].map { (node, AuditFollower(sink: $0)) } }
    }

    /// The node names, sorted.
    public var nodes: [String] { followers.map(\.node) }

    /// The records appended to any trail since the last poll, merged by event time.
    public mutating func poll() throws -> [Entry] {
        var entries: [Entry] = []
        for index in followers.indices {
            let node = followers[index].node
            entries += try followers[index].follower.poll().map { Entry(node: node, record: $0) }
        }
        // A stable sort: equal times keep node order, and a node's own order within it.
        return entries.enumerated().sorted { a, b in
            if a.element.record.event.eventTime != b.element.record.event.eventTime {
                return a.element.record.event.eventTime < b.element.record.event.eventTime
            }
            return a.offset < b.offset
        }.map(\.element)
    }
}
