import HTTPTypes
import NIOCore

/// What the S3 service answers: status, header fields and a body. The server turns it into its
/// HTTP framework's response; CofferS3 itself knows no HTTP server.
public struct S3Response: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: Body

    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response body: nothing, bytes at hand, or a stream written as it is produced.
    public enum Body: Sendable {
        case empty
        case buffer(ByteBuffer)
        /// `length` is the exact number of bytes `write` produces, when known in advance.
        case stream(length: Int?, write: @Sendable (inout any ResponseBodySink) async throws -> Void)
    }
}

/// Where a streamed response body goes, piece by piece.
public protocol ResponseBodySink {
    mutating func write(_ buffer: ByteBuffer) async throws
}

/// A request body as it arrives: the server's byte stream, type-erased.
public struct RequestBodyStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    private let make: @Sendable () -> Iterator

    public init<Source: AsyncSequence & Sendable>(_ source: Source) where Source.Element == ByteBuffer {
        make = {
            var iterator = source.makeAsyncIterator()
            return Iterator { try await iterator.next() }
        }
    }

    public func makeAsyncIterator() -> Iterator { make() }

    public struct Iterator: AsyncIteratorProtocol {
        let nextBuffer: () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await nextBuffer() }
    }
}
