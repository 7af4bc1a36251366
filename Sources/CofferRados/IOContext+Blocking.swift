import CRados
import Foundation

extension IOContext {
    /// This context's blocking calls (``BlockingIO``): for synchronous code only, on a thread
    /// that may wait for the cluster. Never from a NIO event loop or an async task.
    public var blocking: BlockingIO { BlockingIO(context: self) }
}

/// The blocking (synchronous) librados calls of one I/O context: each call waits on the
/// calling thread until the cluster answers (one round trip, bounded by the cluster's
/// `rados_osd_op_timeout`, see ``Cluster/connect(conf:user:timeout:)``).
///
/// **Never call these from a NIO event-loop thread or from an async task** (a thread of
/// Swift's cooperative pool): they would stall every connection or task scheduled there for a
/// round trip. They exist for the storage boundary's one synchronous protocol, the audit sink
/// (`AuditSink.swift` says why it is synchronous): the trail appends a record under its lock,
/// from synchronous code, and must know it is stored before the caller proceeds. Everything
/// else uses ``IOContext``'s asynchronous calls (`rados_aio_*`). Reaching them through
/// `io.blocking` keeps the choice visible at every call site.
///
/// Writes are acknowledged once committed on every replica (librados's completion of a write),
/// so a call that returns has made its change durable.
public struct BlockingIO: Sendable {
    /// The context the calls run on.
    public let context: IOContext

    var handle: rados_ioctx_t { context.handle }

    // MARK: Whole-object calls

    /// Up to `length` bytes of `object` from `offset` (fewer at its end): `rados_read`.
    public func read(_ object: String, offset: UInt64 = 0, length: Int) throws(RadosError) -> [UInt8] {
        guard length > 0 else { return [] }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: length)
        defer { buffer.deallocate() }
        let rc = rados_read(handle, object, buffer, length, offset)
        try RadosError.check(rc, "rados_read", object)
        return Array(UnsafeRawBufferPointer(start: buffer, count: Int(rc)))
    }

    /// The size of `object` and up to `length` of its bytes from `offset`, both as of one
    /// moment (one read operation: `rados_read_op_stat` and `rados_read_op_read`). `.notFound`
    /// if the object does not exist.
    public func readWithSize(_ object: String, offset: UInt64 = 0, length: Int) throws(RadosError) -> (size: UInt64, bytes: [UInt8]) {
        guard let op = rados_create_read_op() else { throw RadosError(code: ENOMEM, operation: "rados_create_read_op", object: object) }
        defer { rados_release_read_op(op) }
        let capacity = Swift.max(length, 1)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var size: UInt64 = 0
        var modified: time_t = 0
        var statResult: Int32 = 0
        var bytesRead = 0
        var readResult: Int32 = 0
        rados_read_op_stat(op, &size, &modified, &statResult)
        if length > 0 { rados_read_op_read(op, offset, length, buffer, &bytesRead, &readResult) }
        try RadosError.check(rados_read_op_operate(op, handle, object, 0), "rados_read_op_operate (stat, read)", object)
        try RadosError.check(statResult, "rados_read_op_stat", object)
        try RadosError.check(readResult, "rados_read_op_read", object)
        return (size, Array(UnsafeRawBufferPointer(start: buffer, count: Swift.min(bytesRead, length))))
    }

    /// The size and modification time of `object`: `rados_stat` (`.notFound` if it does not exist).
    public func stat(_ object: String) throws(RadosError) -> ObjectStat {
        var size: UInt64 = 0
        var modified: time_t = 0
        try RadosError.check(rados_stat(handle, object, &size, &modified), "rados_stat", object)
        return ObjectStat(size: size, modified: Date(timeIntervalSince1970: TimeInterval(modified)))
    }

    /// Writes `data` into `object` at `offset` (creating it): `rados_write`.
    public func write(_ object: String, _ data: [UInt8], at offset: UInt64) throws(RadosError) {
        let rc = withChars(data) { rados_write(handle, object, $0, $1, offset) }
        try RadosError.check(rc, "rados_write", object)
    }

    /// Appends `data` to `object` (creating it): `rados_append`. A retried append can store
    /// the bytes twice; ``DataOperation`` guards an append with the length it expects.
    public func append(_ object: String, _ data: [UInt8]) throws(RadosError) {
        let rc = withChars(data) { rados_append(handle, object, $0, $1) }
        try RadosError.check(rc, "rados_append", object)
    }

    /// Replaces the whole content of `object` with `data`, atomically (creating it):
    /// `rados_write_full`.
    public func writeFull(_ object: String, _ data: [UInt8]) throws(RadosError) {
        let rc = withChars(data) { rados_write_full(handle, object, $0, $1) }
        try RadosError.check(rc, "rados_write_full", object)
    }

    /// Cuts (or extends with zeros) `object` to `size` bytes: `rados_trunc`.
    public func truncate(_ object: String, to size: UInt64) throws(RadosError) {
        try RadosError.check(rados_trunc(handle, object, size), "rados_trunc", object)
    }

    /// Removes `object` (`.notFound` if it does not exist): `rados_remove`.
    public func remove(_ object: String) throws(RadosError) {
        try RadosError.check(rados_remove(handle, object), "rados_remove", object)
    }

    /// The value of the extended attribute `name` of `object`, nil when it has none
    /// (`ENODATA`); `.notFound` if the object does not exist: `rados_getxattr`.
    public func xattr(_ object: String, _ name: String) throws(RadosError) -> [UInt8]? {
        var capacity = 256
        while true {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
            defer { buffer.deallocate() }
            let rc = rados_getxattr(handle, object, name, buffer, capacity)
            if rc == -ENODATA { return nil }
            if rc == -ERANGE, capacity < 1 << 20 {
                capacity *= 16
                continue
            }
            try RadosError.check(rc, "rados_getxattr \(name)", object)
            return Array(UnsafeRawBufferPointer(start: buffer, count: Int(rc)))
        }
    }

    // MARK: Atomic operations

    /// Applies `operation` (omap guards and changes, see ``WriteOperation``) to `object`
    /// atomically: `rados_write_op_operate`. A guard that does not hold throws `.guardFailed`
    /// (with ``RadosError/failedGuard``) and nothing is changed.
    public func operate(_ operation: WriteOperation, on object: String) throws(RadosError) {
        guard let op = rados_create_write_op() else { throw RadosError(code: ENOMEM, operation: "rados_create_write_op", object: object) }
        defer { rados_release_write_op(op) }
        let guardResults = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(operation.guardCount, 1))
        defer { guardResults.deallocate() }
        guardResults.initialize(repeating: 0, count: Swift.max(operation.guardCount, 1))
        operation.build(op, guardResults: guardResults)
        let rc = rados_write_op_operate(op, handle, object, nil, 0)
        if rc == -ECANCELED {
            let failed = (0..<operation.guardCount).first { guardResults[$0] != 0 }
            throw RadosError(code: rc, operation: "guard \(failed.map(String.init) ?? "?") of rados_write_op_operate", object: object, failedGuard: failed)
        }
        try RadosError.check(rc, "rados_write_op_operate", object)
    }

    /// Applies `operation` (data and extended-attribute steps, see ``DataOperation``) to
    /// `object` atomically: `rados_write_op_operate`. An extended-attribute guard that does not
    /// hold throws `.guardFailed` and nothing is changed (librados does not say which one).
    public func operate(_ operation: DataOperation, on object: String) throws(RadosError) {
        guard let op = rados_create_write_op() else { throw RadosError(code: ENOMEM, operation: "rados_create_write_op", object: object) }
        defer { rados_release_write_op(op) }
        operation.build(op)
        try RadosError.check(rados_write_op_operate(op, handle, object, nil, 0), "rados_write_op_operate", object)
    }

    // MARK: Omap reads

    /// The omap values of `object` under `keys` (absent keys are missing from the result), in
    /// one read operation: `rados_read_op_omap_get_vals_by_keys2`.
    public func omapValues(_ object: String, keys: [[UInt8]]) throws(RadosError) -> [[UInt8]: [UInt8]] {
        let page = try readOmap(object, operation: "rados_read_op_omap_get_vals_by_keys2") { op, iterator, _, result in
            withCBuffers(keys) { pointers, lengths in
                rados_read_op_omap_get_vals_by_keys2(op, pointers, keys.count, lengths, iterator, result)
            }
        }
        return Dictionary(page.entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
    }

    /// At most `max` omap entries of `object` whose keys start with `prefix`, after the key
    /// `after` (from the first if nil), in key order: `rados_read_op_omap_get_vals2`. As for
    /// ``IOContext/omapPage(_:prefix:after:max:requiring:)``, neither `prefix` nor `after` may
    /// contain a zero byte, and the OSD caps a page at `osd_max_omap_entries_per_request`.
    public func omapPage(_ object: String, prefix: [UInt8] = [], after: [UInt8]? = nil, max: Int) throws(RadosError) -> OmapPage {
        guard max > 0, !prefix.contains(0), !(after ?? []).contains(0) else {
            throw RadosError(code: EINVAL, operation: "omapPage (max > 0, keys without zero bytes)", object: object)
        }
        return try readOmap(object, operation: "rados_read_op_omap_get_vals2") { op, iterator, more, result in
            withCBuffers([after ?? [], prefix]) { strings, _ in
                rados_read_op_omap_get_vals2(op, strings[0], strings[1], UInt64(max), iterator, more, result)
            }
        }
    }

    private func readOmap(
        _ object: String,
        operation: String,
        _ add: (rados_read_op_t, UnsafeMutablePointer<rados_omap_iter_t?>, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<Int32>) -> Void
    ) throws(RadosError) -> OmapPage {
        guard let op = rados_create_read_op() else { throw RadosError(code: ENOMEM, operation: "rados_create_read_op", object: object) }
        defer { rados_release_read_op(op) }
        var iterator: rados_omap_iter_t?
        var more: UInt8 = 0
        var result: Int32 = 0
        add(op, &iterator, &more, &result)
        let rc = rados_read_op_operate(op, handle, object, 0)
        defer { if let iterator { rados_omap_get_end(iterator) } }
        try RadosError.check(rc, operation, object)
        try RadosError.check(result, operation, object)
        return OmapPage(entries: try OmapPage.entries(of: iterator, object: object), more: more != 0)
    }

    // MARK: Advisory locks (cls_lock)

    /// Takes the exclusive lock `lock` on `object` for the holder `cookie` (unique per holder;
    /// librados keys a holder by its client and cookie), with a `description` for whoever lists
    /// the lockers, for `duration` (nil: until unlocked; else it expires unless renewed, so a
    /// crashed holder's lock frees itself): `rados_lock_exclusive`. `EBUSY` when another holder
    /// has it, `EEXIST` when this holder has it already. The OSD creates `object` when missing.
    public func lockExclusive(_ object: String, lock: String, cookie: String, description: String, duration: Duration?) throws(RadosError) {
        try lockExclusive(object, lock: lock, cookie: cookie, description: description, duration: duration, flags: 0, "rados_lock_exclusive")
    }

    /// Renews this holder's exclusive lock for another `duration` from now
    /// (`rados_lock_exclusive` with `LIBRADOS_LOCK_FLAG_MUST_RENEW`): `ENOENT` when the holder
    /// no longer has it (it expired or was broken: it is never taken again by a renewal),
    /// `EBUSY` when another holder has it.
    public func renewExclusiveLock(_ object: String, lock: String, cookie: String, description: String, duration: Duration?) throws(RadosError) {
        try lockExclusive(object, lock: lock, cookie: cookie, description: description, duration: duration,
                          flags: UInt8(LIBRADOS_LOCK_FLAG_MUST_RENEW), "rados_lock_exclusive (renew)")
    }

    private func lockExclusive(_ object: String, lock: String, cookie: String, description: String, duration: Duration?,
                               flags: UInt8, _ operation: String) throws(RadosError) {
        var time = duration.map { duration -> timeval in
            let (seconds, attoseconds) = duration.components
            return timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        }
        let rc: Int32 = if time != nil {
            rados_lock_exclusive(handle, object, lock, cookie, description, &time!, flags)
        } else {
            rados_lock_exclusive(handle, object, lock, cookie, description, nil, flags)
        }
        try RadosError.check(rc, "\(operation) \(lock)", object)
    }

    /// Releases this holder's lock `lock` on `object`: `rados_unlock` (`ENOENT` when the holder
    /// does not have it).
    public func unlock(_ object: String, lock: String, cookie: String) throws(RadosError) {
        try RadosError.check(rados_unlock(handle, object, lock, cookie), "rados_unlock \(lock)", object)
    }

    /// One holder of a lock, as ``lockers(_:lock:)`` lists it.
    public struct Locker: Sendable, Hashable {
        /// The holder's client (`client.4123`).
        public var client: String
        public var cookie: String
        public var address: String
    }

    /// The current holders of the lock `lock` on `object`: `rados_list_lockers` (expired
    /// holders may be listed until the next lock attempt removes them).
    public func lockers(_ object: String, lock: String) throws(RadosError) -> [Locker] {
        var capacities = (tag: 256, clients: 1024, cookies: 1024, addresses: 1024)
        while true {
            var exclusive: Int32 = 0
            var sizes = capacities
            let tag = UnsafeMutablePointer<CChar>.allocate(capacity: capacities.tag)
            let clients = UnsafeMutablePointer<CChar>.allocate(capacity: capacities.clients)
            let cookies = UnsafeMutablePointer<CChar>.allocate(capacity: capacities.cookies)
            let addresses = UnsafeMutablePointer<CChar>.allocate(capacity: capacities.addresses)
            defer { tag.deallocate(); clients.deallocate(); cookies.deallocate(); addresses.deallocate() }
            let rc = rados_list_lockers(handle, object, lock, &exclusive, tag, &sizes.tag, clients, &sizes.clients,
                                        cookies, &sizes.cookies, addresses, &sizes.addresses)
            if rc == -ERANGE {
                capacities = (Swift.max(sizes.tag, capacities.tag), Swift.max(sizes.clients, capacities.clients),
                              Swift.max(sizes.cookies, capacities.cookies), Swift.max(sizes.addresses, capacities.addresses))
                continue
            }
            guard rc >= 0 else { throw RadosError(code: Int32(rc), operation: "rados_list_lockers \(lock)", object: object) }
            func strings(_ buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> [String] {
                UnsafeRawBufferPointer(start: buffer, count: size).split(separator: 0, omittingEmptySubsequences: false)
                    .prefix(Int(rc)).map { String(decoding: $0, as: UTF8.self) }
            }
            let clientNames = strings(clients, sizes.clients)
            let cookieNames = strings(cookies, sizes.cookies)
            let addressNames = strings(addresses, sizes.addresses)
            guard clientNames.count == Int(rc), cookieNames.count == Int(rc), addressNames.count == Int(rc) else {
                throw RadosError(code: EPROTO, operation: "rados_list_lockers \(lock) (\(rc) lockers, fewer names)", object: object)
            }
            return (0..<Int(rc)).map { Locker(client: clientNames[$0], cookie: cookieNames[$0], address: addressNames[$0]) }
        }
    }

    /// Releases the lock `lock` on `object` held by another holder (`client`, `cookie`): an
    /// operator's remedy for a holder known dead. `rados_break_lock`.
    public func breakLock(_ object: String, lock: String, client: String, cookie: String) throws(RadosError) {
        try RadosError.check(rados_break_lock(handle, object, lock, client, cookie), "rados_break_lock \(lock)", object)
    }
}

extension BlockingIO {
    /// The steps of one atomic write operation on an object's data and extended attributes (a
    /// `rados_write_op_t`), applied in order by the OSD: every step or none. Guards
    /// (``create(exclusive:)``, ``compareXattr(_:_:_:)``) come first by convention.
    ///
    /// An extended-attribute comparison on an object that does not exist fails the operation
    /// with `ENOENT` even after a ``create(exclusive:)`` step in the same operation (the OSD
    /// reads the attribute from the stored object); an attribute the object lacks compares as
    /// the empty value.
    public struct DataOperation: Sendable, Hashable {
        enum Step: Sendable, Hashable {
            case create(exclusive: Bool)
            case compareXattr(String, XattrComparison, [UInt8])
            case setXattr(String, [UInt8])
            case write([UInt8], offset: UInt64)
            case writeFull([UInt8])
            case truncate(UInt64)
        }

        private(set) var steps: [Step] = []

        public init() {}

        /// Creates the object; with `exclusive`, fails with `.exists` if it exists.
        public mutating func create(exclusive: Bool) { steps.append(.create(exclusive: exclusive)) }

        /// Fails with `.guardFailed` unless the object's extended attribute `name` (bytewise, as
        /// a string) compares with `value` as `comparison` says: the stored value on the left.
        public mutating func compareXattr(_ name: String, _ comparison: XattrComparison, _ value: [UInt8]) {
            steps.append(.compareXattr(name, comparison, value))
        }

        /// Sets the extended attribute `name`.
        public mutating func setXattr(_ name: String, _ value: [UInt8]) { steps.append(.setXattr(name, value)) }

        /// Writes `data` at `offset`.
        public mutating func write(_ data: [UInt8], at offset: UInt64) { steps.append(.write(data, offset: offset)) }

        /// Replaces the object's data.
        public mutating func writeFull(_ data: [UInt8]) { steps.append(.writeFull(data)) }

        /// Cuts (or extends with zeros) the object's data to `size` bytes.
        public mutating func truncate(to size: UInt64) { steps.append(.truncate(size)) }

        /// Adds the steps of `other` after these.
        public mutating func append(contentsOf other: DataOperation) { steps += other.steps }

        func build(_ op: rados_write_op_t) {
            for step in steps {
                switch step {
                case .create(let exclusive):
                    rados_write_op_create(op, exclusive ? Int32(LIBRADOS_CREATE_EXCLUSIVE) : Int32(LIBRADOS_CREATE_IDEMPOTENT), nil)
                case .compareXattr(let name, let comparison, let value):
                    withChars(value) { rados_write_op_cmpxattr(op, name, comparison.librados, $0, $1) }
                case .setXattr(let name, let value):
                    withChars(value) { rados_write_op_setxattr(op, name, $0, $1) }
                case .write(let data, let offset):
                    withChars(data) { rados_write_op_write(op, $0, $1, offset) }
                case .writeFull(let data):
                    withChars(data) { rados_write_op_write_full(op, $0, $1) }
                case .truncate(let size):
                    rados_write_op_truncate(op, size)
                }
            }
        }
    }

    /// How ``DataOperation/compareXattr(_:_:_:)`` compares a stored attribute (on the left)
    /// with a value: bytewise, as strings (so fixed-width decimal numbers compare as numbers).
    public enum XattrComparison: Sendable, Hashable {
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual

        /// The OSD evaluates `value OP stored` (`do_xattr_cmp_str`): the operator is mirrored
        /// so that the stored value is on the left, as for omap comparisons.
        var librados: UInt8 {
            switch self {
            case .equal: UInt8(LIBRADOS_CMPXATTR_OP_EQ)
            case .notEqual: UInt8(LIBRADOS_CMPXATTR_OP_NE)
            case .less: UInt8(LIBRADOS_CMPXATTR_OP_GT)
            case .lessOrEqual: UInt8(LIBRADOS_CMPXATTR_OP_GTE)
            case .greater: UInt8(LIBRADOS_CMPXATTR_OP_LT)
            case .greaterOrEqual: UInt8(LIBRADOS_CMPXATTR_OP_LTE)
            }
        }
    }
}

/// Calls `body` with a pointer to `bytes` as C characters and their count; the pointer is
/// valid (never nil) even for no bytes. librados copies what it reads at the call.
func withChars<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
    bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress, !buffer.isEmpty else {
            var none: CChar = 0
            return body(&none, 0)
        }
        return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0, buffer.count) }
    }
}
