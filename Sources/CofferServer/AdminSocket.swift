import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The admin socket: `<data-dir>/admin.sock`, a unix domain socket on which maintenance
/// commands reach the running server, since LevelDB admits one process per database (`coffer
/// backup` of a running server asks it here). No HTTP credentials: the socket file is mode
/// 0600 inside the data dir (0700), so only the data dir's owner (and root) can connect, and
/// they can read the data dir anyway.
///
/// Served by a Hummingbird application of its own in the server's service group, with the
/// routes of ``AdminRoutes``. A socket file left by a server that did not stop cleanly is
/// replaced when the next server binds (it holds the database lock by then, so no other
/// server can be using it); the server removes the file when it stops.
struct AdminSocket: Sendable {
    /// The socket's file name in the data dir.
    static let fileName = "admin.sock"
    /// The longest path a unix socket address holds (`sun_path` less its terminating zero).
    static let maxPathBytes = 107

    /// The socket's path.
    let path: String

    /// The admin socket of `dataDir`; nil when its path is too long for a unix socket address.
    init?(dataDir: String) {
        let path = (dataDir as NSString).appendingPathComponent(Self.fileName)
        guard path.utf8.count <= Self.maxPathBytes else { return nil }
        self.path = path
    }

    /// The service that serves `routes` on the socket; `onReady` is called once the socket is
    /// bound and its mode is 0600.
    func service(routes: AdminRoutes, logger: Logger, onReady: @escaping @Sendable () -> Void) -> any Service {
        let path = self.path
        return Application(
            router: routes.router(),
            configuration: .init(address: .unixDomainSocket(path: path), serverName: nil),
            onServerRunning: { _ in
                // The socket is created with the umask's mode; the data dir (0700) keeps others
                // out until this narrows it.
                if chmod(path, 0o600) != 0 {
                    logger.error("admin socket: cannot set mode 0600", metadata: ["path": .string(path), "errno": .stringConvertible(errno)])
                }
                onReady()
            },
            logger: logger)
    }

    /// Removes the socket file (when the server stops).
    func remove() {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return }
        unlink(path)
    }
}
