import ArgumentParser
import CofferCrypto
import CofferMaintenance
import CofferS3
import CofferServer
import Foundation
import Logging

/// `coffer fsck`: checks a stopped server's data directory, or with `--online` asks the running
/// server to check a snapshot of its own (docs/fsck.md). Exit status 0: clean; 1: findings;
/// 2: could not check (no data directory, a server holds it, no server answers).
struct FsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check every record, blob, package, key and audit file of a data directory (read-only); --online for a running server.",
        discussion: """
            Exit status 0 when clean, 1 on any finding, 2 when the check could not run. The SSE-S3 root \
            key and the key service are read as `coffer serve` reads them: a server run with \
            COFFER_SSE_S3_ROOT_KEY, or with COFFER_KMS_ENDPOINT (a remote key service), needs the same \
            environment (or --config file) here.
            """)

    @OptionGroup var location: Audit.Location
    @Flag(help: "Print the report as JSON instead of text.")
    var json = false
    @Flag(help: "Check a running server: it walks one snapshot of its store (and its root keys and audit trail) while it keeps serving, asked over <data-dir>/admin.sock.")
    var online = false

    func run() async throws {
        if case .rados(let settings) = try await location.configuration().storage {
            try await checkShared(settings)
            return
        }
        let reader: ServerSettings
        do { reader = try await ServerSettings(location) } catch {
            throw Self.fail("coffer fsck: \(error)")
        }
        let report: FsckReport
        if online {
            do {
                report = try await AdminClient(dataDir: reader.dataDir).post("/v1/fsck", FsckRequest(), answer: FsckReport.self)
            } catch {
                throw Self.fail("coffer fsck --online: \(error)")
            }
        } else {
            var options = FsckOptions()
            options.remoteKeyService = reader.kmsEndpoint != nil
            do {
                report = try await Fsck.run(dataDirectory: reader.dataDir, operatorRootKey: reader.sseS3RootKey, options: options)
            } catch {
                throw Self.fail("coffer fsck: \(error.message)")
            }
        }
        try show(report)
        if !report.isClean { throw ExitCode.failure }
    }

    /// The body of `POST /v1/fsck`: the server's defaults.
    struct FsckRequest: Encodable {}

    /// Says why on standard error; exit status 2.
    /// `coffer fsck --storage rados`: the cluster's store, with the root keys of this data dir
    /// or the environment, as `coffer serve --storage rados` loads them; every node's audit
    /// trail is checked by `coffer audit verify --storage rados`.
    func checkShared(_ settings: RadosSettings) async throws {
        guard !online else { throw Self.fail("coffer fsck: --online checks a LevelDB server; for --storage rados, run it without --online") }
        let configuration = try await location.configuration()
        let keyring: RootKeyring
        do { keyring = try RootKeyStore.load(dataDir: configuration.dataDir, operatorKey: configuration.sseS3RootKey) } catch {
            throw Self.fail("coffer fsck: the SSE-S3 root keys: \(error)")
        }
        let shared: any SharedStore
        do { shared = try await Serve.openSharedStore(settings, logger: Logger(label: "coffer.fsck")) } catch {
            throw Self.fail("coffer fsck: \(error)")
        }
        var options = FsckOptions()
        options.remoteKeyService = ProcessInfo.processInfo.environment["COFFER_KMS_ENDPOINT"].map { !$0.isEmpty } ?? false
        let report = await MigrateCommand.fsck(shared, keyring: keyring, options: options)
        try show(report)
        if !report.isClean { throw ExitCode.failure }
    }

    /// Prints the report as text or (`--json`) JSON.
    func show(_ report: FsckReport) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.summary)
        }
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode(2)
    }

    /// What fsck needs of `coffer serve`'s settings, resolved as serve resolves them (flags,
    /// `COFFER_*` environment, the config file).
    struct ServerSettings {
        var dataDir: String
        var sseS3RootKey: String?
        var kmsEndpoint: String?

        init(_ location: Audit.Location) async throws {
            var arguments: [String] = []
            if let dataDir = location.dataDir { arguments += ["--data-dir", dataDir] }
            if let config = location.config { arguments += ["--config", config] }
            let reader = try await Serve.parse(arguments).configurationReader()
            let configuration = try ServerConfiguration(reading: reader)
            dataDir = configuration.dataDir
            sseS3RootKey = configuration.sseS3RootKey
            kmsEndpoint = reader.string(forKey: "kms.endpoint").flatMap { $0.isEmpty ? nil : $0 }
        }
    }
}
