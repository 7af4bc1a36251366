import Dispatch
import Synchronization

/// Runs a body's producer (read packages, open them) as a task of its own on Dispatch's global
/// queue (the threads of Swift's default executor), whatever executor the request's task has,
/// so that for a large object reading and decrypting overlap with writing the response.
final class ReadAheadExecutor: TaskExecutor {
    static let shared = ReadAheadExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }
}

/// A bounded buffer between one producer task and one consumer: `send` waits while
/// `capacity` items are waiting, `next` waits while none is. `finish` ends the stream (with
/// an error, if given) after the items already sent; `cancel` (the consumer gave up) makes
/// every later `send` throw `CancellationError`, so the producer stops.
final class ReadAheadBuffer<Element: Sendable>: Sendable {
    private struct State {
        /// At most `capacity` (a few) items: removing the first is cheap.
        var items: [Element] = []
        var finished = false
        var failure: (any Error)?
        var cancelled = false
        var waitingConsumer: CheckedContinuation<Void, Never>?
        var waitingProducer: CheckedContinuation<Void, Never>?
    }

    private enum Outcome { case element(Element), end, failed(any Error), wait }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// Adds `element`, waiting for room; throws `CancellationError` once the consumer cancelled.
    func send(_ element: Element) async throws {
        while true {
            let outcome: Int = state.withLock { s in
                if s.cancelled { return 0 }
                if s.items.count < capacity {
                    s.items.append(element)
                    return 1
                }
                return 2
            }
            switch outcome {
            case 0: throw CancellationError()
            case 1:
                state.withLock { s in
                    let waiter = s.waitingConsumer
                    s.waitingConsumer = nil
                    return waiter
                }?.resume()
                return
            default:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s in
                        if s.cancelled || s.items.count < capacity { return true }
                        s.waitingProducer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Ends the stream after the items sent so far; `failure` is thrown by `next` after them.
    func finish(throwing failure: (any Error)? = nil) {
        state.withLock { s in
            s.finished = true
            s.failure = failure
            let waiter = s.waitingConsumer
            s.waitingConsumer = nil
            return waiter
        }?.resume()
    }

    /// The next element; nil at the end; throws what the producer finished with.
    func next() async throws -> Element? {
        while true {
            let outcome: Outcome = state.withLock { s in
                if !s.items.isEmpty { return .element(s.items.removeFirst()) }
                if s.finished { return s.failure.map { .failed($0) } ?? .end }
                return .wait
            }
            switch outcome {
            case .element(let element):
                state.withLock { s in
                    let waiter = s.waitingProducer
                    s.waitingProducer = nil
                    return waiter
                }?.resume()
                return element
            case .end: return nil
            case .failed(let error): throw error
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s in
                        if !s.items.isEmpty || s.finished { return true }
                        s.waitingConsumer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// The consumer stops reading: the producer's next `send` throws, and a waiting one wakes.
    func cancel() {
        state.withLock { s in
            s.cancelled = true
            s.items.removeAll()
            let waiter = s.waitingProducer
            s.waitingProducer = nil
            return waiter
        }?.resume()
    }
}
