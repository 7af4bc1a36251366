import ArgumentParser
import CofferServer
import Logging

#if canImport(CofferRadosBackend)
import CofferRadosBackend

extension Serve {
    /// Connects to the cluster of `--storage rados` and opens the store this node shares.
    static func openSharedStore(_ settings: RadosSettings, logger: Logger) async throws -> any SharedStore {
        do {
            return try await RadosSharedStore.open(conf: settings.conf, pool: settings.pool, user: settings.user, node: settings.node, logger: logger)
        } catch {
            throw ValidationError("--storage rados: \(error)")
        }
    }
}
#else
extension Serve {
    /// This build has no librados: `--storage rados` is refused with what to do.
    static func openSharedStore(_ settings: RadosSettings, logger: Logger) async throws -> any SharedStore {
        throw ValidationError(
            "--storage rados: this coffer was built without librados (install librados-dev, e.g. scripts/install-deps.sh --test, and rebuild)")
    }
}
#endif
