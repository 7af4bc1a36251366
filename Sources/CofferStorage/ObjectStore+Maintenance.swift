extension ObjectStore {
    /// Rewrites the `encryption` of every object and multipart-upload record for which
    /// `transform` returns a new one (e.g. re-sealing data keys under a new root key).
    ///
    /// Offline maintenance: meant for a store no server is writing to (LevelDB's lock already
    /// keeps a second process out). Records are rewritten in synced batches of at most 256;
    /// an interruption leaves every record either old or new, never half-written, so the
    /// command can simply be run again.
    /// - Returns: how many object and upload records were rewritten.
    @discardableResult
    public func rewriteEncryption(
        _ transform: (_ bucket: String, _ key: String, _ encryption: ObjectEncryption?) throws -> ObjectEncryption?
    ) throws -> (objects: Int, uploads: Int) {
        let objects = try rewrite(ObjectRecord.self, prefix: [KeyLayout.objectPrefix]) { record in
            guard let new = try transform(record.bucket, record.key, record.encryption) else { return nil }
            var updated = record
            updated.encryption = new
            return updated
        }
        let uploads = try rewrite(UploadRecord.self, prefix: [KeyLayout.uploadPrefix]) { record in
            guard let new = try transform(record.bucket, record.key, record.encryption) else { return nil }
            var updated = record
            updated.encryption = new
            return updated
        }
        return (objects, uploads)
    }

    private func rewrite<R: StoredRecord>(_ type: R.Type, prefix: [UInt8], _ change: (R) throws -> R?) throws -> Int {
        let iterator = db.makeIterator(snapshot: db.snapshot(), fillCache: false)
        iterator.seek(prefix)
        let batch = WriteBatch()
        var rewritten = 0
        while iterator.isValid(withPrefix: prefix) {
            let key = iterator.key
            let record = try R(encoded: iterator.value)
            if let updated = try change(record) {
                batch.put(key, try updated.encoded())
                rewritten += 1
                if batch.count >= 256 {
                    try db.write(batch, sync: true)
                    batch.clear()
                }
            }
            iterator.next()
        }
        try iterator.checkError()
        if batch.count > 0 { try db.write(batch, sync: true) }
        return rewritten
    }
}
