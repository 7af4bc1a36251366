import CRados
import Foundation

/// Holds the continuation of one asynchronous librados operation until its completion
/// callback runs (on a librados finisher thread).
private final class CompletionBox: @unchecked Sendable {
    let continuation: CheckedContinuation<Int32, Never>
    init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }
}

/// Runs one asynchronous librados operation: `start` submits it with a fresh completion and
/// returns librados's submission result; the result is the operation's return value (negative
/// errno on failure). No thread blocks: the caller's task is suspended until librados calls
/// back. Buffers the operation writes into must outlive this call (librados copies the ones it
/// reads from at submission).
func withCompletion(_ start: (rados_completion_t) -> Int32) async -> Int32 {
    await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
        let arg = Unmanaged.passRetained(CompletionBox(continuation)).toOpaque()
        var completion: rados_completion_t?
        let created = rados_aio_create_completion2(arg, { completion, arg in
            let box = Unmanaged<CompletionBox>.fromOpaque(arg!).takeRetainedValue()
            let result = rados_aio_get_return_value(completion)
            // librados holds its own reference while the callback runs.
            rados_aio_release(completion)
            box.continuation.resume(returning: result)
        }, &completion)
        guard created == 0, let completion else {
            Unmanaged<CompletionBox>.fromOpaque(arg).release()
            continuation.resume(returning: created < 0 ? created : -ENOMEM)
            return
        }
        let submitted = start(completion)
        if submitted < 0 {
            Unmanaged<CompletionBox>.fromOpaque(arg).release()
            rados_aio_release(completion)
            continuation.resume(returning: submitted)
        }
    }
}

/// Runs a blocking librados call (connect, pool lookup) on a thread of its own, never on the
/// caller's executor (a NIO event loop or the cooperative pool).
func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Copies byte strings into C buffers that stay valid for the duration of `body`.
func withCBuffers<R>(_ strings: [[UInt8]], _ body: ([UnsafePointer<CChar>?], [Int]) -> R) -> R {
    let buffers = strings.map { bytes -> UnsafeMutablePointer<CChar> in
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress ?? UnsafeRawPointer(buffer), byteCount: bytes.count)
        }
        buffer[bytes.count] = 0
        return buffer
    }
    defer { buffers.forEach { $0.deallocate() } }
    return body(buffers.map { UnsafePointer($0) }, strings.map(\.count))
}
