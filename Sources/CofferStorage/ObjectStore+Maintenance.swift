extension ObjectStore {
    /// Rewrites the `encryption` of every object version (current or noncurrent; delete
    /// markers have no data key and are not shown to `transform`) and multipart-upload record
    /// for which `transform` returns a new one (e.g. re-sealing data keys under a new root key).
    ///
    /// Offline maintenance, meant for a store no server is writing to. Records are read from
    /// one snapshot and rewritten in synced commits of at most 256, each conditional on its
    /// records being unchanged (a batch that meets a concurrent change is read again and
    /// transformed again). An interruption leaves every record either old or new, never
    /// half-written, so the command can simply be run again.
    /// - Returns: how many object (version) and upload records were rewritten.
    @discardableResult
    public func rewriteEncryption(
        _ transform: (_ bucket: String, _ key: String, _ encryption: ObjectEncryption?) throws -> ObjectEncryption?
    ) async throws -> (objects: Int, uploads: Int) {
        let snapshot = try await metadata.snapshot()
        var objects = 0
        for prefix in [KeyLayout.objectPrefix, KeyLayout.versionPrefix] {
            objects += try await rewrite(ObjectRecord.self, prefix: [prefix], from: snapshot) { record in
                guard !record.isDeleteMarker, let new = try transform(record.bucket, record.key, record.encryption) else { return nil }
                var updated = record
                updated.encryption = new
                return updated
            }
        }
        let uploads = try await rewrite(UploadRecord.self, prefix: [KeyLayout.uploadPrefix], from: snapshot) { record in
            guard let new = try transform(record.bucket, record.key, record.encryption) else { return nil }
            var updated = record
            updated.encryption = new
            return updated
        }
        return (objects, uploads)
    }

    private func rewrite<R: StoredRecord>(
        _ type: R.Type, prefix: [UInt8], from snapshot: any MetadataReader, _ change: (R) throws -> R?
    ) async throws -> Int {
        var cursor = ScanCursor(reader: snapshot, prefix: prefix, pageSize: 256)
        var entries: [MetadataEntry] = []
        var rewritten = 0
        while let entry = try await cursor.next() {
            entries.append(entry)
            if entries.count == 256 {
                rewritten += try await rewrite(R.self, entries, change)
                entries = []
            }
        }
        if !entries.isEmpty { rewritten += try await rewrite(R.self, entries, change) }
        return rewritten
    }

    /// Rewrites `entries` in one commit; after a conflict, reads them again (records deleted
    /// meanwhile are skipped).
    private func rewrite<R: StoredRecord>(_ type: R.Type, _ entries: [MetadataEntry], _ change: (R) throws -> R?) async throws -> Int {
        var entries = entries
        var failures = 0
        while true {
            var batch = MetadataBatch()
            var count = 0
            for entry in entries {
                guard let updated = try change(try R(encoded: entry.value)) else { continue }
                batch.require(.equals(entry.key, entry.value))
                batch.put(entry.key, try updated.encoded())
                count += 1
            }
            guard count > 0 else { return 0 }
            if try await commitUnlessConflict(batch, lastAttempt: failures + 1 >= options.commitAttempts) { return count }
            failures += 1
            let values = try await metadata.get(keys: entries.map(\.key))
            entries = zip(entries, values).compactMap { entry, value in value.map { MetadataEntry(key: entry.key, value: $0) } }
        }
    }

    /// Commits `batch` synced; false if a condition failed, unless this is the last attempt.
    private func commitUnlessConflict(_ batch: MetadataBatch, lastAttempt: Bool) async throws(StorageError) -> Bool {
        do {
            try await metadata.commit(batch, durability: .synced)
            return true
        } catch {
            if error.code == .conditionFailed && !lastAttempt { return false }
            throw error
        }
    }
}
