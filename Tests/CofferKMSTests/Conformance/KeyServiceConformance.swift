import CofferCrypto
import CofferKMS
import Foundation
import XCTest

/// The key-service conformance suite: one list of checks, written once against
/// ``KeyServiceHarness`` and run against every backend.
///
/// Adding a backend:
/// ```swift
/// final class MyKeyServiceConformanceTests: KeyServiceConformanceCase {
///     override func makeHarness() async throws -> any KeyServiceHarness { try await MyHarness.start() }
///     func testConformance() async throws { try await runConformance() }
/// }
/// ```
/// (Linux XCTest does not discover test methods inherited from a superclass, hence the one
/// `testConformance` per subclass; each check's failure names the check.)
class KeyServiceConformanceCase: XCTestCase {
    /// Builds the backend and its harness. Whatever it starts must be released by the
    /// harness's `tearDown()` (registered as a teardown block, so it runs on failure too), or by
    /// this method itself if it throws.
    func makeHarness() async throws -> any KeyServiceHarness {
        throw HarnessError("\(type(of: self)) must override makeHarness()")
    }

    /// Runs every check (or those named in `only`), each on keys of its own.
    func runConformance(only names: Set<String>? = nil, file: StaticString = #filePath, line: UInt = #line) async throws {
        let harness = try await makeHarness()
        addTeardownBlock { await harness.tearDown() }
        let conformance = Conformance(harness: harness)
        for check in KeyServiceConformance.checks where names?.contains(check.name) ?? true {
            do {
                try await check.run(conformance)
            } catch {
                XCTFail("[\(check.name)] \(error)", file: file, line: line)
            }
        }
        let gaps = KeyServiceCapability.all.subtracting(harness.capabilities).sorted().map(\.rawValue)
        if !gaps.isEmpty { print("\(type(of: self)): verified gaps of this backend: \(gaps.joined(separator: ", "))") }
    }
}

/// A check's failure: what was expected, what happened.
struct ConformanceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What each check works with: the harness and assertion helpers that throw a
/// ``ConformanceFailure`` (a check stops at its first failure).
struct Conformance: Sendable {
    let harness: any KeyServiceHarness

    var service: any KeyService { harness.service }
    var caller: KMSCaller { harness.caller }

    struct Key: Sendable {
        let id: String
        let arn: String
        /// The account named in the ARN.
        var account: String { arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? "" }
    }

    // MARK: Calls

    func newKey(_ purpose: String) async throws -> Key {
        let id = try await step("CreateKey") { try await harness.createKey(description: "conformance: \(purpose)") }
        let metadata = try await step("DescribeKey of a new key") { try await describe(id) }
        return Key(id: id, arn: metadata.Arn)
    }

    func alias(for key: Key, _ purpose: String) async throws -> (name: String, arn: String) {
        let name = "alias/conformance-\(purpose)-\(UUID().uuidString.prefix(8).lowercased())"
        try await step("CreateAlias") { try await harness.createAlias(name, keyId: key.id) }
        return (name, "arn:aws:kms:\(harness.region):\(key.account):\(name)")
    }

    func generate(_ keyId: String, context: EncryptionContext = [:], bytes: Int = 32) async throws -> GenerateDataKeyResult {
        try await service.generateDataKey(
            GenerateDataKeyRequest(keyId: keyId, encryptionContext: context, numberOfBytes: bytes, caller: caller))
    }

    func decrypt(_ blob: [UInt8], context: EncryptionContext = [:], keyId: String? = nil) async throws -> DecryptResult {
        try await service.decrypt(DecryptRequest(ciphertextBlob: blob, encryptionContext: context, keyId: keyId, caller: caller))
    }

    func reEncrypt(_ blob: [UInt8], from sourceContext: EncryptionContext, sourceKeyId: String? = nil,
                   to destinationKeyId: String, _ destinationContext: EncryptionContext) async throws -> ReEncryptResult {
        try await service.reEncrypt(ReEncryptRequest(
            ciphertextBlob: blob, sourceEncryptionContext: sourceContext, sourceKeyId: sourceKeyId,
            destinationKeyId: destinationKeyId, destinationEncryptionContext: destinationContext, caller: caller))
    }

    func describe(_ keyId: String) async throws -> KeyMetadata {
        try await service.describeKey(DescribeKeyRequest(keyId: keyId, caller: caller))
    }

    /// Decrypts `generated` and requires its data key back.
    func expectDecrypts(_ generated: GenerateDataKeyResult, context: EncryptionContext = [:], keyId: String? = nil,
                        _ what: String) async throws {
        let decrypted = try await step(what) { try await decrypt(generated.ciphertextBlob, context: context, keyId: keyId) }
        try expect(decrypted.plaintext.copyBytes() == generated.plaintext.copyBytes(), "\(what): another plaintext came back")
        try expectEqual(decrypted.keyArn, generated.keyArn, "\(what): KeyId")
    }

    // MARK: Assertions

    /// Runs `body`, turning any error into a failure that says which step failed.
    func step<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as ConformanceFailure {
            throw failure
        } catch {
            throw ConformanceFailure("\(what) failed: \(error)")
        }
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(message()) }
    }

    func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        if actual != expected { throw ConformanceFailure("\(what): got \(actual), expected \(expected)") }
    }

    /// Requires `body` to fail with the KMS exception `code`; returns the error.
    @discardableResult
    func expectError<T>(_ code: KMSError.Code, _ what: String, _ body: () async throws -> T) async throws -> KMSError {
        let outcome = await attempt(body)
        switch outcome {
        case let .failure(error as KMSError) where error.code == code:
            return error
        case let .failure(error):
            throw ConformanceFailure("\(what): expected \(code), got \(error)")
        case .success:
            throw ConformanceFailure("\(what): expected \(code), but it succeeded")
        }
    }

    /// The outcome of `body` without judging it.
    func attempt<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// Runs `aws` (AWS's behaviour) when the backend declares `capability`, else `gap`, which
    /// checks that the backend still lacks it: a stale declaration fails either way.
    func capability(_ capability: KeyServiceCapability, aws: () async throws -> Void, gap: () async throws -> Void) async throws {
        if harness.capabilities.contains(capability) {
            try await aws()
        } else {
            try await gap()
        }
    }

    /// The failure of a `gap` branch whose gap is gone.
    func gapClosed(_ capability: KeyServiceCapability, _ observed: String) -> ConformanceFailure {
        ConformanceFailure("\(observed): the backend now does what AWS does; declare .\(capability.rawValue)")
    }
}
