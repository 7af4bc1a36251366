import CofferMaintenance
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension AdminRoutes {
    /// `POST /v1/backup`: the backup `coffer backup` asks of a running server. Runs the same
    /// code as an offline backup (`Backup.make`) against the live database's snapshot, on a
    /// thread of its own, one backup at a time; answers the `BackupSummary`.
    func addBackup(to router: Router<BasicRequestContext>) {
        router.post("/v1/backup") { request, _ in
            try await backup(try await Self.decode(BackupRequest.self, from: request))
        }
    }

    func backup(_ request: BackupRequest) async throws -> Response {
        guard request.to.hasPrefix("/") else {
            throw AdminError(.badRequest, code: BackupError.Code.invalidDestination.rawValue, "`to` must be an absolute path")
        }
        let claimed = backupRunning.withLockedValue { running in
            defer { running = true }
            return !running
        }
        guard claimed else { throw AdminError(.conflict, code: BackupError.Code.busy.rawValue, "a backup is already running in this server") }
        defer { backupRunning.withLockedValue { $0 = false } }

        let destination = URL(fileURLWithPath: request.to).standardizedFileURL.path
        let clock = ContinuousClock()
        let started = clock.now
        let dataDir = self.dataDir, database = self.database
        let manifest: BackupManifest
        do throws(BackupError) {
            manifest = try await Backup.makeInBackground { () throws(BackupError) in
                try Backup.make(dataDir: dataDir, database: database, request: request, takenFrom: .runningServer)
            }
        } catch {
            logger.error("backup failed", metadata: ["destination": .string(destination), "error": .string(error.message)])
            throw AdminError(Self.status(of: error.code), code: error.code.rawValue, error.message)
        }
        let summary = BackupSummary(manifest: manifest, destination: destination, seconds: Self.seconds(clock.now - started))
        logger.notice("backup written", metadata: Self.metadata(summary))
        return try Self.json(summary)
    }

    /// The status of a backup that failed: the caller's mistake, a conflict, or the server's.
    static func status(of code: BackupError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidDestination: .badRequest
        case .busy: .conflict
        case .databaseInUse, .notADataDirectory, .invalidBackup, .damagedBackup, .secrets, .io: .internalServerError
        }
    }

    /// The log line's fields: destination, counts, duration (never a secret: the secrets are
    /// named by path with what the backup did with them).
    static func metadata(_ summary: BackupSummary) -> Logger.Metadata {
        let records = summary.database.records
        return [
            "destination": .string(summary.destination),
            "buckets": .stringConvertible(records["buckets", default: 0]),
            "objects": .stringConvertible(records["objects", default: 0]),
            "uploads": .stringConvertible(records["uploads", default: 0]),
            "kms-keys": .stringConvertible(records["kmsKeys", default: 0]),
            "blobs": .stringConvertible(summary.database.blobs),
            "chunks": .stringConvertible(summary.database.chunks),
            "audit-files": .stringConvertible(summary.audit.logFiles + summary.audit.digestFiles),
            "files": .stringConvertible(summary.fileCount),
            "bytes": .stringConvertible(summary.totalBytes),
            "secrets-included": .stringConvertible(summary.secrets.contains { $0.state == .included }),
            "duration": .string(String(format: "%.3f s", summary.seconds)),
        ]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
