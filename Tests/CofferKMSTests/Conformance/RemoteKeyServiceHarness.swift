import CofferKMS
import CofferKMSRemote
import Foundation

/// A harness for any AWS-KMS-protocol service reached through ``AWSKMSKeyService``: the key
/// calls go through the client under test, the management calls through its
/// `send(operation:body:)` with the ``KMSWire`` bodies. Used for moto, and for Coffer's own KMS
/// API (give it a client pointed at Coffer and an `onTearDown` that stops the server).
final class RemoteKeyServiceHarness: KeyServiceHarness {
    let client: AWSKMSKeyService
    let capabilities: Set<KeyServiceCapability>
    private let onTearDown: @Sendable () async -> Void

    var service: any KeyService { client }
    var region: String { client.region }

    init(client: AWSKMSKeyService, capabilities: Set<KeyServiceCapability>,
         onTearDown: @escaping @Sendable () async -> Void = {}) {
        self.client = client
        self.capabilities = capabilities
        self.onTearDown = onTearDown
    }

    func createKey(description: String) async throws -> String {
        var request = KMSWire.CreateKeyRequest(Description: description)
        // AWS's defaults, spelled out: moto answers `"KeyUsage": null, "MultiRegion": null`
        // (which KMSWire.KeyMetadataResponse rightly refuses) when they are left out.
        request.KeyUsage = "ENCRYPT_DECRYPT"
        request.KeySpec = "SYMMETRIC_DEFAULT"
        request.MultiRegion = false
        let response = try await client.send(operation: "CreateKey", body: request, as: KMSWire.KeyMetadataResponse.self)
        return response.KeyMetadata.KeyId
    }

    func createAlias(_ name: String, keyId: String) async throws {
        _ = try await client.send(operation: "CreateAlias", body: try KMSWire.AliasRequest(aliasName: name, targetKeyId: keyId))
    }

    func disableKey(_ keyId: String) async throws {
        _ = try await client.send(operation: "DisableKey", body: KMSWire.KeyIdOnly(KeyId: keyId))
    }

    func enableKey(_ keyId: String) async throws {
        _ = try await client.send(operation: "EnableKey", body: KMSWire.KeyIdOnly(KeyId: keyId))
    }

    func rotateKeyOnDemand(_ keyId: String) async throws -> Bool {
        do {
            _ = try await client.send(operation: "RotateKeyOnDemand", body: KMSWire.KeyIdOnly(KeyId: keyId))
            return true
        } catch {
            if let error = error as? KMSError, [.unknownOperation, .unsupportedOperation].contains(error.code) { return false }
            throw error
        }
    }

    func scheduleKeyDeletion(_ keyId: String, days: Int) async throws {
        let body = try await client.send(
            operation: "ScheduleKeyDeletion", body: try KMSWire.ScheduleKeyDeletionRequest(keyId: keyId, days: days))
        let response = try? JSONDecoder().decode(KMSWire.ScheduleKeyDeletionResponse.self, from: Data(body))
        if capabilities.contains(.completeScheduleKeyDeletionResponse) {
            guard let response else { throw HarnessError("ScheduleKeyDeletion answer lacks AWS's fields") }
            guard response.KeyState == "PendingDeletion", response.PendingWindowInDays == days else {
                throw HarnessError("ScheduleKeyDeletion answered KeyState \(response.KeyState), window \(response.PendingWindowInDays)")
            }
        } else if response != nil {
            throw HarnessError("ScheduleKeyDeletion now answers every field AWS does: declare .completeScheduleKeyDeletionResponse")
        }
    }

    func cancelKeyDeletion(_ keyId: String) async throws {
        _ = try await client.send(operation: "CancelKeyDeletion", body: KMSWire.KeyIdOnly(KeyId: keyId))
    }

    func tearDown() async {
        await client.shutdown()
        await onTearDown()
    }
}

// KMSWire's management requests have no public memberwise initialisers yet; build them through
// their Codable conformance so the wire names stay KMSWire's.
extension KMSWire.AliasRequest {
    init(aliasName: String, targetKeyId: String) throws {
        self = try wireValue(["AliasName": aliasName, "TargetKeyId": targetKeyId])
    }
}

extension KMSWire.ScheduleKeyDeletionRequest {
    init(keyId: String, days: Int) throws {
        self = try wireValue(["KeyId": keyId, "PendingWindowInDays": days])
    }
}

private func wireValue<T: Decodable>(_ fields: [String: any Sendable]) throws -> T {
    try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: fields))
}
