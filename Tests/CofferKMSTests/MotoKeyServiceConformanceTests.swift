import CofferKMS
import CofferKMSRemote
import XCTest

/// The conformance suite against moto's KMS (`moto_server`, started per test), reached through
/// ``AWSKMSKeyService``.
final class MotoKeyServiceConformanceTests: KeyServiceConformanceCase {
    /// What moto 5.x does not do that AWS KMS does. The suite verifies each of these is still a
    /// gap (and every other capability holds), so this list cannot go stale silently.
    static let motoGaps: Set<KeyServiceCapability> = [
        // GenerateDataKey and Decrypt succeed under a disabled key.
        .refusesDisabledKeys,
        // ... and under a key pending deletion.
        .refusesKeysPendingDeletion,
        // Decrypt with another key's KeyId: AccessDeniedException; ReEncrypt ignores SourceKeyId.
        .incorrectKeyException,
        // moto's AAD is the concatenation key+value of the sorted pairs: {"ab":"c"} == {"a":"bc"}.
        .unambiguousEncryptionContext,
        // ScheduleKeyDeletion answers only KeyId and DeletionDate.
        .completeScheduleKeyDeletionResponse,
    ]

    static func harness() async throws -> RemoteKeyServiceHarness {
        let moto = try MotoServer.start()
        do {
            let client = try AWSKMSKeyService(configuration: .init(
                endpoint: moto.endpoint, region: "us-east-1", accessKeyId: "conformance", secretAccessKey: "conformance-secret"))
            return RemoteKeyServiceHarness(
                client: client, capabilities: KeyServiceCapability.all.subtracting(motoGaps), onTearDown: { moto.stop() })
        } catch {
            moto.stop()
            throw error
        }
    }

    override func makeHarness() async throws -> any KeyServiceHarness { try await Self.harness() }

    func testConformance() async throws { try await runConformance() }

    /// The capability list, spelled out: a new capability added to the enum must be decided for
    /// moto here (and is then verified by `testConformance`).
    func testMotoCapabilitiesAreSpelledOut() {
        XCTAssertEqual(KeyServiceCapability.all.subtracting(Self.motoGaps), [.onDemandRotation])
        XCTAssertEqual(Self.motoGaps.map(\.rawValue).sorted(), [
            "completeScheduleKeyDeletionResponse", "incorrectKeyException", "refusesDisabledKeys",
            "refusesKeysPendingDeletion", "unambiguousEncryptionContext",
        ])
    }
}
