import CofferAudit
import CofferCrypto
import CofferKMS
import CofferS3
import CofferStorage
import NIOConcurrencyHelpers
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Assembles and runs a Coffer server: the object store, the users, the S3 service and its
/// HTTP and HTTPS listeners, until SIGINT or SIGTERM. SIGHUP re-reads the users file.
public struct CofferServer: Sendable {
    /// What a starting server tells its operator (printed by `coffer serve`).
    public struct Startup: Sendable {
        public var root: RootCredentials
        public var generatedCredentials: Bool
        public var tls: TLSMaterial?
        public var httpPort: Int?
        public var httpsPort: Int?
    }

    public let configuration: ServerConfiguration
    public let logger: Logger
    /// How packages are sealed: always the sealed-object format, except where a benchmark
    /// injects its plain-copy stage through the `Benchmark` SPI to measure sealing end to end.
    @_spi(Benchmark) public var packageStage: any PackageStage = SealedPackageStage()
    /// The key service SSE-KMS uses instead of the built-in one (`coffer serve --kms-endpoint`):
    /// any AWS-KMS-protocol service. The built-in service's KMS API stays on the endpoint.
    public var remoteKeyService: (any KeyService)?
    /// The store this node shares with others (`--storage rados`); nil for the data dir's
    /// LevelDB.
    public var sharedStore: (any SharedStore)?
    /// Limits of the bucket-key cache (benchmarks and tests shorten them).
    public var bucketKeyLimits = DataKeyCache.Limits()
    /// Benchmark only: run without the audit trail, to measure what it costs.
    @_spi(Benchmark) public var auditEnabled = true
    /// Called once the S3 service exists (benchmarks read its key-service call count).
    @_spi(Benchmark) public var onService: (@Sendable (S3Service) -> Void)?

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until a shutdown signal; `onReady` is called once every listener is bound.
    public func run(onReady: @escaping @Sendable (Startup) -> Void) async throws {
        let config = configuration
        let parts = try await assemble()
        let trail = parts.trail
        defer {
            do { try trail?.close() } catch { logger.error("audit trail not closed cleanly", metadata: ["error": .string(String(describing: error))]) }
        }
        onService?(parts.service)

        let tls: TLSMaterial?
        if config.httpsAddress == nil {
            tls = nil
        } else if let cert = config.tlsCertificate, let key = config.tlsKey {
            tls = .operatorSupplied(certificate: cert, key: key)
        } else {
            tls = try TLSMaterial.generatedIfNeeded(dataDir: config.dataDir)
        }

        // The admin socket (`coffer backup` of a running server); removed when the server stops.
        // A shared store has no data-dir database to back up or check through it.
        let admin = parts.store.db == nil ? nil : AdminSocket(dataDir: config.dataDir)
        defer { admin?.remove() }
        if admin == nil, parts.store.db != nil {
            logger.warning("no admin socket: its path in the data dir is longer than a unix socket address holds; coffer backup cannot reach this server",
                           metadata: ["data-dir": .string(config.dataDir)])
        }
        let ready = ReadyTracker(expected: (config.httpAddress != nil ? 1 : 0) + (config.httpsAddress != nil ? 1 : 0) + (admin != nil ? 1 : 0)) { ports in
            onReady(Startup(root: parts.root, generatedCredentials: parts.generatedCredentials, tls: tls, httpPort: ports["http"], httpsPort: ports["https"]))
        }
        var services: [any Service] = []
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [ExpectContinueHandler()], idleTimeout: .seconds(120))
        if let address = config.httpAddress {
            services.append(Application(
                responder: parts.frontDoor(secure: false),
                server: .http1(configuration: http1),
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil, reuseAddress: true),
                onServerRunning: { channel in ready.bound("http", port: channel.localAddress?.port) },
                logger: logger))
        }
        if let address = config.httpsAddress, let tls {
            services.append(Application(
                responder: parts.frontDoor(secure: true),
                server: try .tls(.http1(configuration: http1), tlsConfiguration: try tls.serverConfiguration()),
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil, reuseAddress: true),
                onServerRunning: { channel in ready.bound("https", port: channel.localAddress?.port) },
                logger: logger))
        }
        if let admin, let database = parts.store.db {
            let routes = AdminRoutes(dataDir: config.dataDir, database: database, logger: logger, keyring: parts.keyring, trail: trail,
                                     remoteKeyService: remoteKeyService != nil)
            services.append(admin.service(routes: routes, logger: logger, onReady: { ready.bound("admin", port: nil) }))
        }
        services.append(ReloadOnHangup(users: parts.users, logger: logger))
        services.append(KeyMaintenance(service: parts.builtInKeyService, trail: trail, logger: logger))
        if let identity = parts.identity { services.append(StoreIdentityService(keeper: identity, logger: logger)) }
        sharedStore?.start()
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        // The listeners are closed: the notes of the last writes, whose records are in the
        // trail, need not wait for the next start.
        do { try await parts.store.flushNoteRemovals() } catch {
            logger.warning("audit notes not removed at shutdown; the next start removes them", metadata: ["error": .string(String(describing: error))])
        }
        await sharedStore?.close()
    }
}

/// Calls back once every listener reported its bound port.
final class ReadyTracker: Sendable {
    private let state: NIOLockedValueBox<(remaining: Int, ports: [String: Int])>
    private let callback: @Sendable ([String: Int]) -> Void

    init(expected: Int, callback: @escaping @Sendable ([String: Int]) -> Void) {
        state = .init((expected, [:]))
        self.callback = callback
    }

    func bound(_ name: String, port: Int?) {
        let done: [String: Int]? = state.withLockedValue { s in
            s.ports[name] = port
            s.remaining -= 1
            return s.remaining == 0 ? s.ports : nil
        }
        if let done { callback(done) }
    }
}

/// Deletes KMS keys whose waiting period ended, performs due automatic rotations and rotates
/// the audit trail's file when it is due by age, at start and every minute (lookups apply the
/// key rules lazily in between; the trail also rotates by size and age as it writes).
struct KeyMaintenance: Service {
    let service: BuiltInKeyService
    let trail: AuditTrail?
    let logger: Logger

    func run() async throws {
        repeat {
            do { try trail?.rotateIfDue() } catch {
                logger.error("audit trail rotation failed", metadata: ["error": .string(String(describing: error))])
            }
            do {
                let done = try service.runMaintenance()
                if done.deleted + done.rotated > 0 {
                    logger.notice("key maintenance", metadata: ["deleted": .stringConvertible(done.deleted), "rotated": .stringConvertible(done.rotated)])
                }
            } catch {
                logger.error("key maintenance failed", metadata: ["error": .string(String(describing: error))])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        } while !Task.isCancelled && !Task.isShuttingDownGracefully
    }
}

/// Re-reads the users file on SIGHUP.
struct ReloadOnHangup: Service {
    let users: UserDirectory
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                try users.reload()
                logger.notice("users file reloaded", metadata: ["users": .stringConvertible(users.count)])
            } catch {
                logger.error("users file not reloaded; keeping the previous users", metadata: ["error": .string(String(describing: error))])
            }
        }
    }
}
