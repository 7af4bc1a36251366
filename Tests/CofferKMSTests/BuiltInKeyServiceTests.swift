import CofferCrypto
@testable import CofferKMS
import CofferStorage
import Foundation
import Synchronization
import XCTest

/// What the conformance suite does not reach: time-driven behaviour (deletion windows,
/// automatic rotation) under an injected clock, aliases, paging, the KMS API's errors and
/// audit records, and that key material is never stored in the clear.
final class BuiltInKeyServiceTests: XCTestCase {
    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(days: Double) { now.withLock { $0 = $0.addingTimeInterval(days * 86400) } }
        var date: Date { now.withLock { $0 } }
    }

    final class RecordingSink: KMSAuditSink, Sendable {
        let records = Mutex([KMSCallRecord]())
        let fail = Mutex(false)
        func record(_ call: KMSCallRecord) throws {
            if fail.withLock({ $0 }) { throw CocoaError(.fileWriteNoPermission) }
            records.withLock { $0.append(call) }
        }
    }

    var directory: String!
    var db: LevelDB!
    let clock = Clock()
    var service: BuiltInKeyService!
    let caller = KMSCaller(principalArn: "arn:aws:iam::123456789012:root", accountId: "123456789012", requestID: "req-1")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-builtin-\(UUID().uuidString)").path
        db = try LevelDB(path: directory)
        let keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        let clock = self.clock
        service = BuiltInKeyService(db: db, keyring: keyring, options: .init(region: "eu-west-1", accountId: "123456789012"), clock: { clock.date })
    }

    override func tearDownWithError() throws {
        db = nil
        service = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Key-policy checks fail closed: a request that names no caller is refused, whatever the
    /// key's policy (the default one allows the whole account) and whatever the operation.
    func testARequestWithoutACallerIsRefused() async throws {
        let key = try service.createKey().KeyId
        let nobody = KMSCaller(principalArn: "", accountId: "", requestID: "req-none")
        let blob = try service.generateDataKeySync(keyId: key, context: [:], numberOfBytes: 32, caller: caller).ciphertextBlob
        func assertRefused(_ what: String, _ body: () async throws -> Void) async {
            do {
                try await body()
                XCTFail("\(what) was allowed without a caller")
            } catch {
                XCTAssertEqual((error as? KMSError)?.code, .accessDenied, what)
            }
        }
        await assertRefused("GenerateDataKey") { _ = try await service.generateDataKey(GenerateDataKeyRequest(keyId: key, caller: nobody)) }
        await assertRefused("Decrypt") { _ = try await service.decrypt(DecryptRequest(ciphertextBlob: blob, caller: nobody)) }
        await assertRefused("ReEncrypt") { _ = try await service.reEncrypt(ReEncryptRequest(ciphertextBlob: blob, destinationKeyId: key, caller: nobody)) }
        await assertRefused("DescribeKey") { _ = try await service.describeKey(DescribeKeyRequest(keyId: key, caller: nobody)) }
        await assertRefused("DisableKey") { try service.disableKey(key, caller: nobody) }
        await assertRefused("GetKeyPolicy") { _ = try service.keyPolicy(key, policyName: nil, caller: nobody) }
        await assertRefused("PutKeyPolicy") {
            try service.putKeyPolicy(key, policyName: nil, policy: try service.keyPolicy(key, policyName: nil, caller: caller), caller: nobody)
        }
        await assertRefused("CreateAlias") { try service.createAlias("alias/nobody", targetKeyId: key, caller: nobody) }
        XCTAssertEqual(try service.describeKeySync(key, caller: caller).KeyState, "Enabled", "nothing changed")
        XCTAssertEqual(try service.listAliases(keyId: key, limit: nil, marker: nil).Aliases.count, 0)
    }

    func testDeletionHappensOnlyAfterTheWindow() async throws {
        let key = try service.createKey(description: "doomed").KeyId
        try service.createAlias("alias/doomed", targetKeyId: key, caller: caller)
        _ = try service.scheduleKeyDeletion(key, pendingWindowInDays: 7, caller: caller)
        clock.advance(days: 6.9)
        XCTAssertEqual(try service.describeKeySync(key, caller: caller).KeyState, "PendingDeletion")
        clock.advance(days: 0.2)
        XCTAssertEqual(try service.runMaintenance().deleted, 1)
        XCTAssertThrowsError(try service.describeKeySync(key, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .notFound) }
        XCTAssertEqual(try service.listAliases(keyId: nil, limit: nil, marker: nil).Aliases.count, 0, "its aliases go with it")
    }

    func testAutomaticRotationKeepsOldVersionsDecrypting() async throws {
        let key = try service.createKey().KeyId
        let before = try service.generateDataKeySync(keyId: key, context: ["c": "1"], numberOfBytes: 32, caller: caller)
        try service.enableKeyRotation(key, rotationPeriodInDays: 90, caller: caller)
        clock.advance(days: 91)
        let after = try service.generateDataKeySync(keyId: key, context: ["c": "1"], numberOfBytes: 32, caller: caller)
        XCTAssertNotEqual(CiphertextBlob(parsing: before.ciphertextBlob)?.keyVersion, CiphertextBlob(parsing: after.ciphertextBlob)?.keyVersion)
        XCTAssertEqual(try service.decryptSync(blob: before.ciphertextBlob, context: ["c": "1"], keyId: nil, caller: caller).plaintext.copyBytes(), before.plaintext.copyBytes())
        XCTAssertEqual(try service.keyRotations(key, limit: nil, marker: nil, caller: caller).Rotations.map(\.RotationType), ["AUTOMATIC"])
    }

    func testValidationRanges() {
        XCTAssertThrowsError(try service.scheduleKeyDeletion("alias/none", pendingWindowInDays: 7, caller: caller))
        let key = try! service.createKey().KeyId
        for days in [6, 31] {
            XCTAssertThrowsError(try service.scheduleKeyDeletion(key, pendingWindowInDays: days, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .validation) }
        }
        for days in [89, 2561] {
            XCTAssertThrowsError(try service.enableKeyRotation(key, rotationPeriodInDays: days, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .validation) }
        }
        XCTAssertThrowsError(try service.encryptSync(keyId: key, plaintext: SecretBytes(Array(repeating: 1, count: 4097)), context: [:], caller: caller)) {
            XCTAssertEqual(($0 as? KMSError)?.code, .validation)
        }
        XCTAssertThrowsError(try service.createAlias("alias/aws/mine", targetKeyId: key, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .invalidAliasName) }
        XCTAssertThrowsError(try service.createAlias("notalias", targetKeyId: key, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .validation) }
        try! service.createAlias("alias/x", targetKeyId: key, caller: caller)
        XCTAssertThrowsError(try service.createAlias("alias/x", targetKeyId: key, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .alreadyExists) }
        for _ in 0..<10 { _ = try! service.rotateKeyOnDemand(key, caller: caller) }
        XCTAssertThrowsError(try service.rotateKeyOnDemand(key, caller: caller)) { XCTAssertEqual(($0 as? KMSError)?.code, .limitExceeded) }
    }

    func testPagingWalksEveryKeyOnce() throws {
        var created = Set<String>()
        for _ in 0..<7 { created.insert(try service.createKey().KeyId) }
        var seen: [String] = []
        var marker: String?
        repeat {
            let page = try service.listKeys(limit: 3, marker: marker)
            seen += page.Keys.map(\.KeyId)
            XCTAssertEqual(page.Truncated, page.NextMarker != nil)
            marker = page.NextMarker
        } while marker != nil
        XCTAssertEqual(Set(seen), created)
        XCTAssertEqual(seen.count, 7)
        XCTAssertThrowsError(try service.listKeys(limit: 3, marker: "garbage")) { XCTAssertEqual(($0 as? KMSError)?.code, .invalidMarker) }
    }

    func testKeyMaterialIsNeverStoredInTheClear() throws {
        let key = try service.createKey().KeyId
        let material = try service.material(of: try service.resolve(key), version: 1).copyBytes()
        let iterator = db.makeIterator()
        iterator.seekToFirst()
        while iterator.isValid {
            let value = iterator.value
            XCTAssertNil(value.firstRange(of: material), "key material found in the clear")
            XCTAssertFalse(String(decoding: value, as: UTF8.self).contains(Base64.encode(material)))
            iterator.next()
        }
    }

    func testAPIRecordsEveryCallOnceAndFailsWithoutARecord() throws {
        let sink = RecordingSink()
        let api = KMSAPI(service: service, sink: sink)
        let created = api.handle(target: "TrentService.CreateKey", body: Array(#"{"Description":"x"}"#.utf8), caller: caller)
        XCTAssertEqual(created.status, 200)
        let keyId = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["KeyMetadata"] as? [String: Any])["KeyId"] as! String
        let denied = api.handle(target: "TrentService.Decrypt", body: Array(#"{"CiphertextBlob":"AAAA"}"#.utf8), caller: caller)
        XCTAssertEqual(denied.status, 400)
        XCTAssertEqual(denied.errorCode, "InvalidCiphertextException")
        let generated = api.handle(target: "TrentService.GenerateDataKey", body: Array(#"{"KeyId":"\#(keyId)","KeySpec":"AES_256","EncryptionContext":{"a":"b"}}"#.utf8), caller: caller)
        XCTAssertEqual(generated.status, 200)
        let records = sink.records.withLock { $0 }
        XCTAssertEqual(records.map(\.eventName), ["CreateKey", "Decrypt", "GenerateDataKey"])
        XCTAssertEqual(records[1].error?.code, .invalidCiphertext)
        XCTAssertEqual(records[2].requestParameters["encryptionContext"], .map(["a": "b"]))
        XCTAssertEqual(records[2].caller.requestID, "req-1")
        // No record, no key: the plaintext never leaves.
        sink.fail.withLock { $0 = true }
        let refused = api.handle(target: "TrentService.GenerateDataKey", body: Array(#"{"KeyId":"\#(keyId)","KeySpec":"AES_256"}"#.utf8), caller: caller)
        XCTAssertEqual(refused.status, 500)
        XCTAssertFalse(String(decoding: refused.body, as: UTF8.self).contains("Plaintext"))
        sink.fail.withLock { $0 = false }
        XCTAssertEqual(api.handle(target: "TrentService.Nope", body: [], caller: caller).errorCode, "UnknownOperationException")
        XCTAssertEqual(api.handle(target: "TrentService.CreateKey", body: Array("{".utf8), caller: caller).errorCode, "SerializationException")
    }
}
