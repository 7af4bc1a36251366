import CofferSigV4
import CofferCrypto
import CofferKMS
import CofferS3
import Hummingbird
import Foundation
import HTTPTypes
import NIOCore

/// AWS's JSON-protocol APIs on Coffer's endpoint, told apart from S3 by `X-Amz-Target`:
/// KMS (`TrentService.*`, SigV4 service `kms`) and CloudTrail's LookupEvents
/// (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*`, service `cloudtrail`), so that
/// `aws kms ...` and `aws cloudtrail lookup-events` work with `--endpoint-url`. Callers
/// authenticate with SigV4 for their service and the users of the S3 endpoint.
public struct JSONAPIs: Sendable {
    static let cloudTrailTargetPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
    static let maxJSONBody = 1 << 20

    let users: UserDirectory
    let kmsVerifier: SigV4Verifier
    let cloudTrailVerifier: SigV4Verifier
    /// The AWS KMS API of the built-in key service, served on this endpoint.
    let kmsAPI: KMSAPI?
    /// CloudTrail's LookupEvents over the audit trail: request body → (status, body).
    let lookupEvents: (@Sendable ([UInt8]) -> (Int, [UInt8]))?
    /// Called after a KMS operation changed a key's state or an alias (S3 drops cached bucket
    /// keys, on every node of a shared store before the KMS call answers).
    let keyStateChanged: @Sendable () async -> Void
    let clock: @Sendable () -> Date

    public init(
        users: UserDirectory, region: String, kmsAPI: KMSAPI?, lookupEvents: (@Sendable ([UInt8]) -> (Int, [UInt8]))?,
        keyStateChanged: @escaping @Sendable () async -> Void, clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.users = users
        self.kmsVerifier = SigV4Verifier(region: region, service: "kms", credentials: UserCredentialProvider(users: users))
        self.cloudTrailVerifier = SigV4Verifier(region: region, service: "cloudtrail", credentials: UserCredentialProvider(users: users))
        self.kmsAPI = kmsAPI
        self.lookupEvents = lookupEvents
        self.keyStateChanged = keyStateChanged
        self.clock = clock
    }

    static func accepts(_ request: S3Request) -> Bool {
        request.method == .post && request.rawPath == "/" && request.header(.xAmzTarget) != nil
    }

    func handle(_ request: S3Request, body: RequestBody, requestId: String) async throws -> Response {
        let target = request.header(.xAmzTarget) ?? ""
        let service: String
        if target.hasPrefix(KMSWire.targetPrefix) {
            service = "kms"
        } else if target.hasPrefix(Self.cloudTrailTargetPrefix) {
            service = "cloudtrail"
        } else {
            return jsonError("UnknownOperationException", nil, status: .badRequest, requestId: requestId)
        }
        var bytes: [UInt8] = []
        for try await var buffer in body {
            guard bytes.count + buffer.readableBytes <= Self.maxJSONBody else {
                return jsonError("SerializationException", "Request body is too large", status: .contentTooLarge, requestId: requestId)
            }
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        let verifier = service == "kms" ? kmsVerifier : cloudTrailVerifier
        let user: User
        let accessKeyId: String
        do throws(SigV4Error) {
            switch try verifier.verify(request.sigV4Request, now: clock(), bodySHA256Hex: Hex.encode(SHA256.hash(bytes))) {
            case .anonymous:
                return jsonError("MissingAuthenticationTokenException", "Request is missing Authentication Token", status: .badRequest, requestId: requestId)
            case .authenticated(let auth):
                guard let found = users.user(accessKeyId: auth.accessKeyId) else {
                    return jsonError("UnrecognizedClientException", "The security token included in the request is invalid.", status: .badRequest, requestId: requestId)
                }
                user = found
                accessKeyId = auth.accessKeyId
            }
        } catch {
            let answer = error.jsonProtocolError(service: service)
            return jsonError(answer.type, answer.message, status: .badRequest, requestId: requestId)
        }
        let caller = KMSCaller(principalArn: user.arn, accountId: user.accountId, userName: user.isRoot ? nil : user.name, accessKeyId: accessKeyId,
                               sourceIPAddress: request.sourceIP, userAgent: request.header(.userAgent), requestID: requestId,
                               identityPolicy: user.policy)
        if service == "cloudtrail" {
            guard let lookupEvents else {
                return jsonError("UnsupportedOperationException", "The audit trail is not enabled", status: .badRequest, requestId: requestId)
            }
            let operation = String(target.dropFirst(Self.cloudTrailTargetPrefix.count))
            guard operation == "LookupEvents" else {
                return jsonError("UnknownOperationException", nil, status: .badRequest, requestId: requestId)
            }
            let (status, body) = lookupEvents(bytes)
            return jsonResponse(body, status: HTTPResponse.Status(code: status), requestId: requestId)
        }
        guard let kmsAPI else {
            return jsonError("UnsupportedOperationException", "The built-in key service is not enabled", status: .badRequest, requestId: requestId)
        }
        let answer = kmsAPI.handle(target: target, body: bytes, caller: caller)
        if answer.status == 200, Self.keyStateChanging.contains(String(target.dropFirst(KMSWire.targetPrefix.count))) {
            await keyStateChanged()
        }
        return jsonResponse(answer.body, status: HTTPResponse.Status(code: answer.status), requestId: requestId)
    }

    /// Operations after which cached bucket keys must not outlive the key's new state.
    /// (Alias changes too: bucket keys are cached by the key id as the request named it.)
    static let keyStateChanging: Set<String> = ["DisableKey", "ScheduleKeyDeletion", "CreateAlias", "UpdateAlias", "DeleteAlias"]

    func jsonResponse(_ body: [UInt8], status: HTTPResponse.Status, requestId: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = KMSWire.contentType
        headers[.contentLength] = String(body.count)
        headers[.xAmznRequestId] = requestId
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func jsonError(_ type: String, _ message: String?, status: HTTPResponse.Status, requestId: String) -> Response {
        let body = KMSWire.ErrorBody(__type: type, message: message)
        return jsonResponse(Array((try? JSONEncoder().encode(body)) ?? Data("{}".utf8)), status: status, requestId: requestId)
    }
}
