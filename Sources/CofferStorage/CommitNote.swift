/// Bytes that must be durable exactly when a write is: stored in the write's own commit batch
/// (key `r id`), so that after any crash they exist if and only if the write committed. The
/// S3 layer puts a write's audit record in one, moves it to the audit trail once the commit
/// returns, and then removes the note; a note found at start-up is a record the trail never got.
public struct CommitNote: Sendable, Equatable {
    /// A unique id (an audit event id), at most 255 bytes.
    public let id: String
    /// The note's content, opaque to the store.
    public let bytes: [UInt8]

    public init(id: String, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
    }
}

extension ObjectStore {
    /// Every note left in the store (those whose owner did not remove them: a crash came
    /// between the commit and the removal), in id order.
    public func notes() async throws(StorageError) -> [CommitNote] {
        var cursor = ScanCursor(reader: try await metadata.snapshot(), prefix: KeyLayout.allNotes, pageSize: 256)
        var notes: [CommitNote] = []
        while let entry = try await cursor.next() {
            notes.append(CommitNote(id: String(decoding: entry.key.dropFirst(), as: UTF8.self), bytes: entry.value))
        }
        return notes
    }

    /// Removes a note once its owner has put its content where it belongs. Buffered: a note
    /// whose removal a crash loses is handed over again at the next start, so its owner must
    /// recognise content it already has.
    public func removeNote(id: String) async throws(StorageError) {
        var batch = MetadataBatch()
        batch.delete(KeyLayout.note(id))
        try await metadata.commit(batch, durability: .buffered)
    }

    /// Adds `note` to `batch` (the commit it must be durable with).
    static func attach(_ note: CommitNote?, to batch: inout MetadataBatch) throws(StorageError) {
        guard let note else { return }
        guard !note.id.isEmpty, note.id.utf8.count <= 255 else { throw StorageError(.invalidArgument, "a note id must have 1 to 255 bytes") }
        batch.put(KeyLayout.note(note.id), note.bytes)
    }
}
