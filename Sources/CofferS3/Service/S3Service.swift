import CofferAudit
import CofferCrypto
import CofferKMS
import CofferPolicy
import CofferStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Everything one S3 request needs once parsed: the request, its body, who sent it.
public struct S3Call: Sendable {
    public var request: S3Request
    public var operation: S3Operation
    public var body: RequestBody
    public var requestId: String
    public var auth: AuthenticatedRequest?
    public var user: User?
    public var now: Date
}

/// The S3 object service: authenticates, authorises and answers each operation over the
/// object store. Handlers live in `S3Service+<Area>.swift`.
public final class S3Service: Sendable {
    public struct Options: Sendable {
        public var region: String
        public var domains: [String]
        /// New buckets block SSE-C writes, as S3 makes them since April 2026 (off by default).
        public var blockSSECOnNewBuckets: Bool
        /// Accept SSE-C keys over plain HTTP (test rigs only; S3 and the default refuse them).
        public var allowSSECOverHTTP: Bool
        public init(region: String = "us-east-1", domains: [String] = ["localhost"], blockSSECOnNewBuckets: Bool = false, allowSSECOverHTTP: Bool = false) {
            self.region = region
            self.domains = domains
            self.blockSSECOnNewBuckets = blockSSECOnNewBuckets
            self.allowSSECOverHTTP = allowSSECOverHTTP
        }
    }

    public let store: ObjectStore
    public let users: UserDirectory
    public let options: Options
    public let logger: Logger
    /// Key-service calls made for SSE-KMS since start (for benchmarks).
    public var kmsCallCount: Int { keys.kms?.calls.count ?? 0 }
    let parser: S3RequestParser
    let verifier: SigV4Verifier
    let kmsVerifier: SigV4Verifier
    let cloudTrailVerifier: SigV4Verifier
    let keys: ObjectKeys
    /// The AWS KMS API of the built-in key service, served on this endpoint.
    let kmsAPI: KMSAPI?
    /// CloudTrail's LookupEvents over the audit trail: request body → (status, body).
    let lookupEvents: (@Sendable ([UInt8]) -> (Int, [UInt8]))?
    /// Where S3 data events go (nil: not recorded).
    let audit: AuditRecorder?
    /// Parsed bucket policies by bucket name, with the text they were parsed from.
    let policyCache = Mutex([String: (text: String, policy: Policy)]())
    let clock: @Sendable () -> Date

    /// The largest single PUT S3 accepts (5 GiB).
    static let maxPutSize: Int64 = 5 * 1024 * 1024 * 1024

    public init(
        store: ObjectStore, users: UserDirectory, keyring: RootKeyring, options: Options, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }, plainStageForBenchmark: Bool = false,
        keyService: (any KeyService)? = nil, bucketKeyLimits: DataKeyCache.Limits = .init(), kmsAPI: KMSAPI? = nil,
        lookupEvents: (@Sendable ([UInt8]) -> (Int, [UInt8]))? = nil, audit: AuditRecorder? = nil
    ) {
        self.audit = audit
        self.store = store
        self.keys = ObjectKeys(keyring: keyring, kms: keyService.map { KMSKeys(service: $0, bucketKeyLimits: bucketKeyLimits) }, plainStageForBenchmark: plainStageForBenchmark)
        self.kmsAPI = kmsAPI
        self.lookupEvents = lookupEvents
        self.users = users
        self.options = options
        self.logger = logger
        self.parser = S3RequestParser(domains: options.domains)
        self.verifier = SigV4Verifier(region: options.region, service: "s3", credentials: UserCredentialProvider(users: users))
        self.kmsVerifier = SigV4Verifier(region: options.region, service: "kms", credentials: UserCredentialProvider(users: users))
        self.cloudTrailVerifier = SigV4Verifier(region: options.region, service: "cloudtrail", credentials: UserCredentialProvider(users: users))
        self.clock = clock
    }

    func handle(_ request: S3Request, body: RequestBody, requestId: String) async throws -> Response {
        if request.method == .get, request.rawPath == "/_coffer/health", request.bucket == "_coffer" {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        if Self.isJSONAPI(request) {
            return try await handleJSONAPI(request, body: body, requestId: requestId)
        }
        let operation = try S3Operation.parse(request)
        let now = clock()
        var call = S3Call(request: request, operation: operation, body: body, requestId: requestId, auth: nil, user: nil, now: now)
        do {
            let result = try verifier.verify(request.sigV4Request, now: now)
            if case .authenticated(let auth) = result {
                call.auth = auth
                call.user = users.user(accessKeyId: auth.accessKeyId)
            }
            if let bucket = request.bucket, operation != .createBucket, !BucketName.isValid(bucket) {
                // S3 answers requests for names that can never exist as a missing bucket.
                throw S3Error(.noSuchBucket, extra: [("BucketName", bucket)])
            }
            let response = try await dispatch(call)
            try recordDataEvent(call, failure: nil)
            return response
        } catch {
            let code: String
            switch error {
            case let s3 as S3Error: code = s3.code.rawValue
            case let storage as StorageError: code = S3Error(storage: storage).code.rawValue
            default: code = S3ErrorCode.internalError.rawValue
            }
            if code != S3ErrorCode.notModified.rawValue {
                try recordDataEvent(call, failure: code)
            } else {
                try recordDataEvent(call, failure: nil)
            }
            throw error
        }
    }

    /// S3 operations on objects, recorded as CloudTrail data events; other requests are
    /// recorded only when refused (AccessDenied and failed authentication).
    static let dataEventOperations: Set<S3Operation> = [
        .putObject, .getObject, .headObject, .deleteObject, .deleteObjects, .copyObject, .createMultipartUpload,
        .uploadPart, .uploadPartCopy, .completeMultipartUpload, .abortMultipartUpload, .listParts,
    ]
    static let deniedCodes: Set<String> = [
        S3ErrorCode.accessDenied.rawValue, S3ErrorCode.signatureDoesNotMatch.rawValue, S3ErrorCode.invalidAccessKeyId.rawValue,
        S3ErrorCode.requestTimeTooSkewed.rawValue, S3ErrorCode.authorizationHeaderMalformed.rawValue,
    ]

    /// Records the request in the audit trail before its answer leaves; a failure to record
    /// fails the request (500), as no audited operation may go unrecorded.
    func recordDataEvent(_ call: S3Call, failure code: String?) throws {
        guard let audit, audit.isEnabled else { return }
        let denied = code.map { Self.deniedCodes.contains($0) } ?? false
        guard Self.dataEventOperations.contains(call.operation) || denied else { return }
        var parameters: [String: AuditJSON] = [:]
        for name in ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm", "x-amz-copy-source", "range"] {
            if let value = call.request.header(name) { parameters[name] = .string(value) }
        }
        if let upload = call.request.queryValue("uploadId") { parameters["uploadId"] = .string(upload) }
        if let part = call.request.queryValue("partNumber") { parameters["partNumber"] = .string(part) }
        do {
            try audit.recordS3(call.operation.rawValue, call: call, ownerAccount: users.root.accountId, failure: code.map { AuditFailure(code: $0) }, parameters: parameters)
        } catch {
            logger.error("audit trail: cannot record an S3 event; the request fails", metadata: ["request-id": .string(call.requestId), "error": .string(String(describing: error))])
            throw S3Error(.internalError, "The request could not be recorded in the audit trail.")
        }
    }

    private func dispatch(_ call: S3Call) async throws -> Response {
        switch call.operation {
        case .listBuckets: try listBuckets(call)
        case .createBucket: try await createBucket(call)
        case .headBucket: try headBucket(call)
        case .deleteBucket: try await deleteBucket(call)
        case .getBucketLocation: try getBucketLocation(call)
        case .getBucketAcl, .getObjectAcl: try getAcl(call)
        case .putBucketAcl, .putObjectAcl: try await putAcl(call)
        case .getBucketVersioning: try getBucketVersioning(call)
        case .getBucketOwnershipControls: try getBucketOwnershipControls(call)
        case .putBucketEncryption: try await putBucketEncryption(call)
        case .getBucketEncryption: try getBucketEncryption(call)
        case .deleteBucketEncryption: try await deleteBucketEncryption(call)
        case .listObjects, .listObjectsV2: try listObjects(call)
        case .listObjectVersions: try listObjectVersions(call)
        case .listMultipartUploads: try listMultipartUploads(call)
        case .deleteObjects: try await deleteObjects(call)
        case .putObject: try await putObject(call)
        case .getObject, .headObject: try await getObject(call)
        case .deleteObject: try await deleteObject(call)
        case .copyObject: try await copyObject(call)
        case .createMultipartUpload: try await createMultipartUpload(call)
        case .uploadPart: try await uploadPart(call)
        case .uploadPartCopy: try await uploadPartCopy(call)
        case .completeMultipartUpload: try await completeMultipartUpload(call)
        case .abortMultipartUpload: try await abortMultipartUpload(call)
        case .listParts: try listParts(call)
        case .putBucketPolicy: try await putBucketPolicy(call)
        case .getBucketPolicy: try getBucketPolicy(call)
        case .deleteBucketPolicy: try await deleteBucketPolicy(call)
        case .getBucketPolicyStatus: try getBucketPolicyStatus(call)
        }
    }

    /// Runs a storage call that may block (a synced LevelDB write, reclaiming a large blob) on
    /// NIO's blocking-I/O thread pool, off Swift's cooperative threads and the event loops.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    // MARK: Responses

    func errorResponse(_ error: S3Error, resource: String, requestId: String, method: HTTPRequest.Method) -> Response {
        var headers = error.headers
        if error.code == .notModified {
            return Response(status: .notModified, headers: headers)
        }
        var xml = XMLWriter()
        xml.element("Error") { x in
            x.element("Code", error.code.rawValue)
            x.element("Message", error.message)
            for (name, value) in error.extra { x.element(name, value) }
            x.element("Resource", resource)
            x.element("RequestId", requestId)
            x.element("HostId", RequestID.hostId(requestId))
        }
        headers[.contentType] = "application/xml"
        if method == .head {
            return Response(status: error.status, headers: headers)
        }
        let buffer = ByteBuffer(string: xml.document)
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: buffer))
    }

    func xmlResponse(_ xml: XMLWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/xml"
        let buffer = ByteBuffer(string: xml.document)
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    func emptyResponse(_ status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers)
    }
}

/// Adapts the user directory to the SigV4 verifier's credential lookup.
struct UserCredentialProvider: CredentialProvider {
    let users: UserDirectory
    func credential(forAccessKeyId accessKeyId: String) -> Credential? {
        users.user(accessKeyId: accessKeyId).map {
            Credential(accessKeyId: $0.accessKeyId, secretAccessKey: $0.secretAccessKey, userName: $0.name)
        }
    }
}

extension S3Request {
    var sigV4Request: SigV4Request {
        var list: [(name: String, value: String)] = [("host", host)]
        for field in headers { list.append((field.name.canonicalName, field.value)) }
        return SigV4Request(method: method.rawValue, rawPath: rawPath, rawQuery: rawQuery, headers: list)
    }
}
