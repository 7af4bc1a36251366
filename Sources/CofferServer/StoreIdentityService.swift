import CofferMaintenance
import Logging
import ServiceLifecycle

/// Brings the store identity record up to the database's MANIFEST every ten seconds while the
/// server runs (`StoreIdentityKeeper`), and once more at shutdown.
struct StoreIdentityService: Service {
    let keeper: StoreIdentityKeeper
    let logger: Logger

    func run() async throws {
        repeat {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(10)) }
            refresh()
        } while !Task.isCancelled && !Task.isShuttingDownGracefully
    }

    private func refresh() {
        do { try keeper.refresh() } catch {
            logger.warning("store identity record not updated", metadata: ["error": .string(String(describing: error))])
        }
    }
}
