import CRados

/// A connection to a Ceph cluster (a `rados_t`), shut down when the last reference goes.
public final class Cluster: @unchecked Sendable {
    // librados handles are thread-safe once connected; the configuration is set before.
    let handle: rados_t

    private init(handle: rados_t) { self.handle = handle }

    deinit { rados_shutdown(handle) }

    /// Connects as `client.<user>` with the settings (monitors, keyring) of the conf file at
    /// `conf`. `timeout` bounds the connection and every monitor and OSD operation, in
    /// seconds (0: wait for ever, librados's default for OSD operations). The blocking connect
    /// runs on a thread of its own.
    public static func connect(conf: String, user: String = "admin", timeout: Int = 30) async throws(RadosError) -> Cluster {
        let result: Result<Handle, RadosError> = await offThread {
            var handle: rados_t?
            let created = rados_create2(&handle, "ceph", "client.\(user)", 0)
            guard created == 0, let handle else { return .failure(RadosError(code: created, operation: "rados_create2")) }
            func fail(_ rc: Int32, _ operation: String) -> Result<Handle, RadosError> {
                rados_shutdown(handle)
                return .failure(RadosError(code: rc, operation: operation, object: conf))
            }
            var rc = rados_conf_read_file(handle, conf)
            if rc < 0 { return fail(rc, "rados_conf_read_file") }
            for option in ["client_mount_timeout", "rados_mon_op_timeout", "rados_osd_op_timeout"] {
                rc = rados_conf_set(handle, option, String(timeout))
                if rc < 0 { return fail(rc, "rados_conf_set \(option)") }
            }
            rc = rados_connect(handle)
            if rc < 0 { return fail(rc, "rados_connect") }
            return .success(Handle(raw: handle))
        }
        return Cluster(handle: try result.get().raw)
    }

    /// An I/O context on `pool` (ENOENT, `.notFound`, if there is no such pool).
    public func ioContext(pool: String) async throws(RadosError) -> IOContext {
        let handle = Handle(raw: self.handle)
        let result: Result<Handle, RadosError> = await offThread {
            var io: rados_ioctx_t?
            let rc = rados_ioctx_create(handle.raw, pool, &io)
            guard rc == 0, let io else { return .failure(RadosError(code: rc, operation: "rados_ioctx_create", object: pool)) }
            return .success(Handle(raw: io))
        }
        return IOContext(handle: try result.get().raw, cluster: self)
    }

    /// The cluster's fsid.
    public func fsid() throws(RadosError) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let rc = rados_cluster_fsid(handle, &buffer, buffer.count)
        try RadosError.check(rc, "rados_cluster_fsid")
        return String(decoding: buffer.prefix(Int(rc)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A librados handle crossing to another thread.
struct Handle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}
