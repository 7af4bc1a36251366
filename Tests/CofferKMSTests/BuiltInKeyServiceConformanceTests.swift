import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation
import XCTest

/// The built-in key service in process, over a real LevelDB store; management through its own
/// methods (the same ones Coffer's KMS API calls).
struct BuiltInHarness: KeyServiceHarness {
    let builtIn: BuiltInKeyService
    let directory: String
    var service: any KeyService { builtIn }
    var region: String { builtIn.options.region }
    var capabilities: Set<KeyServiceCapability> { KeyServiceCapability.all }

    static func start() throws -> BuiltInHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-kms-\(UUID().uuidString)").path
        let db = try LevelDB(path: directory)
        let keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        return BuiltInHarness(builtIn: BuiltInKeyService(db: db, keyring: keyring, options: .init(region: "us-east-1", accountId: "123456789012")),
                              directory: directory)
    }

    func createKey(description: String) async throws -> String { try builtIn.createKey(description: description).KeyId }
    func createAlias(_ name: String, keyId: String) async throws { try builtIn.createAlias(name, targetKeyId: keyId, caller: caller) }
    func disableKey(_ keyId: String) async throws { try builtIn.disableKey(keyId, caller: caller) }
    func enableKey(_ keyId: String) async throws { try builtIn.enableKey(keyId, caller: caller) }
    func rotateKeyOnDemand(_ keyId: String) async throws -> Bool {
        _ = try builtIn.rotateKeyOnDemand(keyId, caller: caller)
        return true
    }
    func scheduleKeyDeletion(_ keyId: String, days: Int) async throws { _ = try builtIn.scheduleKeyDeletion(keyId, pendingWindowInDays: days, caller: caller) }
    func cancelKeyDeletion(_ keyId: String) async throws { _ = try builtIn.cancelKeyDeletion(keyId, caller: caller) }
    func tearDown() async { try? FileManager.default.removeItem(atPath: directory) }
}

final class BuiltInKeyServiceConformanceTests: KeyServiceConformanceCase {
    override func makeHarness() async throws -> any KeyServiceHarness { try BuiltInHarness.start() }
    func testConformance() async throws { try await runConformance() }
}
