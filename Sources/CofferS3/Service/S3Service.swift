import CofferCache
import CofferSigV4
import CofferAudit
import CofferCrypto
import CofferKMS
import CofferPolicy
import CofferStorage
import Foundation
import HTTPTypes
import Logging
import NIOCore
import Synchronization

/// Everything one S3 request needs once parsed: the request, its body, who sent it.
public struct S3Call: Sendable {
    public let request: S3Request
    public let operation: S3Operation
    /// The operation's row for this request (its version form when it names a version),
    /// looked up once: the pipeline, the handler and the audit record all read it.
    let spec: OperationSpec
    public var body: RequestBodyStream
    public var requestId: String
    public var auth: AuthenticatedRequest?
    public var user: User?
    public var now: Date
    /// The signature the request presented, verified or not (the audit trail names it for
    /// refused requests too); nil for an anonymous request.
    public var mechanism: SignatureMechanism? = nil
    /// Whether the handler already put the call's data event in the trail (a write whose
    /// record travelled with its commit, `S3Service+DataEvents.swift`).
    let dataEvent = DataEventState()
    /// The valid tags the request sets, found by the pipeline before it authorises
    /// (`S3PolicyRequest.requestTags`): the request's `s3:RequestObjectTag/<key>` keys.
    var requestTags: [StoredTag]? = nil
    /// The body the pipeline read before authorising (`OperationSpec.readsBodyFirst`), whose
    /// content is in the request context (tags, a retention, a legal hold).
    var prefetchedBytes: [UInt8]? = nil

    init(request: S3Request, operation: S3Operation, body: RequestBodyStream, requestId: String, now: Date) {
        self.request = request
        self.operation = operation
        self.spec = operation.spec(for: request)
        self.body = body
        self.requestId = requestId
        self.now = now
    }
}

/// Shared by every copy of one call: set once its data event is in the trail (`recorded`), or
/// once a failure record more precise than the pipeline's was (`failureRecorded`: a damaged
/// object's record names its package).
final class DataEventState: Sendable {
    private let recorded = Atomic<Bool>(false)
    private let failureRecorded = Atomic<Bool>(false)
    private let bodyParameters = Mutex<[String: AuditJSON]>([:])
    /// Request parameters the handler read from the body (a retention, a legal hold), which
    /// the call's record names beside those of its headers, whether it succeeds or fails.
    var parameters: [String: AuditJSON] { bodyParameters.withLock { $0 } }
    func addParameters(_ more: [String: AuditJSON]) { bodyParameters.withLock { $0.merge(more) { _, new in new } } }
    var isRecorded: Bool { recorded.load(ordering: .acquiring) }
    func markRecorded() { recorded.store(true, ordering: .releasing) }
    var isFailureRecorded: Bool { failureRecorded.load(ordering: .acquiring) }
    func markFailureRecorded() { failureRecorded.store(true, ordering: .releasing) }
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
        /// Verify Signature Version 2 requests as S3 did (the default); when false every SigV2
        /// request is refused with 403 AccessDenied (`--sigv2 deny`).
        public var acceptSigV2: Bool
        public init(region: String = "us-east-1", domains: [String] = ["localhost"], blockSSECOnNewBuckets: Bool = false, allowSSECOverHTTP: Bool = false,
                    acceptSigV2: Bool = true) {
            self.region = region
            self.domains = domains
            self.blockSSECOnNewBuckets = blockSSECOnNewBuckets
            self.allowSSECOverHTTP = allowSSECOverHTTP
            self.acceptSigV2 = acceptSigV2
        }
    }

    public let store: ObjectStore
    public let users: UserDirectory
    public let options: Options
    public let logger: Logger
    /// Key-service calls made for SSE-KMS since start (for benchmarks).
    public var kmsCallCount: Int { keys.kms?.calls.count ?? 0 }
    /// Splits request targets into bucket and key (the front door uses the same parser).
    public let parser: S3RequestParser
    let verifier: SigV4Verifier
    let sigV2Verifier: SigV2Verifier
    let keys: ObjectKeys
    /// Where S3 data events go (nil: not recorded).
    let dataEvents: (any DataEventSink)?
    /// Parsed bucket policies by bucket name, with the text they were parsed from.
    let policyCache = BoundedCache<String, (source: String, value: Policy)>(capacity: 256)
    let clock: @Sendable () -> Date

    /// The largest single PUT S3 accepts (5 GiB).
    static let maxPutSize: Int64 = 5 * 1024 * 1024 * 1024

    public init(
        store: ObjectStore, users: UserDirectory, keyring: RootKeyring, options: Options, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }, packageStage: any PackageStage = SealedPackageStage(),
        keyService: (any KeyService)? = nil, bucketKeyLimits: DataKeyCache.Limits = .init(), dataEvents: (any DataEventSink)? = nil
    ) {
        self.dataEvents = dataEvents
        self.store = store
        self.keys = ObjectKeys(keyring: keyring, kms: keyService.map { KMSKeys(service: $0, bucketKeyLimits: bucketKeyLimits) }, stage: packageStage)
        self.users = users
        self.options = options
        self.logger = logger
        self.parser = S3RequestParser(domains: options.domains)
        self.verifier = SigV4Verifier(region: options.region, service: "s3", credentials: UserCredentialProvider(users: users))
        self.sigV2Verifier = SigV2Verifier(credentials: UserCredentialProvider(users: users))
        self.clock = clock
    }

    /// The S3 request pipeline: operation, authentication, authorisation (the operation table),
    /// the handler, the audit record. Throws the S3 error to answer.
    public func handle(_ request: S3Request, body: RequestBodyStream, requestId: String) async throws -> S3Response {
        let operation = try S3Operation.parse(request)
        let now = clock()
        var call = S3Call(request: request, operation: operation, body: body, requestId: requestId, now: now)
        do {
            let signed = request.sigV4Request
            do throws(SigV4Error) { call.mechanism = try SignatureMechanism.presented(by: signed) } catch { throw S3Error(error) }
            if let auth = try authenticate(request, signed, call.mechanism, now: now) {
                call.auth = auth
                call.user = users.user(accessKeyId: auth.accessKeyId)
            }
            if let bucket = request.bucket, operation != .createBucket, !BucketName.isValid(bucket) {
                // S3 answers requests for names that can never exist as a missing bucket.
                throw S3Error(.noSuchBucket, extra: [("BucketName", bucket)])
            }
            let response = try await dispatch(try await authorize(call))
            try recordDataEvent(call, failure: nil)
            return response
        } catch {
            let code: String
            var message: String?
            switch error {
            case let s3 as S3Error:
                code = s3.code.rawValue
                // Why an Object Lock refused a removal or change, in S3's words (no secret).
                if s3.message == S3Error.objectLockedMessage { message = s3.message }
            case let storage as StorageError: code = S3Error(storage: storage).code.rawValue
            default: code = S3ErrorCode.internalError.rawValue
            }
            if code != S3ErrorCode.notModified.rawValue {
                try recordDataEvent(call, failure: code, message: message)
            } else {
                try recordDataEvent(call, failure: nil)
            }
            throw error
        }
    }

    static let sigV2Disabled = "AWS Signature Version 2 is disabled on this server; sign requests with AWS4-HMAC-SHA256 (Signature Version 4)."

    /// Verifies the signature `mechanism` names: SigV4, or SigV2 unless this server refuses it
    /// (`acceptSigV2` false: 403 AccessDenied before any key is looked up). Nil: anonymous.
    func authenticate(_ request: S3Request, _ signed: SigV4Request, _ mechanism: SignatureMechanism?, now: Date) throws(S3Error) -> AuthenticatedRequest? {
        guard let mechanism else { return nil }
        if mechanism.version == .v2, !options.acceptSigV2 { throw S3Error(.accessDenied, Self.sigV2Disabled) }
        do throws(SigV4Error) {
            switch mechanism.version {
            case .v4:
                guard case .authenticated(let auth) = try verifier.verify(signed, now: now) else { return nil }
                return auth
            case .v2:
                return try sigV2Verifier.verify(signed, virtualHostBucket: request.addressing == .virtualHost ? request.bucket : nil, now: now)
            }
        } catch { throw S3Error(error) }
    }

    /// Refusals recorded whatever the operation (the table's `.whenRefused` audit).
    static let deniedCodes: Set<String> = [
        S3ErrorCode.accessDenied.rawValue, S3ErrorCode.signatureDoesNotMatch.rawValue, S3ErrorCode.invalidAccessKeyId.rawValue,
        S3ErrorCode.requestTimeTooSkewed.rawValue, S3ErrorCode.authorizationHeaderMalformed.rawValue,
    ]

    /// Records the request in the audit trail before its answer leaves; a failure to record
    /// fails the request (500), as no audited operation may go unrecorded.
    func recordDataEvent(_ call: S3Call, failure code: String?, message: String? = nil) throws {
        guard let dataEvents, dataEvents.isEnabled else { return }
        let denied = code.map { Self.deniedCodes.contains($0) } ?? false
        guard call.spec.audit == .dataEvent || denied else { return }
        if code == nil, call.dataEvent.isRecorded { return }
        if code != nil, call.dataEvent.isFailureRecorded { return }
        do {
            try dataEvents.record(call.operation.rawValue, call: call, key: call.request.key, ownerAccount: users.root.accountId, failure: code.map { AuditFailure(code: $0, message: message) }, parameters: Self.dataEventParameters(call))
        } catch {
            logger.error("audit trail: cannot record an S3 event; the request fails", metadata: ["request-id": .string(call.requestId), "error": .string(String(describing: error))])
            throw S3Error(.internalError, "The request could not be recorded in the audit trail.")
        }
    }

    /// The request parameters a data event names (never a secret: no key, no signature).
    static func dataEventParameters(_ call: S3Call) -> [String: AuditJSON] {
        var parameters: [String: AuditJSON] = [:]
        for name in ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm", "x-amz-copy-source", "range",
                     HTTPField.Name.xAmzTagging.canonicalName, HTTPField.Name.xAmzTaggingDirective.canonicalName,
                     // Object Lock: what a write asks to lock, and a bypass as asked (whether it was in
                     // effect is the handler's `bypassGovernanceRetention`).
                     HTTPField.Name.xAmzObjectLockMode.canonicalName, HTTPField.Name.xAmzObjectLockRetainUntilDate.canonicalName,
                     HTTPField.Name.xAmzObjectLockLegalHold.canonicalName, HTTPField.Name.xAmzBypassGovernanceRetention.canonicalName] {
            if let value = call.request.header(name) { parameters[name] = .string(value) }
        }
        // The tag set PutObjectTagging's body sets, in the header's form (tags are not secret).
        if call.operation == .putObjectTagging, let tags = call.requestTags { parameters["tagging"] = .string(TaggingHeader.encode(tags)) }
        if let upload = call.request.queryValue("uploadId") { parameters["uploadId"] = .string(upload) }
        if let part = call.request.queryValue("partNumber") { parameters["partNumber"] = .string(part) }
        if let version = call.request.queryValue("versionId") { parameters["versionId"] = .string(version) }
        parameters.merge(call.dataEvent.parameters) { _, fromBody in fromBody }
        return parameters
    }

    /// Hands the authorised call to the operation's handler.
    private func dispatch(_ call: AuthorizedCall) async throws -> S3Response {
        switch call.operation {
        case .listBuckets: try await listBuckets(call)
        case .createBucket: try await createBucket(call)
        case .headBucket: try headBucket(call)
        case .deleteBucket: try await deleteBucket(call)
        case .getBucketLocation: try getBucketLocation(call)
        case .getBucketAcl, .getObjectAcl: try await getAcl(call)
        case .putBucketAcl, .putObjectAcl: try await putAcl(call)
        case .getBucketVersioning: try getBucketVersioning(call)
        case .putBucketVersioning: try await putBucketVersioning(call)
        case .getBucketOwnershipControls: try getBucketOwnershipControls(call)
        case .putBucketEncryption: try await putBucketEncryption(call)
        case .getBucketEncryption: try getBucketEncryption(call)
        case .deleteBucketEncryption: try await deleteBucketEncryption(call)
        case .listObjects, .listObjectsV2: try await listObjects(call)
        case .listObjectVersions: try await listObjectVersions(call)
        case .listMultipartUploads: try await listMultipartUploads(call)
        case .deleteObjects: try await deleteObjects(call)
        case .putObject: try await putObject(call)
        case .getObject, .headObject: try await getObject(call)
        case .getObjectAttributes: try await getObjectAttributes(call)
        case .deleteObject: try await deleteObject(call)
        case .copyObject: try await copyObject(call)
        case .createMultipartUpload: try await createMultipartUpload(call)
        case .uploadPart: try await uploadPart(call)
        case .uploadPartCopy: try await uploadPartCopy(call)
        case .completeMultipartUpload: try await completeMultipartUpload(call)
        case .abortMultipartUpload: try await abortMultipartUpload(call)
        case .listParts: try await listParts(call)
        case .putBucketPolicy: try await putBucketPolicy(call)
        case .getBucketPolicy: try getBucketPolicy(call)
        case .deleteBucketPolicy: try await deleteBucketPolicy(call)
        case .getBucketPolicyStatus: try getBucketPolicyStatus(call)
        case .putBucketTagging: try await putBucketTagging(call)
        case .getBucketTagging: try getBucketTagging(call)
        case .deleteBucketTagging: try await deleteBucketTagging(call)
        case .putObjectTagging: try await putObjectTagging(call)
        case .getObjectTagging: try await getObjectTagging(call)
        case .deleteObjectTagging: try await deleteObjectTagging(call)
        case .putObjectLockConfiguration: try await putObjectLockConfiguration(call)
        case .getObjectLockConfiguration: try getObjectLockConfiguration(call)
        case .putObjectRetention: try await putObjectRetention(call)
        case .getObjectRetention: try await getObjectRetention(call)
        case .putObjectLegalHold: try await putObjectLegalHold(call)
        case .getObjectLegalHold: try await getObjectLegalHold(call)
        }
    }

    /// A KMS operation changed a key's state or an alias: cached bucket keys must not outlive it.
    public func kmsKeyStateChanged() {
        keys.kms?.bucketKeys.evict()
        keys.kms?.decryptedBucketKeys.evict()
    }

    // MARK: Responses

    public func errorResponse(_ error: S3Error, resource: String, requestId: String, method: HTTPRequest.Method) -> S3Response {
        var headers = error.headers
        if error.code == .notModified {
            return S3Response(status: .notModified, headers: headers)
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
            return S3Response(status: error.status, headers: headers)
        }
        let buffer = ByteBuffer(string: xml.document)
        headers[.contentLength] = String(buffer.readableBytes)
        return S3Response(status: error.status, headers: headers, body: .buffer(buffer))
    }

    func xmlResponse(_ xml: XMLWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> S3Response {
        var headers = headers
        headers[.contentType] = "application/xml"
        let buffer = ByteBuffer(string: xml.document)
        headers[.contentLength] = String(buffer.readableBytes)
        return S3Response(status: status, headers: headers, body: .buffer(buffer))
    }

    func emptyResponse(_ status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> S3Response {
        var headers = headers
        headers[.contentLength] = "0"
        return S3Response(status: status, headers: headers)
    }
}

/// Adapts the user directory to the SigV4 verifier's credential lookup.
public struct UserCredentialProvider: CredentialProvider {
    let users: UserDirectory
    public init(users: UserDirectory) { self.users = users }
    public func credential(forAccessKeyId accessKeyId: String) -> Credential? {
        users.user(accessKeyId: accessKeyId).map {
            Credential(accessKeyId: $0.accessKeyId, secretAccessKey: $0.secretAccessKey, userName: $0.name)
        }
    }
}

extension S3Request {
    /// The request as SigV4 canonicalises it.
    public var sigV4Request: SigV4Request {
        var list: [(name: String, value: String)] = [("host", host)]
        for field in headers { list.append((field.name.canonicalName, field.value)) }
        return SigV4Request(method: method.rawValue, rawPath: rawPath, rawQuery: rawQuery, headers: list)
    }
}
