import CofferServer
import CofferStorage
import Logging

/// The audit trails of a cluster's nodes and their published public keys.
struct SharedTrails {
    var sinks: [String: any AuditSinkReader]
    var publicKeys: [String: [UInt8]]
}

extension Audit {
    /// Every node's trail in the store of `settings` (refused with what to install by a build
    /// without librados, as `coffer serve --storage rados` is).
    static func openSharedTrails(_ settings: RadosSettings) async throws -> SharedTrails {
        let store = try await Serve.openSharedStore(settings, logger: Logger(label: "coffer.audit"))
        return SharedTrails(sinks: try store.auditSinks(), publicKeys: try await store.auditPublicKeys())
    }
}
