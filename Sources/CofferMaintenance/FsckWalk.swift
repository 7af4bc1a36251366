import CofferCrypto
import CofferKMS
import CofferS3
import CofferStorage

/// One walk over a store's read views: the state `coffer fsck` carries from one prefix to the
/// next (what exists, what references what) and the report it fills.
///
/// The prefixes are walked in the order their checks need: the store format, buckets, KMS
/// keys and aliases, upload index entries, uploads, objects, delete markers, noncurrent
/// versions and the null-version index, parts (each blob checked package by package as its
/// record is met), blob markers, audit notes, keys under unknown prefixes,
/// and last the blob inventory (orphans). Memory holds names, ids and counts, never a package
/// beyond the one being checked.
final class FsckWalk {
    let metadata: any MetadataReader
    let blobs: any BlobInventory
    let keyring: RootKeyring?
    let options: FsckOptions
    var report: FsckReport

    /// Bucket names with a record.
    var buckets: Set<String> = []
    /// KMS keys by key id.
    var kmsKeys: [String: StoredKMSKey] = [:]
    /// `U` entries by upload id, and whether an upload record matched each.
    var uploadIndex: [String: (entry: UploadIndexEntry, matched: Bool)] = [:]
    /// Upload records by id: what their parts need.
    var uploads: [String: FsckUpload] = [:]
    /// Every blob a record references: its chunk count and who references it.
    var referenced: [BlobID: (chunkCount: Int, owner: String)] = [:]
    /// The null versions met under `v` (bucket, key, stamp) whose `n` entry was not yet seen.
    var nullVersionsUnindexed: Set<NullVersionPlace> = []
    /// Every blob with a `g` marker.
    var marked: [BlobID: BlobMarkerState] = [:]
    /// Opens data keys; nil without root keys. Made at its first use, after the KMS keys were
    /// read (``checkKMSKeys()`` runs before any record that needs a data key).
    private(set) lazy var objectKeys: StoredObjectKeys? = keyring.map { keyring in
        StoredObjectKeys(keyring: keyring, keyService: FsckKeyService(keys: kmsKeys, keyring: keyring),
                         caller: KMSCaller(principalArn: "", accountId: "", requestID: "coffer-fsck"))
    }

    init(metadata: any MetadataReader, blobs: any BlobInventory, keyring: RootKeyring?, options: FsckOptions, report: FsckReport) {
        self.metadata = metadata
        self.blobs = blobs
        self.keyring = keyring
        self.options = options
        self.report = report
    }

    func run() async {
        await checkFormat()
        await checkBuckets()
        await checkKMSKeys()
        await checkAliases()
        await readUploadIndex()
        await checkUploads()
        await checkObjects()
        await checkCurrentMarkers()
        await checkNoncurrentVersions()
        await checkNullVersionIndex()
        await checkParts()
        await checkMarkers()
        await countNotes()
        await checkUnknownPrefixes()
        await checkInventory()
        noteNotOpened()
    }

    // MARK: Scanning

    /// Calls `body` with every entry under the prefix of `kind`, page by page, the key parsed.
    /// A key that does not parse is a `malformedKey` finding; a read error a `storeUnreadable`
    /// one, after which the walk resumes past the damage where it can (``resumePoint(_:after:)``).
    func scan(_ kind: StoreKey.Kind, _ body: (StoreKey, MetadataEntry) async -> Void) async {
        await scan(prefix: [kind.prefix]) { entry in
            do throws(StorageError) {
                await body(try StoreKey(parsing: entry.key), entry)
            } catch {
                report.add(.malformedKey, .init(storeKey: StorageError.printable(entry.key)), error.message)
            }
        }
    }

    /// Calls `body` with every entry under `prefix`, surviving read errors: each is a
    /// `storeUnreadable` finding, unless `reportingErrors` is false. Returns the first error.
    @discardableResult
    func scan(prefix: [UInt8], reportingErrors: Bool = true, _ body: (MetadataEntry) async -> Void) async -> StorageError? {
        var start = ScanRequest.Start.first
        var last: [UInt8]?
        var firstError: StorageError?
        while true {
            let page: ScanPage
            do {
                page = try await metadata.scan(ScanRequest(prefix: prefix, start: start, limit: options.pageSize))
            } catch {
                firstError = firstError ?? error
                if reportingErrors {
                    let after = last.map { " after \(StorageError.printable($0))" } ?? ""
                    report.add(.storeUnreadable, .init(storeKey: StorageError.printable(last ?? prefix)),
                               "keys under \(StoreKey.describe(prefix: prefix[0]))\(after) could not be read: \(error.message)")
                }
                guard let from = last, let resume = await resumePoint(prefix, after: from) else { return firstError }
                start = .at(resume)
                last = resume
                continue
            }
            for entry in page.entries { await body(entry) }
            last = page.entries.last?.key ?? last
            guard let next = page.continuation(of: ScanRequest(prefix: prefix, limit: options.pageSize)) else { return firstError }
            start = next.start
        }
    }

    /// A key after the damage that stopped a scan at `last`, from which the scan reads again:
    /// past every key sharing `last`'s first n bytes, for n from its length down to just past
    /// the prefix, the first such point that reads. Nil when none does or nothing follows.
    private func resumePoint(_ prefix: [UInt8], after last: [UInt8]) async -> [UInt8]? {
        for length in stride(from: last.count, to: prefix.count, by: -1) {
            guard let candidate = KMSKeyLayout.successor(ofPrefix: Array(last.prefix(length))),
                  candidate.starts(with: prefix) else { continue }
            guard let page = try? await metadata.scan(ScanRequest(prefix: prefix, start: .at(candidate), limit: 1)) else { continue }
            return page.entries.first?.key
        }
        return nil
    }

    /// The value under `key`, or nil; a read error is a `storeUnreadable` finding (and nil).
    func get(_ key: StoreKey, for subject: FsckFinding.Subject) async -> [UInt8]? {
        do {
            return try await metadata.get(key.bytes)
        } catch {
            report.add(.storeUnreadable, subject, "key \(StorageError.printable(key.bytes)) could not be read: \(error.message)")
            return nil
        }
    }

    // MARK: Format, notes, unknown keys

    private func checkFormat() async {
        let subject = FsckFinding.Subject(storeKey: StorageError.printable(StoreKey.meta(StoreKey.formatName).bytes))
        if let value = await get(.meta(StoreKey.formatName), for: subject) {
            if StoreKey.storeFormat(in: value) != StoreKey.storeFormat {
                report.add(.storeFormat, subject, "the store format is not \(StoreKey.storeFormat), the only one this build reads")
            }
        } else if report.count(.storeUnreadable) == 0 {
            report.add(.storeFormat, subject, "the store has no format key: it was not written by Coffer, or lost it")
        }
        await scan(.meta) { key, _ in
            guard key != .meta(StoreKey.formatName) else { return }
            report.add(.unknownKey, .init(storeKey: StorageError.printable(key.bytes)), "a meta key this build does not know")
        }
    }

    private func countNotes() async {
        await scan(.note) { _, _ in report.counts.auditNotes += 1 }
        guard report.counts.auditNotes > 0 else { return }
        report.notices.append(FsckNotice(.auditNotes, report.mode == .offline ? """
            \(report.counts.auditNotes) audit note(s) of writes committed before the last stop: the server hands them to \
            the audit trail at its next start (a record the trail already holds is not appended twice)
            """ : "\(report.counts.auditNotes) audit note(s) of recent writes, removed by later commits once their records are in the trail"))
    }

    /// Keys under every prefix byte no record uses. Read errors are one finding for all of
    /// them (a table that cannot be read fails every prefix its key range covers).
    private func checkUnknownPrefixes() async {
        var unreadable: (count: Int, first: StorageError)?
        for byte in UInt8.min...UInt8.max where StoreKey.Kind(prefix: byte) == nil {
            let error = await scan(prefix: [byte], reportingErrors: false) { entry in
                report.add(.unknownKey, .init(storeKey: StorageError.printable(entry.key)),
                           "a key under \(StoreKey.describe(prefix: byte)), a prefix no record uses")
            }
            if let error { unreadable = ((unreadable?.count ?? 0) + 1, unreadable?.first ?? error) }
        }
        if let unreadable {
            report.add(.storeUnreadable, .init(), "keys under \(unreadable.count) prefixes no record uses could not be read: \(unreadable.first.message)")
        }
    }

    private func noteNotOpened() {
        let counts = report.notOpened
        var parts: [String] = []
        if counts.sseC > 0 { parts.append("\(counts.sseC) SSE-C (the customer's key is never stored)") }
        if counts.remoteKMS > 0 { parts.append("\(counts.remoteKMS) SSE-KMS through a remote key service") }
        if counts.noRootKeys > 0 { parts.append("\(counts.noRootKeys) without the root keys") }
        guard !parts.isEmpty else { return }
        report.notices.append(FsckNotice(.notOpened, """
            objects and uploads checked without opening their packages (count and lengths only): \(parts.joined(separator: ", "))
            """))
    }
}

/// An upload record as its parts need it.
struct FsckUpload {
    var bucket: String
    var key: String
    var encryption: ObjectEncryption?
    var versionNonce: VersionNonce?
}
