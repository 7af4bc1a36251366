import CRados
import Foundation

/// The size and modification time of an object.
public struct ObjectStat: Sendable, Hashable {
    public var size: UInt64
    public var modified: Date
}

/// One page of an object's omap entries, in key order.
public struct OmapPage: Sendable, Hashable {
    /// The entries an omap read's iterator holds (none without one), copied out of librados.
    static func entries(of iterator: rados_omap_iter_t?, object: String) throws(RadosError) -> [Entry] {
        guard let iterator else { return [] }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(rados_omap_iter_size(iterator)))
        while true {
            var key: UnsafeMutablePointer<CChar>?
            var value: UnsafeMutablePointer<CChar>?
            var keyLength = 0
            var valueLength = 0
            try RadosError.check(rados_omap_get_next2(iterator, &key, &value, &keyLength, &valueLength), "rados_omap_get_next2", object)
            guard let key else { return entries }
            entries.append(Entry(
                key: Array(UnsafeRawBufferPointer(start: key, count: keyLength)),
                value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: valueLength)) } ?? []
            ))
        }
    }

    public struct Entry: Sendable, Hashable {
        public var key: [UInt8]
        public var value: [UInt8]
    }

    public var entries: [Entry]
    /// Whether entries past the last one (within the prefix) may follow: ask again with
    /// `after:` the last key.
    public var more: Bool
}

/// An I/O context on one pool (a `rados_ioctx_t`). Every operation is asynchronous
/// (`rados_aio_*`): the calling task is suspended, no thread waits.
public final class IOContext: @unchecked Sendable {
    // The ioctx's own state (snapshot, namespace, locator) is never changed after creation;
    // librados allows concurrent operations on one ioctx.
    let handle: rados_ioctx_t
    let cluster: Cluster

    init(handle: rados_ioctx_t, cluster: Cluster) {
        self.handle = handle
        self.cluster = cluster
    }

    deinit { rados_ioctx_destroy(handle) }

    /// Replaces the whole content of `object` with `data` (creating it).
    public func writeFull(_ object: String, _ data: [UInt8]) async throws(RadosError) {
        let rc = await withCompletion { completion in
            data.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    rados_aio_write_full(handle, object, completion, chars.baseAddress, chars.count)
                }
            }
        }
        try RadosError.check(rc, "rados_aio_write_full", object)
    }

    /// Up to `length` bytes of `object` from `offset` (fewer at the end of the object).
    public func read(_ object: String, offset: UInt64 = 0, length: Int) async throws(RadosError) -> [UInt8] {
        guard length > 0 else { return [] }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: length)
        defer { buffer.deallocate() }
        let rc = await withCompletion { completion in
            rados_aio_read(handle, object, completion, buffer, length, offset)
        }
        try RadosError.check(rc, "rados_aio_read", object)
        return UnsafeRawBufferPointer(start: buffer, count: Int(rc)).map { $0 }
    }

    /// Removes `object` (`.notFound` if it does not exist).
    public func remove(_ object: String) async throws(RadosError) {
        let rc = await withCompletion { completion in rados_aio_remove(handle, object, completion) }
        try RadosError.check(rc, "rados_aio_remove", object)
    }

    /// The size and modification time of `object` (`.notFound` if it does not exist).
    public func stat(_ object: String) async throws(RadosError) -> ObjectStat {
        let size = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        let mtime = UnsafeMutablePointer<time_t>.allocate(capacity: 1)
        defer { size.deallocate(); mtime.deallocate() }
        size.initialize(to: 0)
        mtime.initialize(to: 0)
        let rc = await withCompletion { completion in rados_aio_stat(handle, object, completion, size, mtime) }
        try RadosError.check(rc, "rados_aio_stat", object)
        return ObjectStat(size: size.pointee, modified: Date(timeIntervalSince1970: TimeInterval(mtime.pointee)))
    }

    /// Applies `operation` to `object` atomically: every step or none. A guard that does not
    /// hold throws `.guardFailed` (ECANCELED) and nothing is changed.
    public func operate(_ operation: WriteOperation, on object: String) async throws(RadosError) {
        guard let op = rados_create_write_op() else { throw RadosError(code: ENOMEM, operation: "rados_create_write_op", object: object) }
        defer { rados_release_write_op(op) }
        // Each guard's own result, written by librados when the operation completes.
        let guardResults = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(operation.guardCount, 1))
        defer { guardResults.deallocate() }
        guardResults.initialize(repeating: 0, count: Swift.max(operation.guardCount, 1))
        operation.build(op, guardResults: guardResults)
        let rc = await withCompletion { completion in
            rados_aio_write_op_operate(op, handle, completion, object, nil, 0)
        }
        if rc == -ECANCELED {
            let failed = (0..<operation.guardCount).first { guardResults[$0] != 0 }
            throw RadosError(code: rc, operation: "guard \(failed.map(String.init) ?? "?") of rados_aio_write_op_operate", object: object, failedGuard: failed)
        }
        try RadosError.check(rc, "rados_aio_write_op_operate", object)
    }

    /// The omap values of `object` under `keys` (absent keys are missing from the result), read
    /// in one atomic read operation, which fails with `.guardFailed` unless every guard holds.
    public func omapValues(_ object: String, keys: [[UInt8]], requiring guards: [OmapGuard] = []) async throws(RadosError) -> [[UInt8]: [UInt8]] {
        let page = try await readOmap(object, operation: "rados_read_op_omap_get_vals_by_keys2", guards: guards) { op, iterator, _, result in
            withCBuffers(keys) { pointers, lengths in
                rados_read_op_omap_get_vals_by_keys2(op, pointers, keys.count, lengths, iterator, result)
            }
        }
        return Dictionary(page.entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
    }

    /// At most `max` omap entries of `object` whose keys start with `prefix`, after the key
    /// `after` (from the first if nil), in key order. librados takes the prefix and the
    /// start key as C strings: they must not contain a zero byte (EINVAL). The read fails with
    /// `.guardFailed` unless every guard holds (checked atomically with the read).
    public func omapPage(
        _ object: String,
        prefix: [UInt8],
        after: [UInt8]? = nil,
        max: Int,
        requiring guards: [OmapGuard] = []
    ) async throws(RadosError) -> OmapPage {
        guard max > 0, !prefix.contains(0), !(after ?? []).contains(0) else {
            throw RadosError(code: EINVAL, operation: "omapPage (max > 0, keys without zero bytes)", object: object)
        }
        return try await readOmap(object, operation: "rados_read_op_omap_get_vals2", guards: guards) { op, iterator, more, result in
            withCBuffers([after ?? [], prefix]) { strings, _ in
                rados_read_op_omap_get_vals2(op, strings[0], strings[1], UInt64(max), iterator, more, result)
            }
        }
    }

    private func readOmap(
        _ object: String,
        operation: String,
        guards: [OmapGuard],
        _ add: (rados_read_op_t, UnsafeMutablePointer<rados_omap_iter_t?>, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<Int32>) -> Void
    ) async throws(RadosError) -> OmapPage {
        guard let op = rados_create_read_op() else { throw RadosError(code: ENOMEM, operation: "rados_create_read_op", object: object) }
        defer { rados_release_read_op(op) }
        let iterator = UnsafeMutablePointer<rados_omap_iter_t?>.allocate(capacity: 1)
        let more = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        let result = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { iterator.deallocate(); more.deallocate(); result.deallocate() }
        iterator.initialize(to: nil)
        more.initialize(to: 0)
        result.initialize(to: 0)
        let guardResults = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(guards.count, 1))
        defer { guardResults.deallocate() }
        guardResults.initialize(repeating: 0, count: Swift.max(guards.count, 1))
        for (index, omapGuard) in guards.enumerated() {
            withCBuffers([omapGuard.key, omapGuard.value]) { buffers, lengths in
                rados_read_op_omap_cmp2(op, buffers[0], omapGuard.comparison.rawValue, buffers[1], lengths[0], lengths[1], guardResults + index)
            }
        }
        add(op, iterator, more, result)
        let rc = await withCompletion { completion in rados_aio_read_op_operate(op, handle, completion, object, 0) }
        defer { if let iter = iterator.pointee { rados_omap_get_end(iter) } }
        if rc == -ECANCELED {
            let failed = guards.indices.first { guardResults[$0] != 0 }
            throw RadosError(code: rc, operation: "guard \(failed.map(String.init) ?? "?") of \(operation)", object: object, failedGuard: failed)
        }
        try RadosError.check(rc, operation, object)
        try RadosError.check(result.pointee, operation, object)
        return OmapPage(entries: try OmapPage.entries(of: iterator.pointee, object: object), more: more.pointee != 0)
    }
}
