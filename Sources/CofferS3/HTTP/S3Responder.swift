import CofferStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The one Hummingbird responder of a listener: it turns the HTTP request into an
/// `S3Request`, lets the service answer it, renders any failure as S3's XML error, stamps
/// `x-amz-request-id` on every response and logs one line per request.
public struct S3Responder: HTTPResponder {
    public typealias Context = S3RequestContext

    let service: S3Service
    let secure: Bool

    public init(service: S3Service, secure: Bool) {
        self.service = service
        self.secure = secure
    }

    public func respond(to request: Request, context: S3RequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let requestId = RequestID.make()
        var response: Response
        var s3Request: S3Request?
        do {
            let parsed = try service.parser.parse(
                method: request.head.method, target: request.head.path ?? "/", authority: request.head.authority,
                headers: request.head.headerFields, secure: secure, sourceIP: context.sourceIP)
            s3Request = parsed
            response = try await service.handle(parsed, body: request.body, requestId: requestId)
        } catch let error as S3Error {
            response = service.errorResponse(error, resource: s3Request?.resource ?? (request.head.path ?? "/"), requestId: requestId, method: request.head.method)
        } catch let error as StorageError {
            let mapped = S3Error(storage: error)
            if mapped.isInternal {
                service.logger.error("storage error", metadata: ["request-id": .string(requestId), "error": .string(String(describing: error))])
            }
            response = service.errorResponse(mapped, resource: s3Request?.resource ?? "/", requestId: requestId, method: request.head.method)
        } catch {
            service.logger.error("internal error", metadata: ["request-id": .string(requestId), "error": .string(String(describing: error))])
            response = service.errorResponse(S3Error(.internalError), resource: s3Request?.resource ?? "/", requestId: requestId, method: request.head.method)
        }
        response.headers[.init("x-amz-request-id")!] = requestId
        response.headers[.init("x-amz-id-2")!] = RequestID.hostId(requestId)
        response.headers[.server] = "Coffer"
        let logger = service.logger
        let method = request.head.method.rawValue
        let path = request.head.path.map { String($0.prefix(while: { $0 != "?" })) } ?? "/"
        let status = response.status.code
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let counting = CountingWriter(base: writer)
            let counter = counting.bytes
            var failure: (any Error)?
            do {
                try await body.write(counting)
            } catch {
                failure = error
            }
            logger.info(
                "request",
                metadata: [
                    "request-id": .string(requestId), "method": .string(method), "path": .string(path),
                    "status": .stringConvertible(status), "bytes": .stringConvertible(counter.value),
                    "duration-ms": .stringConvertible(Self.milliseconds(ContinuousClock.now - started)),
                    "remote": .string(context.sourceIP ?? "-"),
                ].merging(failure.map { ["stream-error": .string(String(describing: $0))] } ?? [:]) { a, _ in a })
            if let failure { throw failure }
        }
        return response
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attos) = duration.components
        return String(format: "%.2f", Double(seconds) * 1000 + Double(attos) / 1e15)
    }
}

/// Counts the body bytes written through it for the request log.
struct CountingWriter: ResponseBodyWriter {
    final class Counter: @unchecked Sendable { var value = 0 }
    var base: any ResponseBodyWriter
    let bytes = Counter()

    mutating func write(_ buffer: ByteBuffer) async throws {
        bytes.value += buffer.readableBytes
        try await base.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}

/// S3-style request ids: 16 upper-case hex characters, unique per request.
public enum RequestID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%016llX", generator.next() as UInt64)
    }

    /// A stand-in for S3's `x-amz-id-2` host id, derived from the request id.
    public static func hostId(_ requestId: String) -> String {
        Data((requestId + "coffer").utf8).base64EncodedString()
    }
}
