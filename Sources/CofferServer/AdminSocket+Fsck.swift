import CofferMaintenance
import Foundation
import Hummingbird
import Logging

/// The body of `POST /v1/fsck` (every field optional).
struct FsckRequest: Codable, Sendable {
    /// Findings listed per kind (more are counted); default 100.
    var maxListedPerKind: Int?
}

extension AdminRoutes {
    /// `POST /v1/fsck`: `coffer fsck --online`. Walks one snapshot of the live database (records
    /// and packages as of one moment, while the server keeps serving), the root keys the server
    /// holds and its audit trail, with the same checks as an offline fsck; answers the
    /// `FsckReport`. One at a time.
    func addFsck(to router: Router<BasicRequestContext>) {
        router.post("/v1/fsck") { request, _ in
            try await fsck(try await Self.decode(FsckRequest.self, from: request))
        }
    }

    func fsck(_ request: FsckRequest) async throws -> Response {
        let claimed = fsckRunning.withLockedValue { running in
            defer { running = true }
            return !running
        }
        guard claimed else { throw AdminError(.conflict, code: "busy", "an fsck is already running in this server") }
        defer { fsckRunning.withLockedValue { $0 = false } }
        var options = FsckOptions()
        options.remoteKeyService = remoteKeyService
        if let max = request.maxListedPerKind {
            guard max >= 0 else { throw AdminError(.badRequest, code: "invalidRequest", "maxListedPerKind must not be negative") }
            options.maxListedPerKind = max
        }
        let audit: FsckSources.Audit = trail.map { .trail($0.sink, publicKey: $0.publicKey) } ?? .unavailable("the server runs without its audit trail")
        let clock = ContinuousClock()
        let started = clock.now
        let report = await Fsck.run(.levelDB(snapshot: database.snapshot(), rootKeys: .loaded(keyring), audit: audit),
                                    options: options, dataDirectory: dataDir, mode: .online)
        logger.notice("fsck", metadata: [
            "findings": .stringConvertible(report.findings.count), "objects": .stringConvertible(report.counts.objects),
            "packages-opened": .stringConvertible(report.counts.packagesOpened),
            "duration": .string(String(format: "%.3f s", Self.seconds(clock.now - started))),
        ])
        return try Self.json(report)
    }
}
