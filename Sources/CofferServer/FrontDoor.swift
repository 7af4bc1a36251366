import CofferKMS
import CofferS3
import CofferStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The one Hummingbird responder of a listener: every request enters here. It routes to the
/// health check, AWS's JSON-protocol APIs (KMS, CloudTrail LookupEvents; `FrontDoor+JSONAPIs`)
/// or the S3 pipeline (`S3Service.handle`), renders any S3 failure as S3's XML error, stamps
/// `x-amz-request-id` on every response and logs one line per request.
public struct FrontDoor: HTTPResponder {
    public typealias Context = FrontDoorContext

    let service: S3Service
    let jsonAPIs: JSONAPIs
    let secure: Bool

    public init(service: S3Service, jsonAPIs: JSONAPIs, secure: Bool) {
        self.service = service
        self.jsonAPIs = jsonAPIs
        self.secure = secure
    }

    public func respond(to request: Request, context: FrontDoorContext) async throws -> Response {
        let started = ContinuousClock.now
        let requestId = RequestID.make()
        var response: Response
        var s3Request: S3Request?
        do {
            let parsed = try service.parser.parse(
                method: request.head.method, target: request.head.path ?? "/", authority: request.head.authority,
                headers: request.head.headerFields, secure: secure, sourceIP: context.sourceIP)
            s3Request = parsed
            response = try await route(parsed, body: request.body, requestId: requestId)
        } catch let error as S3Error {
            response = Response(service.errorResponse(error, resource: s3Request?.resource ?? (request.head.path ?? "/"), requestId: requestId, method: request.head.method))
        } catch let error as StorageError {
            let mapped = S3Error(storage: error)
            if mapped.isInternal {
                service.logger.error("storage error", metadata: ["request-id": .string(requestId), "error": .string(String(describing: error))])
            }
            response = Response(service.errorResponse(mapped, resource: s3Request?.resource ?? "/", requestId: requestId, method: request.head.method))
        } catch {
            service.logger.error("internal error", metadata: ["request-id": .string(requestId), "error": .string(String(describing: error))])
            response = Response(service.errorResponse(S3Error(.internalError), resource: s3Request?.resource ?? "/", requestId: requestId, method: request.head.method))
        }
        response.headers[.xAmzRequestId] = requestId
        response.headers[.xAmzId2] = RequestID.hostId(requestId)
        response.headers[.server] = "Coffer"
        return logged(response, request: request, context: context, requestId: requestId, started: started)
    }

    /// Health, the JSON-protocol APIs, or S3.
    func route(_ request: S3Request, body: RequestBody, requestId: String) async throws -> Response {
        if request.method == .get, request.rawPath == "/_coffer/health" {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        if JSONAPIs.accepts(request) {
            return try await jsonAPIs.handle(request, body: body, requestId: requestId)
        }
        return Response(try await service.handle(request, body: RequestBodyStream(body), requestId: requestId))
    }

    /// Wraps the body so that the request's log line is written once the body has been sent.
    func logged(_ response: Response, request: Request, context: FrontDoorContext, requestId: String, started: ContinuousClock.Instant) -> Response {
        var response = response
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

extension Response {
    /// Hummingbird's form of an S3 response.
    init(_ response: S3Response) {
        switch response.body {
        case .empty:
            self.init(status: response.status, headers: response.headers)
        case .buffer(let buffer):
            self.init(status: response.status, headers: response.headers, body: .init(byteBuffer: buffer))
        case .stream(let length, let write):
            self.init(status: response.status, headers: response.headers, body: ResponseBody(contentLength: length) { writer in
                var sink: any ResponseBodySink = WriterSink(base: writer)
                try await write(&sink)
                try await writer.finish(nil)
            })
        }
    }
}

/// Hands a streamed S3 body to Hummingbird's writer.
struct WriterSink: ResponseBodySink {
    var base: any ResponseBodyWriter
    mutating func write(_ buffer: ByteBuffer) async throws { try await base.write(buffer) }
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
