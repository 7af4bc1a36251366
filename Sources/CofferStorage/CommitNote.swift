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
    /// The key of note `id`: `r` and the id, after ``Options/node`` and `/` when the
    /// store is shared.
    func noteKey(_ id: String) -> [UInt8] {
        KeyLayout.note(options.node.isEmpty ? id : options.node + "/" + id)
    }

    /// Every note left in the store (those whose owner did not remove them: a crash came
    /// between the commit and the removal), in id order.
    public func notes() async throws(StorageError) -> [CommitNote] {
        try await withSnapshot { snapshot throws(StorageError) -> [CommitNote] in
            let prefix = noteKey("")
            var cursor = ScanCursor(reader: snapshot, prefix: prefix, pageSize: 256)
            var notes: [CommitNote] = []
            while let entry = try await cursor.next() {
                notes.append(CommitNote(id: String(decoding: entry.key.dropFirst(prefix.count), as: UTF8.self), bytes: entry.value))
            }
            return notes
        }
    }

    /// Removes a note once its owner has put its content where it belongs. The deletion rides
    /// on the next commit that carries a note (no write of its own), or is written once
    /// ``noteRemovalBatch`` removals wait. A removal a crash loses hands the note over again at
    /// the next start, so its owner must recognise content it already has.
    public func removeNote(id: String) async throws(StorageError) {
        let due = noteRemovals.withLock { waiting -> [String]? in
            waiting.append(id)
            guard waiting.count >= Self.noteRemovalBatch else { return nil }
            defer { waiting.removeAll() }
            return waiting
        }
        guard let due else { return }
        var batch = MetadataBatch()
        for id in due { batch.delete(noteKey(id)) }
        try await metadata.commit(batch, durability: .buffered)
    }

    /// Writes every waiting removal now (at start-up after the hand-over, and at shutdown).
    public func flushNoteRemovals() async throws(StorageError) {
        let due = noteRemovals.withLock { waiting in
            defer { waiting.removeAll() }
            return waiting
        }
        guard !due.isEmpty else { return }
        var batch = MetadataBatch()
        for id in due { batch.delete(noteKey(id)) }
        try await metadata.commit(batch, durability: .buffered)
    }

    /// Removals written together when no commit with a note took them along before.
    static let noteRemovalBatch = 64

    /// Adds `note` to `batch` (the commit it must be durable with), with the removals of the
    /// notes already handed over. Each removal rides on one commit only (concurrent commits
    /// never claim the same note key, so they still share a log sync); the caller hands the
    /// returned removals back with ``requeue(_:)`` if its commit fails.
    func attach(_ note: CommitNote?, to batch: inout MetadataBatch) throws(StorageError) -> [String] {
        guard let note else { return [] }
        guard !note.id.isEmpty, note.id.utf8.count <= 255 else { throw StorageError(.invalidArgument, "a note id must have 1 to 255 bytes") }
        batch.put(noteKey(note.id), note.bytes)
        let removals = noteRemovals.withLock { waiting in
            defer { waiting.removeAll() }
            return waiting
        }
        for id in removals { batch.delete(noteKey(id)) }
        return removals
    }

    /// Commits a batch built with ``attach(_:to:)``; a failed commit puts its removals back.
    func commit(_ batch: MetadataBatch, carrying removals: [String], fulfilling announcements: [CommitAnnouncement] = []) async throws(StorageError) {
        do {
            try await metadata.commit(batch, durability: .synced, fulfilling: announcements)
        } catch {
            if !removals.isEmpty { noteRemovals.withLock { $0.append(contentsOf: removals) } }
            throw error
        }
    }
}
