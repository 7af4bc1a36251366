import CofferSigV4
import CofferCrypto
import CofferKMS
@testable import CofferKMSRemote
import Foundation
import XCTest

/// The AWS-KMS-protocol client itself: retries, error mapping, answer validation, signing,
/// redaction. Scripted failures come from a loopback stub; real behaviour from moto.
final class AWSKMSKeyServiceTests: XCTestCase {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let keyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let caller = KMSCaller(principalArn: "arn:aws:iam::123456789012:root", accountId: "123456789012", requestID: "test")

    func client(_ endpoint: String, maxAttempts: Int = 4, baseBackoff: Duration = .milliseconds(50),
                maxBackoff: Duration = .seconds(2), requestTimeout: Duration = .seconds(5), secret: String = secret,
                accessKeyId: String = "AKIDEXAMPLE", sleeps: SleepRecorder = SleepRecorder()) throws -> AWSKMSKeyService {
        let service = try AWSKMSKeyService(
            configuration: .init(endpoint: endpoint, region: "us-east-1", accessKeyId: accessKeyId, secretAccessKey: secret,
                                 requestTimeout: requestTimeout, connectTimeout: .seconds(2), maxAttempts: maxAttempts,
                                 baseBackoff: baseBackoff, maxBackoff: maxBackoff),
            environment: sleeps.environment)
        addTeardownBlock { await service.shutdown() }
        return service
    }

    func stub(_ responses: [StubHTTPServer.Response]) throws -> StubHTTPServer {
        let server = try StubHTTPServer(responses: responses)
        addTeardownBlock { server.stop() }
        return server
    }

    func describe(_ service: AWSKMSKeyService, _ keyId: String = keyArn) async throws -> KeyMetadata {
        try await service.describeKey(DescribeKeyRequest(keyId: keyId, caller: Self.caller))
    }

    /// The error `body` throws, which must be a `KMSError`.
    func kmsError<T>(_ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> KMSError? {
        do {
            _ = try await body()
            XCTFail("expected a KMSError, the call succeeded", file: file, line: line)
        } catch let error as KMSError {
            return error
        } catch {
            XCTFail("expected a KMSError, got \(error)", file: file, line: line)
        }
        return nil
    }

    static let describeAnswer = """
        {"KeyMetadata": {"AWSAccountId": "123456789012", "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "Arn": "\(keyArn)", "CreationDate": 1767225600.5, "Enabled": true, "Description": "", "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "MultiRegion": false}}
        """

    // MARK: - Retries

    func testUnreachableServiceIsUnavailableAfterMaxAttemptsWithBackoff() async throws {
        let port = try LoopbackPort.free()  // nothing listens there
        let sleeps = SleepRecorder()
        let service = try client("http://127.0.0.1:\(port)", maxAttempts: 4, sleeps: sleeps)
        let error = await kmsError { try await describe(service) }
        XCTAssertEqual(error?.code, .unavailable)
        XCTAssertEqual(error?.httpStatus, 503)
        XCTAssertTrue(error?.message.hasPrefix("key service at 127.0.0.1:\(port) unreachable: ") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.hasSuffix("(4 attempts)") ?? false, error?.message ?? "")
        XCTAssertFalse("\(String(describing: error))".contains(Self.secret))
        // 4 attempts = 3 waits, each (with the jitter pinned to its cap) double the one before.
        XCTAssertEqual(sleeps.recorded, [.milliseconds(50), .milliseconds(100), .milliseconds(200)])
    }

    func testBackoffIsCappedAndOneAttemptNeverWaits() async throws {
        let port = try LoopbackPort.free()
        let capped = SleepRecorder()
        let service = try client("http://127.0.0.1:\(port)", maxAttempts: 6, maxBackoff: .milliseconds(120), sleeps: capped)
        _ = await kmsError { try await describe(service) }
        XCTAssertEqual(capped.recorded, [.milliseconds(50), .milliseconds(100), .milliseconds(120), .milliseconds(120), .milliseconds(120)])

        let once = SleepRecorder()
        let single = try client("http://127.0.0.1:\(port)", maxAttempts: 1, sleeps: once)
        let error = await kmsError { try await describe(single) }
        XCTAssertEqual(error?.code, .unavailable)
        XCTAssertTrue(error?.message.hasSuffix("(1 attempt)") ?? false, error?.message ?? "")
        XCTAssertEqual(once.recorded, [])
    }

    func testRetryPolicyAndLiveJitter() {
        let policy = RetryPolicy(maxAttempts: 4, baseBackoff: .milliseconds(50), maxBackoff: .seconds(2))
        XCTAssertEqual((1...7).map(policy.cap(beforeRetry:)), [
            .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
            .milliseconds(1600), .seconds(2),
        ])
        XCTAssertEqual(policy.cap(beforeRetry: 1000), .seconds(2))
        let draws = (0..<200).map { _ in ServiceEnvironment.live.jitter(.milliseconds(100)) }
        XCTAssertTrue(draws.allSatisfy { $0 >= .zero && $0 <= .milliseconds(100) })
        XCTAssertGreaterThan(Set(draws).count, 100, "full jitter draws uniformly below the cap")
        XCTAssertEqual(ServiceEnvironment.live.jitter(.zero), .zero)
    }

    /// The one test that waits for real time: a service that never answers, with 200 ms attempts.
    func testTimeoutsAreRetriedThenUnavailable() async throws {
        let server = try stub([.hang])
        let sleeps = SleepRecorder()
        let service = try client(server.endpoint, maxAttempts: 2, requestTimeout: .milliseconds(200), sleeps: sleeps)
        let error = await kmsError { try await describe(service) }
        XCTAssertEqual(error?.code, .unavailable)
        XCTAssertTrue(error?.message.hasPrefix("key service at 127.0.0.1:\(server.port) unreachable: ") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.hasSuffix("(2 attempts)") ?? false, error?.message ?? "")
        XCTAssertEqual(sleeps.recorded, [.milliseconds(50)])
    }

    func testThrottlingIsRetriedUntilItSucceeds() async throws {
        let server = try stub([
            .json(400, #"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#),
            .json(400, #"{"__type": "com.amazonaws.kms#ThrottlingException", "message": "Rate exceeded"}"#),
            .json(200, Self.describeAnswer),
        ])
        let sleeps = SleepRecorder()
        let service = try client(server.endpoint, sleeps: sleeps)
        let metadata = try await describe(service)
        XCTAssertEqual(metadata.Arn, Self.keyArn)
        XCTAssertEqual(server.requests.count, 3)
        XCTAssertEqual(sleeps.recorded.count, 2)
    }

    func testServerFailuresAreRetriedThenReportedAsAnswered() async throws {
        for (status, body, code) in [
            (500, #"{"__type": "KMSInternalException", "message": "internal"}"#, KMSError.Code.internalFailure),
            (400, #"{"__type": "DependencyTimeoutException"}"#, .dependencyTimeout),
            (502, "<html>Bad Gateway</html>", .unavailable),
        ] {
            let server = try stub([.json(status, body)])
            let sleeps = SleepRecorder()
            let service = try client(server.endpoint, maxAttempts: 3, sleeps: sleeps)
            let error = await kmsError { try await describe(service) }
            XCTAssertEqual(error?.code, code)
            XCTAssertEqual(error?.httpStatus, status)
            XCTAssertEqual(server.requests.count, 3, "\(code) is retried")
            XCTAssertEqual(sleeps.recorded.count, 2)
        }
    }

    func testClientErrorsAreNeverRetried() async throws {
        for type in ["ValidationException", "LimitExceededException", "NotFoundException", "AccessDeniedException",
                     "InvalidCiphertextException", "DisabledException", "KMSInvalidStateException"] {
            let server = try stub([.json(400, #"{"__type": "\#(type)", "message": "no"}"#), .json(200, Self.describeAnswer)])
            let sleeps = SleepRecorder()
            let service = try client(server.endpoint, sleeps: sleeps)
            let error = await kmsError { try await describe(service) }
            XCTAssertEqual(error?.code.rawValue, type)
            XCTAssertEqual(error?.httpStatus, 400)
            XCTAssertEqual(server.requests.count, 1, "\(type) must not be retried")
            XCTAssertEqual(sleeps.recorded, [])
        }
    }

    // MARK: - Error mapping

    func testNamespacedErrorTypeIsStrippedAndUpstreamStatusKept() async throws {
        let server = try stub([
            .json(400, #"{"__type": "com.amazonaws.kms#NotFoundException", "Message": "Key 'arn:...' does not exist"}"#),
        ])
        let service = try client(server.endpoint)
        let error = await kmsError { try await describe(service) }
        XCTAssertEqual(error, KMSError(.notFound, "Key 'arn:...' does not exist", httpStatus: 400))
    }

    func testErrorTypeFromHeaderAndXMLAndGarbage() {
        let header = ErrorResponse.error(
            status: 400, errorTypeHeader: "DisabledException:http://internal.amazon.com/coral/com.amazonaws.kms/", body: [],
            host: "h")
        XCTAssertEqual(header, KMSError(.disabled, "", httpStatus: 400))
        let xml = ErrorResponse.error(
            status: 403, errorTypeHeader: nil,
            body: Array("<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message></Error></ErrorResponse>".utf8),
            host: "h")
        XCTAssertEqual(xml, KMSError(KMSError.Code(rawValue: "SignatureDoesNotMatch"), "bad sig", httpStatus: 403))
        let lowercase = ErrorResponse.error(
            status: 400, errorTypeHeader: "ignored", body: Array(#"{"__type": "com.amazon.coral.service#UnrecognizedClientException", "message": "m"}"#.utf8),
            host: "h")
        XCTAssertEqual(lowercase, KMSError(.unrecognizedClient, "m", httpStatus: 400))
        let garbage = ErrorResponse.error(status: 418, errorTypeHeader: nil, body: Array("teapot".utf8), host: "kms.example:443")
        XCTAssertEqual(garbage.code, .unavailable)
        XCTAssertEqual(garbage.httpStatus, 418)
        XCTAssertEqual(garbage.message, "key service at kms.example:443 answered HTTP 418 with a malformed error body")
        XCTAssertEqual(ErrorResponse.exceptionName("com.amazonaws.kms#KMSInvalidStateException"), "KMSInvalidStateException")
        XCTAssertEqual(ErrorResponse.exceptionName("NotFoundException"), "NotFoundException")
    }

    // MARK: - Answer validation

    func testMalformedAnswersAreUnavailable() async throws {
        let blob = Base64.encode([UInt8](repeating: 7, count: 80))
        let shortKey = Base64.encode([UInt8](repeating: 1, count: 16))
        let cases: [(String, (AWSKMSKeyService) async throws -> Void, String)] = [
            ("not JSON", { _ = try await self.describe($0) }, "not JSON"),
            (#"{"KeyMetadata": {"KeyId": "x"}}"#, { _ = try await self.describe($0) }, "missing KeyMetadata.Arn"),
            (#"{"CiphertextBlob": "\#(blob)", "Plaintext": "\#(shortKey)", "KeyId": "\#(Self.keyArn)"}"#, {
                _ = try await $0.generateDataKey(GenerateDataKeyRequest(keyId: Self.keyArn, caller: Self.caller))
            }, "a data key of 16 bytes where 32 were asked for"),
            (#"{"CiphertextBlob": "\#(blob)", "KeyId": "\#(Self.keyArn)"}"#, {
                _ = try await $0.generateDataKey(GenerateDataKeyRequest(keyId: Self.keyArn, caller: Self.caller))
            }, "no plaintext data key"),
            (#"{"Plaintext": "\#(shortKey)", "KeyId": "arn:aws:kms:us-east-1:123456789012:key/another"}"#, {
                _ = try await $0.decrypt(DecryptRequest(ciphertextBlob: [1, 2, 3], keyId: Self.keyArn, caller: Self.caller))
            }, "the answer names another key than the one requested"),
            (#"{"Plaintext": "", "KeyId": "\#(Self.keyArn)"}"#, {
                _ = try await $0.decrypt(DecryptRequest(ciphertextBlob: [1, 2, 3], caller: Self.caller))
            }, "a plaintext of 0 bytes"),
            (#"{"Plaintext": "@@@", "KeyId": "\#(Self.keyArn)"}"#, {
                _ = try await $0.decrypt(DecryptRequest(ciphertextBlob: [1, 2, 3], caller: Self.caller))
            }, "plaintext is not base64"),
        ]
        for (answer, call, detail) in cases {
            let server = try stub([.json(200, answer)])
            let service = try client(server.endpoint)
            let error = await kmsError { try await call(service) }
            XCTAssertEqual(error?.code, .unavailable, detail)
            XCTAssertTrue(error?.message.hasPrefix("malformed response from key service at 127.0.0.1:\(server.port) to ") ?? false,
                          error?.message ?? "")
            XCTAssertTrue(error?.message.hasSuffix(detail) ?? false, "\(error?.message ?? "") should end with \(detail)")
            XCTAssertFalse(error?.message.contains(shortKey) ?? true, "no key material in errors")
            XCTAssertEqual(server.requests.count, 1, "a malformed 2xx answer is not retried")
        }
    }

    // MARK: - Signing

    func testRequestsAreSignedKMSJSONRequests() async throws {
        let server = try stub([.json(200, Self.describeAnswer)])
        let service = try client(server.endpoint)
        _ = try await describe(service)
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.requestLine, "POST / HTTP/1.1")
        XCTAssertEqual(request.headers["x-amz-target"], "TrentService.DescribeKey")
        XCTAssertEqual(request.headers["content-type"], "application/x-amz-json-1.1")
        XCTAssertEqual(request.headers["host"], "127.0.0.1:\(server.port)")
        XCTAssertEqual(request.headers["x-amz-date"], "20260102T030405Z")
        XCTAssertNil(request.headers["x-amz-content-sha256"])
        let authorization = try XCTUnwrap(request.headers["authorization"])
        XCTAssertTrue(authorization.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/kms/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="), authorization)
        XCTAssertFalse(authorization.contains(Self.secret))
        let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String]
        XCTAssertEqual(body, ["KeyId": Self.keyArn])
    }

    func testEmptyEncryptionContextIsOmitted() async throws {
        let key = Base64.encode([UInt8](repeating: 9, count: 32))
        let server = try stub([.json(200, #"{"CiphertextBlob": "AQID", "Plaintext": "\#(key)", "KeyId": "\#(Self.keyArn)"}"#)])
        let service = try client(server.endpoint)
        _ = try await service.generateDataKey(GenerateDataKeyRequest(keyId: "alias/a", caller: Self.caller))
        let body = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(server.requests.first).body)) as? [String: Any]
        XCTAssertEqual(body?.keys.sorted(), ["KeyId", "NumberOfBytes"])
        XCTAssertEqual(body?["NumberOfBytes"] as? Int, 32)
    }

    /// moto checks SigV4 with botocore (an independent implementation) once IAM authentication
    /// is on: the first three actions create a user and its key, every later one is verified.
    func testMotoVerifiesTheSignature() async throws {
        let moto = try MotoServer.start(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
        addTeardownBlock { moto.stop() }
        let (accessKeyId, secret) = try createIAMAccessKey(endpoint: moto.endpoint)

        let sleeps = SleepRecorder(now: { Date() })
        let good = try client(moto.endpoint, secret: secret, accessKeyId: accessKeyId, sleeps: sleeps)
        let created = try await good.send(operation: "CreateKey", body: Self.createKey("signed"), as: KMSWire.KeyMetadataResponse.self)
        let generated = try await good.generateDataKey(
            GenerateDataKeyRequest(keyId: created.KeyMetadata.KeyId, encryptionContext: ["k": "v / é"], caller: Self.caller))
        XCTAssertEqual(generated.plaintext.count, 32)

        let wrongSecret = "not-the-secret-\(UUID().uuidString)"
        let bad = try client(moto.endpoint, secret: wrongSecret, accessKeyId: accessKeyId, sleeps: sleeps)
        let error = await kmsError { try await self.describe(bad, created.KeyMetadata.KeyId) }
        XCTAssertEqual(error?.code.rawValue, "SignatureDoesNotMatch")
        XCTAssertEqual(error?.httpStatus, 403)
        XCTAssertFalse("\(String(describing: error))".contains(wrongSecret))
        XCTAssertEqual(sleeps.recorded, [], "a refused signature is not retried")
    }

    // MARK: - Management calls and configuration

    func testManagementCallsThroughSend() async throws {
        let moto = try MotoServer.start()
        addTeardownBlock { moto.stop() }
        let service = try client(moto.endpoint, secret: "any", accessKeyId: "any")
        let created = try await service.send(operation: "CreateKey", body: Self.createKey("managed"), as: KMSWire.KeyMetadataResponse.self)
        let keyId = created.KeyMetadata.KeyId
        let listed = try await service.send(operation: "ListKeys", body: [String: String](), as: KMSWire.ListKeysResponse.self)
        XCTAssertTrue(listed.Keys.contains { $0.KeyId == keyId })
        _ = try await service.send(operation: "DisableKey", body: KMSWire.KeyIdOnly(KeyId: keyId))
        let disabled = try await describe(service, keyId)
        XCTAssertEqual(disabled.KeyState, "Disabled")
        let missing = await kmsError { try await service.send(operation: "DisableKey", body: KMSWire.KeyIdOnly(KeyId: UUID().uuidString)) }
        XCTAssertEqual(missing?.code, .notFound)

        // A key made the way `aws kms create-key` makes it (no KeyUsage): moto then answers
        // `"KeyUsage": null`; DescribeKey reads that with AWS's defaults.
        let bare = try await service.send(operation: "CreateKey", body: KMSWire.CreateKeyRequest(Description: "bare"))
        let bareKey = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(bare)) as? [String: Any])?["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        let described = try await describe(service, bareKey)
        XCTAssertEqual(described.KeyUsage, "ENCRYPT_DECRYPT")
        XCTAssertEqual(described.MultiRegion, false)
        XCTAssertEqual(described.Description, "bare")

        let invalid = await kmsError { try await service.send(operation: "Describe Key\r\nX-Evil: 1", body: KMSWire.KeyIdOnly(KeyId: keyId)) }
        XCTAssertEqual(invalid?.code, .validation)
    }

    func testConfigurationAndServiceNeverShowTheSecret() throws {
        let configuration = try AWSKMSKeyService.Configuration(
            endpoint: "https://kms.eu-west-1.amazonaws.com", region: "eu-west-1", accessKeyId: "AKIDEXAMPLE",
            secretAccessKey: Self.secret)
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, configuration.debugDescription, String(reflecting: configuration),
                     "\(configuration)", dumped] {
            XCTAssertFalse(text.contains(Self.secret), text)
            XCTAssertTrue(text.contains("AKIDEXAMPLE"), text)
        }
        XCTAssertTrue(configuration.description.contains("secretAccessKey: <redacted>"))
        XCTAssertEqual(configuration.requestTimeout, .seconds(5))
        XCTAssertEqual(configuration.connectTimeout, .seconds(2))
        XCTAssertEqual(configuration.maxAttempts, 4)
        XCTAssertEqual(configuration.baseBackoff, .milliseconds(50))
        XCTAssertEqual(configuration.maxBackoff, .seconds(2))

        let service = try AWSKMSKeyService(configuration: configuration)
        addTeardownBlock { await service.shutdown() }
        var dumpedService = ""
        dump(service, to: &dumpedService)
        for text in [service.description, "\(service)", String(reflecting: service), dumpedService] {
            XCTAssertFalse(text.contains(Self.secret), text)
        }
    }

    func testInvalidConfigurationsAreRefused() throws {
        for endpoint in ["ftp://kms.example", "http://", "http://kms.example/?a=b", "http://user:pw@kms.example"] {
            XCTAssertThrowsError(try AWSKMSKeyService(configuration: .init(
                endpoint: endpoint, region: "us-east-1", accessKeyId: "a", secretAccessKey: "b")), endpoint) { error in
                XCTAssertEqual((error as? KMSError)?.code, .validation)
                XCTAssertFalse("\(error)".contains("pw"), "\(error)")
            }
        }
        XCTAssertThrowsError(try AWSKMSKeyService(configuration: .init(
            endpoint: "http://kms.example", region: "us-east-1", accessKeyId: "a", secretAccessKey: "b", maxAttempts: 0)))
    }

    // MARK: - Helpers

    /// moto answers `"KeyUsage": null, "MultiRegion": null` unless they are given.
    static func createKey(_ description: String) -> KMSWire.CreateKeyRequest {
        var request = KMSWire.CreateKeyRequest(Description: description)
        request.KeyUsage = "ENCRYPT_DECRYPT"
        request.MultiRegion = false
        return request
    }

    /// Creates an IAM user allowed everything, and its access key, through moto's IAM (with boto3).
    private func createIAMAccessKey(endpoint: String) throws -> (String, String) {
        let script = """
            import boto3, json, sys
            iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                               aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
            iam.create_user(UserName="coffer")
            iam.put_user_policy(UserName="coffer", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            key = iam.create_access_key(UserName="coffer")["AccessKey"]
            print(key["AccessKeyId"], key["SecretAccessKey"])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, endpoint]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let diagnostics = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let words = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
        guard process.terminationStatus == 0, words.count == 2 else {
            throw MotoServer.Failure("creating an IAM access key in moto failed: \(String(decoding: diagnostics, as: UTF8.self))")
        }
        return (words[0], words[1])
    }
}

/// Records the waits between attempts instead of sleeping; pins the jitter to its cap and the
/// signing clock to 2026-01-02T03:04:05Z unless told otherwise.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var sleeps: [Duration] = []
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_767_323_045) }) {
        self.now = now
    }

    var recorded: [Duration] {
        lock.lock()
        defer { lock.unlock() }
        return sleeps
    }

    private func record(_ duration: Duration) {
        lock.lock()
        sleeps.append(duration)
        lock.unlock()
    }

    var environment: ServiceEnvironment {
        ServiceEnvironment(
            now: now,
            sleep: { [self] duration in record(duration) },
            jitter: { $0 })
    }
}
