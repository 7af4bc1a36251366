import ArgumentParser
import CofferServer
import CofferStorage
import Logging

/// The audit trails of a cluster's nodes and their published public keys.
struct SharedTrails {
    var sinks: [String: any AuditSinkReader]
    var publicKeys: [String: [UInt8]]
}

#if canImport(CofferRadosBackend)
import CofferRadosBackend

extension Audit {
    static func openSharedTrails(_ settings: RadosSettings) async throws -> SharedTrails {
        let store = try await RadosSharedStore.open(conf: settings.conf, pool: settings.pool, user: settings.user, node: settings.node,
                                                    logger: Logger(label: "coffer.audit"))
        return SharedTrails(sinks: try store.auditSinks(), publicKeys: try await store.auditPublicKeys())
    }
}
#else
extension Audit {
    static func openSharedTrails(_ settings: RadosSettings) async throws -> SharedTrails {
        throw ValidationError(
            "--storage rados: this coffer was built without librados (install librados-dev, e.g. scripts/install-deps.sh --test, and rebuild)")
    }
}
#endif
