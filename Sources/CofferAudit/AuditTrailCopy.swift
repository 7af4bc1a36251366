import CofferStorage

/// Copies a trail from one sink into another (`coffer migrate` moves a data dir's trail into
/// the cluster): log files as segments, created, appended whole and sealed (the newest one
/// too: the trail that opens the destination starts a new file after it, as after a stop);
/// digest files as objects. Bytes are copied as they are, so every hash, chain link and
/// signature verifies in the destination with the same public key.
public enum AuditTrailCopy {
    /// What was copied.
    public struct Counts: Sendable, Hashable {
        public var logFiles = 0
        public var digestFiles = 0
        public var bytes = 0
    }

    /// Copies every item of `source` into `destination`, which must hold none of them (a
    /// segment is never created twice: `.alreadyExists`).
    public static func copy(from source: any AuditSinkReader, into destination: any AuditSink) throws(StorageError) -> Counts {
        let writer = try destination.openWriter()
        var counts = Counts()
        for name in try source.list() {
            let bytes = try source.read(name)
            counts.bytes += bytes.count
            if name.hasSuffix(AuditLayout.logSuffix) {
                try writer.createSegment(name, durability: .synced)
                if !bytes.isEmpty { try writer.append(bytes, to: name, durability: .synced) }
                try writer.seal(name)
                counts.logFiles += 1
            } else {
                try writer.writeObject(name, bytes)
                counts.digestFiles += 1
            }
        }
        return counts
    }
}
