import AsyncHTTPClient
import CofferCrypto
import CofferKMS
import CofferSigV4
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

extension AWSKMSKeyService {
    /// Sends one AWS KMS operation (`X-Amz-Target: TrentService.<operation>`) with `body` as its
    /// JSON request, signed and retried like every call of the service, and returns the raw
    /// response body of the 2xx answer (empty for operations that answer nothing).
    ///
    /// For management calls the ``KeyService`` protocol does not cover: `CreateKey`,
    /// `DisableKey`, `ScheduleKeyDeletion`... with the ``KMSWire`` bodies.
    /// - Throws: ``KMSError``: the service's refusal (its exception name and HTTP status), or
    ///   `.unavailable` when it could not be reached within the configured attempts.
    public func send(operation: String, body: some Encodable) async throws -> [UInt8] {
        guard !operation.isEmpty, operation.utf8.allSatisfy({ $0.isASCIILetter }) else {
            throw KMSError(.validation, "invalid KMS operation name '\(operation.prefix(64))'")
        }
        let payload: [UInt8]
        do {
            payload = Array(try Self.encoder.encode(body))
        } catch {
            throw KMSError(.serialization, "could not encode the \(operation) request")
        }
        return try await perform(operation: operation, payload: payload)
    }

    /// ``send(operation:body:)``, decoding the answer as `Response`.
    /// - Throws: ``KMSError``; `.unavailable` ("malformed response") when the answer does not decode.
    public func send<Response: Decodable>(
        operation: String, body: some Encodable, as type: Response.Type = Response.self
    ) async throws -> Response {
        let bytes = try await send(operation: operation, body: body)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw malformed(operation, Self.describe(error))
        } catch {
            throw malformed(operation, "not JSON")
        }
    }

    func malformed(_ operation: String, _ detail: String) -> KMSError {
        KMSError(.unavailable, "malformed response from key service at \(host) to \(operation): \(detail)")
    }

    // MARK: - Attempts

    enum AttemptOutcome {
        case success([UInt8])
        /// The service answered with an error.
        case refused(KMSError)
        /// No answer: connect failure, timeout, dropped connection. Described without secrets.
        case unreachable(String)
        /// A failure that another attempt cannot cure.
        case failed(KMSError)
    }

    func perform(operation: String, payload: [UInt8]) async throws -> [UInt8] {
        var attempt = 0
        while true {
            attempt += 1
            let outcome = await attemptOnce(operation: operation, payload: payload)
            let finalError: KMSError
            let retryable: Bool
            switch outcome {
            case let .success(bytes):
                return bytes
            case let .refused(error):
                finalError = error
                retryable = ErrorResponse.isRetryable(error)
            case let .unreachable(reason):
                finalError = KMSError(
                    .unavailable,
                    "key service at \(host) unreachable: \(reason) (\(attempt) attempt\(attempt == 1 ? "" : "s"))")
                retryable = true
            case let .failed(error):
                throw error
            }
            guard retryable, attempt < retry.maxAttempts else {
                if retryable {
                    logger.warning("key service call failed after every attempt", metadata: [
                        "kms.operation": "\(operation)", "kms.host": "\(host)", "kms.attempts": "\(attempt)",
                        "kms.error": "\(finalError.code)",
                    ])
                }
                throw finalError
            }
            let delay = environment.jitter(retry.cap(beforeRetry: attempt))
            logger.debug("retrying key service call", metadata: [
                "kms.operation": "\(operation)", "kms.host": "\(host)", "kms.attempt": "\(attempt)",
                "kms.error": "\(finalError.code)", "kms.delay": "\(delay)",
            ])
            do {
                try await environment.sleep(delay)
            } catch {
                throw cancelled(operation)
            }
        }
    }

    private func cancelled(_ operation: String) -> KMSError {
        KMSError(.unavailable, "\(operation) call to key service at \(host) was cancelled")
    }

    private func attemptOnce(operation: String, payload: [UInt8]) async -> AttemptOutcome {
        if Task.isCancelled { return .failed(cancelled(operation)) }
        let request = makeRequest(operation: operation, payload: payload)
        let status: Int
        let errorType: String?
        let body: [UInt8]
        do {
            let response = try await http.execute(request, deadline: .now() + requestTimeout)
            status = Int(response.status.code)
            errorType = response.headers.first(name: "x-amzn-errortype")
            let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            body = Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            return .failed(malformed(operation, "more than \(Self.maxResponseBytes) bytes"))
        } catch {
            if Task.isCancelled { return .failed(cancelled(operation)) }
            return .unreachable(String(String(describing: error).prefix(200)))
        }
        if (200..<300).contains(status) { return .success(body) }
        return .refused(ErrorResponse.error(status: status, errorTypeHeader: errorType, body: body, host: host))
    }

    /// The signed request: `host`, `content-type`, `x-amz-target` and `x-amz-date` are signed,
    /// the payload hash is the body's SHA-256 in hex.
    private func makeRequest(operation: String, payload: [UInt8]) -> HTTPClientRequest {
        let headers: [(name: String, value: String)] = [
            ("host", host), ("content-type", KMSWire.contentType), ("x-amz-target", KMSWire.targetPrefix + operation),
        ]
        let signed = signer.sign(
            SigV4Request(method: "POST", rawPath: rawPath, rawQuery: "", headers: headers),
            date: environment.now(), payloadHash: Hex.encode(CofferCrypto.SHA256.hash(payload)))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in signed.request.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "user-agent", value: "coffer-kms-client")
        request.body = .bytes(ByteBuffer(bytes: payload))
        return request
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// Where decoding failed, never the value found there (it may be key material).
    static func describe(_ error: DecodingError) -> String {
        let path = { (context: DecodingError.Context) in
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            let at = path(context)
            return "missing \(at.isEmpty ? "" : at + ".")\(key.stringValue)"
        case let .valueNotFound(_, context), let .typeMismatch(_, context):
            return "unexpected value at \(path(context).isEmpty ? "top level" : path(context))"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not JSON" : "invalid value at \(path(context))"
        @unknown default:
            return "undecodable"
        }
    }
}

private extension UInt8 {
    var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
