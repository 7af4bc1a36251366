import CofferAudit
import CofferStorage
import Foundation
import Testing

@testable import CofferServer

/// The start-up half of "every committed write has its record": a note left in the store (a
/// stop between a commit and its append) is appended to the trail once, then removed.
@Suite struct NotedRecordsTests {
    @Test func aLeftNoteIsAppendedOnceAndRemoved() async throws {
        let harness = try await Harness()
        defer { harness.close() }
        let parts = harness.parts
        let s3Events = { () throws -> [AuditEvent] in try harness.auditEvents().filter { $0.eventSource == "s3.amazonaws.com" } }
        // A committed delete whose record never reached the trail: only its note exists.
        let context = AuditContext(time: Date(timeIntervalSince1970: 1_800_000_000), region: "us-east-1", identity: .anonymous,
                                   requestID: "REQ1", recipientAccountId: harness.accountId)
        let event = AuditEvent.s3DataEvent("DeleteObject", context: context, bucket: "b", key: "gone")
        let note = CommitNote(id: event.eventID, bytes: event.json.serialized())
        try await parts.store.createBucket(BucketRecord(name: "noted", owner: "root", region: "us-east-1", createdAt: Date()))
        _ = try await parts.store.deleteObject(bucket: "noted", key: "absent")  // nothing to delete: no commit, no note
        #expect(try await parts.store.notes().isEmpty)
        try await Self.leaveNote(note, in: parts.store)
        #expect(try s3Events().isEmpty)

        try await CofferServer.appendNotedRecords(store: parts.store, audit: parts.audit, logger: .init(label: "test"))
        #expect(try s3Events().map(\.eventID) == [event.eventID])
        #expect(try s3Events().first?.eventName == "DeleteObject")
        #expect(try await parts.store.notes().isEmpty)

        // A note whose record is already in the trail (the stop came after the append, before
        // the note's removal) is removed without a second record.
        try await Self.leaveNote(note, in: parts.store)
        try await CofferServer.appendNotedRecords(store: parts.store, audit: parts.audit, logger: .init(label: "test"))
        #expect(try s3Events().map(\.eventID) == [event.eventID])
        #expect(try await parts.store.notes().isEmpty)
    }

    /// Commits an object write that carries `note` (the way a PUT does), then deletes the object
    /// without a note: only the note stays behind.
    static func leaveNote(_ note: CommitNote, in store: ObjectStore) async throws {
        let writer = try await store.makeBlobWriter()
        try await writer.writeChunk([1, 2, 3])
        let blob = try await writer.finish(logicalSize: 3)
        let record = ObjectRecord(bucket: "noted", key: "k", size: 3, etag: "e", lastModified: Date(), owner: "root", segments: [blob])
        try await store.commitObject(record, note: note)
        try await store.deleteObject(bucket: "noted", key: "k")
    }
}
