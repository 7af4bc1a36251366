import CRados
import Foundation

/// A watch on an object (`rados_watch3`): librados calls its handler, on a librados thread,
/// with the payload of every notification sent to the object (``IOContext/notify(_:payload:timeout:)``)
/// by any client of the cluster, this one included, and acknowledges it after the handler
/// returns. Ended by ``cancel()`` or when released.
public final class Watch: @unchecked Sendable {
    // Written once at creation; librados serialises callbacks per watch.
    fileprivate let context: IOContext
    fileprivate let object: String
    fileprivate let handler: @Sendable ([UInt8]) -> Void
    fileprivate let onError: @Sendable (RadosError) -> Void
    private var cookie: UInt64 = 0
    private var active = false
    private let lock = NSLock()

    fileprivate init(context: IOContext, object: String, handler: @escaping @Sendable ([UInt8]) -> Void,
                     onError: @escaping @Sendable (RadosError) -> Void) {
        self.context = context
        self.object = object
        self.handler = handler
        self.onError = onError
    }

    fileprivate func start(timeout: UInt32) throws(RadosError) {
        var handle: UInt64 = 0
        let arg = Unmanaged.passUnretained(self).toOpaque()
        let rc = rados_watch3(context.handle, object, &handle, { arg, notifyID, handle, _, data, length in
            guard let arg else { return }
            let watch = Unmanaged<Watch>.fromOpaque(arg).takeUnretainedValue()
            let payload = data.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            watch.handler(payload)
            _ = rados_notify_ack(watch.context.handle, watch.object, notifyID, handle, nil, 0)
        }, { arg, _, error in
            guard let arg else { return }
            let watch = Unmanaged<Watch>.fromOpaque(arg).takeUnretainedValue()
            // The watch was lost (a timeout, the OSD restarted): notifications may have been missed.
            watch.onError(RadosError(code: Int32(error), operation: "watch", object: watch.object))
        }, timeout, arg)
        try RadosError.check(rc, "rados_watch3", object)
        lock.withLock {
            cookie = handle
            active = true
        }
    }

    /// Ends the watch: no handler call starts after it returns (`rados_unwatch2` then
    /// `rados_watch_flush`).
    public func cancel() {
        let (wasActive, handle) = lock.withLock { () -> (Bool, UInt64) in
            defer { active = false }
            return (active, cookie)
        }
        guard wasActive else { return }
        _ = rados_unwatch2(context.handle, handle)
        _ = rados_watch_flush(context.cluster.handle)
    }

    deinit { cancel() }
}

extension IOContext {
    /// Watches `object` (created if missing), calling `handler` with each notification's
    /// payload; `onError` when librados reports the watch lost (then re-watch: notifications
    /// may have been missed). `timeout` seconds without the OSD hearing from this client end
    /// the watch (0: librados's default). Blocking (one round trip): call it at start-up.
    public func watch(_ object: String, timeout: UInt32 = 0, onError: @escaping @Sendable (RadosError) -> Void = { _ in },
                      _ handler: @escaping @Sendable ([UInt8]) -> Void) throws(RadosError) -> Watch {
        var create = WriteOperation()
        create.create(exclusive: false)
        try blocking.operate(create, on: object)
        let watch = Watch(context: self, object: object, handler: handler, onError: onError)
        try watch.start(timeout: timeout)
        return watch
    }

    /// Sends `payload` to every watcher of `object` and waits until each has acknowledged it
    /// or `timeout` passed (a watcher that does not answer in time does not fail the call: the
    /// notification is best effort, as a watcher that was down may have missed it anyway).
    public func notify(_ object: String, payload: [UInt8], timeout: Duration = .seconds(5)) async throws(RadosError) {
        let milliseconds = UInt64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let reply = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
        let replyLength = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        reply.initialize(to: nil)
        replyLength.initialize(to: 0)
        defer {
            if let buffer = reply.pointee { rados_buffer_free(buffer) }
            reply.deallocate()
            replyLength.deallocate()
        }
        let rc = await withCompletion { completion in
            payload.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    rados_aio_notify(handle, object, completion, chars.baseAddress, Int32(chars.count), milliseconds, reply, replyLength)
                }
            }
        }
        // ETIMEDOUT: some watcher did not acknowledge in time; the others were notified.
        if rc == -ETIMEDOUT { return }
        try RadosError.check(rc, "rados_aio_notify", object)
    }
}
