import CofferStorage

/// `coffer fsck`: walks every record, blob and package of a store, its KMS keys and its audit
/// trail, and reports what is wrong (docs/fsck.md). It reads only: nothing is repaired,
/// collected or rewritten, and nothing is decrypted but what proves a package or a key intact
/// (into buffers zeroed when released, never printed).
public enum Fsck {
    /// Checks `sources` and reports. Never throws: whatever cannot be read or decoded is a
    /// finding of the report. `dataDirectory` and `mode` are only recorded in the report.
    ///
    /// A running server passes a snapshot of its own store (``FsckSources/levelDB(snapshot:rootKeys:audit:)``)
    /// and keeps serving meanwhile; offline, ``run(dataDirectory:operatorRootKey:options:)``
    /// opens a data directory and calls this.
    public static func run(_ sources: FsckSources, options: FsckOptions = .init(), dataDirectory: String? = nil,
                           mode: FsckReport.Mode = .online) async -> FsckReport {
        var report = FsckReport(dataDirectory: dataDirectory, mode: mode, maxListedPerKind: options.maxListedPerKind)
        let keyring = FsckKeyStore.check(sources.rootKeys, into: &report)
        switch sources.store {
        case .readers(let metadata, let blobs):
            let walk = FsckWalk(metadata: metadata, blobs: blobs, keyring: keyring, options: options, report: report)
            await walk.run()
            report = walk.report
        case .unavailable(let reason):
            report.add(.storeUnreadable, .init(), "the database could not be opened: \(reason)")
        }
        if let audit = sources.audit { FsckAuditCheck.check(audit, into: &report) }
        return report
    }
}
