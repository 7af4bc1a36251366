import CofferStorage
import Testing

/// Notes travel with their commit: present after the commit, absent when it failed.
@Suite struct CommitNoteTests {
    @Test(arguments: Backend.allCases) func aNoteExistsExactlyWhenItsCommitDid(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let first = try await writeBlob(store, chunks(1, of: 1))
            try await store.commitObject(objectRecord(key: "k", segments: [first]), note: CommitNote(id: "event-1", bytes: [1, 2, 3]))
            #expect(try await store.notes() == [CommitNote(id: "event-1", bytes: [1, 2, 3])])
            // A commit refused by its precondition leaves no note.
            let second = try await writeBlob(store, chunks(1, of: 2))
            await #expect(throws: StorageError.self) {
                try await store.commitObject(objectRecord(key: "k", segments: [second]), precondition: .absent,
                                             note: CommitNote(id: "event-2", bytes: [4]))
            }
            try await store.discard([second.id])
            // A delete carries its note too; a removed note is gone.
            try await store.deleteObject(bucket: "bucket", key: "k", note: CommitNote(id: "event-3", bytes: [5]))
            #expect(try await store.notes().map(\.id) == ["event-1", "event-3"])
            // Removals ride on the next commit with a note, or are flushed.
            try await store.removeNote(id: "event-1")
            #expect(try await store.notes().map(\.id) == ["event-1", "event-3"])
            try await putObject(store, key: "other", chunks: chunks(1, of: 4))
            #expect(try await store.notes().map(\.id) == ["event-1", "event-3"])  // no note: no ride
            let fourth = try await writeBlob(store, chunks(1, of: 5))
            try await store.commitObject(objectRecord(key: "k4", segments: [fourth]), note: CommitNote(id: "event-4", bytes: [6]))
            #expect(try await store.notes().map(\.id) == ["event-3", "event-4"])
            try await store.removeNote(id: "event-3")
            try await store.removeNote(id: "event-4")
            try await store.flushNoteRemovals()
            #expect(try await store.notes().isEmpty)
            // A note needs an id.
            let third = try await writeBlob(store, chunks(1, of: 3))
            await #expect(throws: StorageError.self) {
                try await store.commitObject(objectRecord(key: "k2", segments: [third]), note: CommitNote(id: "", bytes: []))
            }
        }
    }
}
