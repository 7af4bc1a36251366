import ArgumentParser
import CofferAudit
import CofferCrypto
import CofferMaintenance
import CofferS3
import CofferServer
import CofferStorage
import Foundation
import Logging

/// `coffer migrate`: moves a stopped server's LevelDB store into a Ceph RADOS pool for
/// `--storage rados` (docs/scale-out.md "Moving a LevelDB store into RADOS").
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a stopped server's store (records, objects, KMS keys, audit trail) into a RADOS pool, checked by fsck on both sides.",
        discussion: """
            The data dir keeps what stays with the node (credentials, TLS, the audit signing key, the \
            SSE-S3 root key file) and its LevelDB store, untouched, as a fallback. Then serve from the \
            cluster with the same data dir and node name: coffer serve --data-dir DIR --storage rados \
            --rados-conf CONF --node-name NODE. The pool must exist and hold no Coffer store. Exit status 0 \
            when both checks are clean and agree, 1 otherwise.
            """)

    @Option(help: "The data dir whose store to copy (its server stopped).")
    var from: String
    @Option(help: "rados://POOL: the pool to copy into (it must exist and be empty of Coffer data).")
    var to: String
    @Option(help: "The cluster's ceph.conf (env COFFER_RADOS_CONF).")
    var radosConf: String?
    @Option(help: "The cephx user, without 'client.' (default admin; env COFFER_RADOS_USER).")
    var radosUser: String?
    @Option(help: "The node that will serve this data dir: its audit trail and notes go under this name (default: the host name; env COFFER_NODE_NAME).")
    var nodeName: String?

    func run() async throws {
        guard let url = URLComponents(string: to), url.scheme == "rados", let pool = url.host, !pool.isEmpty, url.path.isEmpty || url.path == "/" else {
            throw ValidationError("--to must be rados://POOL, not \(to)")
        }
        // The cluster settings as `coffer serve` reads them (flags, COFFER_* environment), with
        // the pool of --to.
        var arguments = ["--data-dir", from, "--storage", "rados", "--rados-pool", pool]
        for (flag, value) in [("--rados-conf", radosConf), ("--rados-user", radosUser), ("--node-name", nodeName)] {
            if let value { arguments += [flag, value] }
        }
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration(reading: try await Serve.parse(arguments).configurationReader())
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        guard case .rados(let settings) = configuration.storage else { throw ValidationError("--to names no RADOS pool") }
        let operatorKey = configuration.sseS3RootKey
        let directory = DataDirectory(path: from)

        // 1. The source, checked as `coffer fsck` checks it (which also refuses a served one).
        Self.say("checking \(from) (coffer fsck)")
        let sourceReport: FsckReport
        do { sourceReport = try await Fsck.run(dataDirectory: from, operatorRootKey: operatorKey) } catch {
            throw Self.fail("coffer migrate: \(error.message)")
        }
        guard sourceReport.isClean else {
            Self.say(sourceReport.summary)
            throw Self.fail("coffer migrate: \(from) has findings; repair or restore it first (docs/recovery.md)")
        }
        let keyring = try RootKeyStore.load(dataDir: from, operatorKey: operatorKey)
        let (root, _) = try RootCredentials.loadOrCreate(dataDir: from, accessKeyId: nil, secretAccessKey: nil)

        // 2. The destination: empty, with this store's account and root key.
        let shared = try await Serve.openSharedStore(settings, logger: Logger(label: "coffer.migrate"))
        guard try await shared.metadata.scan(ScanRequest(prefix: [], limit: 1)).entries.isEmpty else {
            throw Self.fail("coffer migrate: pool \(pool) already holds a Coffer store; migrate into an empty pool")
        }
        guard try await shared.adoptAccountId(root.accountId) == root.accountId else {
            throw Self.fail("coffer migrate: pool \(pool) is recorded for another account id than \(from)'s")
        }
        try await shared.adoptRootKeyCheck(keyring.keyCheckValue)

        // 3. The copy: records and packages, then the audit trail and its public key.
        Self.say("copying the store into \(shared.description)")
        // Through a view of hard links: opening LevelDB rewrites its log and MANIFEST, and the
        // data dir's store stays exactly as it was, a fallback.
        let counts = try await ReadOnlyDatabase.with(dataDirectory: from) { database in
            try await LevelDB.migrateStore(from: database.snapshot(), into: shared.metadata, blobs: shared.blobs, node: settings.node)
        }
        Self.say("  \(counts.records.values.reduce(0, +)) records, \(counts.blobs) blobs, \(counts.chunks) packages, \(counts.bytes) bytes; \(counts.blobsLeftOut) unreferenced blobs left out")
        let publicKey = try AuditSigningKey.loadPublicKey(keyDirectory: directory.keys)
        let audit = try AuditTrailCopy.copy(from: FileAuditSink(directory: directory.audit), into: try shared.auditSink())
        try await shared.publishAuditPublicKey(publicKey)
        Self.say("  audit trail of node \(settings.node): \(audit.logFiles) log files, \(audit.digestFiles) digests, \(audit.bytes) bytes")

        // 4. The destination, checked the same way, and compared.
        Self.say("checking the copy (coffer fsck --storage rados)")
        let copyReport = await Self.fsck(shared, keyring: keyring, options: FsckOptions())
        Self.say(copyReport.summary)
        let auditReport = AuditVerifier.verify(sink: try shared.auditSink(), publicKey: publicKey)
        Self.say("audit trail of node \(settings.node): " + auditReport.summary)
        let (a, b) = (sourceReport.counts, copyReport.counts)
        let same = a.buckets == b.buckets && a.objects == b.objects && a.noncurrentVersions == b.noncurrentVersions && a.deleteMarkers == b.deleteMarkers
            && a.uploads == b.uploads && a.parts == b.parts && a.blobs == b.blobs && a.packages == b.packages && a.kmsKeys == b.kmsKeys
            && a.kmsAliases == b.kmsAliases
        guard copyReport.isClean, auditReport.isValid, same else {
            throw Self.fail("coffer migrate: the copy does not check out as the source did (see above); the source is unchanged")
        }
        Self.say("""
            migrated: \(b.buckets) buckets, \(b.objects) objects, \(b.noncurrentVersions) noncurrent versions, \(b.kmsKeys) KMS keys. \
            Serve it with: coffer serve --data-dir \(from) --storage rados --rados-conf \(settings.conf) --rados-pool \(pool) --node-name \(settings.node)
            """)
    }

    /// `coffer fsck` of a shared store: its metadata snapshot and its blobs' inventory
    /// (read-only; run it while no node writes, or a busy store's snapshot expires).
    static func fsck(_ shared: any SharedStore, keyring: RootKeyring, options: FsckOptions) async -> FsckReport {
        let store: FsckSources.Store
        do {
            let metadata = try await shared.metadata.snapshot()
            guard let blobs = try await shared.blobs.readView() as? any BlobInventory else {
                return await Fsck.run(FsckSources(store: .unavailable("the blob store cannot list its blobs"), rootKeys: .loaded(keyring), audit: nil))
            }
            store = .readers(metadata: metadata, blobs: blobs)
        } catch {
            store = .unavailable(error.description)
        }
        return await Fsck.run(FsckSources(store: store, rootKeys: .loaded(keyring), audit: nil), options: options, mode: .offline)
    }

    static func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode.failure
    }
}
