import Testing

@testable import CofferS3

/// The producer/consumer buffer behind large GET bodies (`ReadAhead.swift`).
@Suite struct ReadAheadTests {
    struct Boom: Error {}

    @Test func deliversEveryElementInOrderWithBoundedLookahead() async throws {
        let buffer = ReadAheadBuffer<Int>(capacity: 3)
        let producer = Task(executorPreference: ReadAheadExecutor.shared) {
            for i in 0..<10_000 { try await buffer.send(i) }
            buffer.finish()
        }
        var received: [Int] = []
        while let value = try await buffer.next() {
            received.append(value)
            if value % 1000 == 0 { await Task.yield() }
        }
        try await producer.value
        #expect(received == Array(0..<10_000))
    }

    @Test func producerFailureArrivesAfterTheElementsBeforeIt() async throws {
        let buffer = ReadAheadBuffer<Int>(capacity: 2)
        let producer = Task(executorPreference: ReadAheadExecutor.shared) {
            do {
                for i in 0..<5 { try await buffer.send(i) }
                throw Boom()
            } catch {
                buffer.finish(throwing: error)
            }
        }
        var received: [Int] = []
        await #expect(throws: Boom.self) {
            while let value = try await buffer.next() { received.append(value) }
        }
        await producer.value
        #expect(received == [0, 1, 2, 3, 4])
    }

    /// A consumer that stops (a client gone mid-body) releases a producer blocked on a full
    /// buffer, and every later send throws: the producer never hangs.
    @Test func cancellingReleasesABlockedProducer() async throws {
        let buffer = ReadAheadBuffer<Int>(capacity: 1)
        let producer = Task(executorPreference: ReadAheadExecutor.shared) { () -> Int in
            var sent = 0
            do {
                while true {
                    try await buffer.send(sent)
                    sent += 1
                }
            } catch {
                #expect(error is CancellationError)
            }
            return sent
        }
        #expect(try await buffer.next() == 0)
        buffer.cancel()
        let sent = await producer.value
        #expect(sent >= 1 && sent <= 3)
        await #expect(throws: CancellationError.self) { try await buffer.send(99) }
    }

    @Test func anEmptyStreamEndsAtOnce() async throws {
        let buffer = ReadAheadBuffer<[UInt8]>(capacity: 4)
        buffer.finish()
        #expect(try await buffer.next() == nil)
        #expect(try await buffer.next() == nil)
    }
}
