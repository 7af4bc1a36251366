import CofferKMS
import Foundation

/// What AWS KMS does that some backends do not. A harness declares what its backend does; for
/// each declared capability the suite checks AWS's behaviour, and for each one not declared it
/// checks that the backend *still* behaves differently, so a declaration cannot go stale and no
/// check is skipped silently.
enum KeyServiceCapability: String, CaseIterable, Sendable, Comparable {
    /// GenerateDataKey and Decrypt under a disabled key fail with `DisabledException`.
    case refusesDisabledKeys
    /// GenerateDataKey and Decrypt under a key pending deletion fail with `KMSInvalidStateException`.
    case refusesKeysPendingDeletion
    /// Decrypt with a `KeyId` naming another key than the ciphertext's fails with `IncorrectKeyException`.
    case incorrectKeyException
    /// The encryption context is bound unambiguously: what `{"ab":"c"}` encrypted, `{"a":"bc"}`
    /// does not decrypt.
    case unambiguousEncryptionContext
    /// `RotateKeyOnDemand` is implemented.
    case onDemandRotation
    /// `ScheduleKeyDeletion` answers `KeyState` and `PendingWindowInDays` as AWS does (checked by
    /// harnesses that speak the wire protocol; in-process harnesses simply declare it).
    case completeScheduleKeyDeletionResponse

    static let all = Set(allCases)

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One key service under test and the management operations the suite needs around it.
///
/// A new backend is one harness (these nine members, usually delegating to the backend's own
/// management API) and one ``KeyServiceConformanceCase`` subclass of a few lines.
protocol KeyServiceHarness: Sendable {
    /// The service under test: what S3 would use.
    var service: any KeyService { get }
    /// The region key ARNs name.
    var region: String { get }
    var capabilities: Set<KeyServiceCapability> { get }
    /// Who calls the service (a default is provided).
    var caller: KMSCaller { get }

    /// Creates an enabled symmetric key; returns its key id (a UUID).
    func createKey(description: String) async throws -> String
    /// Creates `name` (`alias/...`) pointing at `keyId`.
    func createAlias(_ name: String, keyId: String) async throws
    func disableKey(_ keyId: String) async throws
    func enableKey(_ keyId: String) async throws
    /// Rotates the key's material now; `false` when the backend does not implement it.
    func rotateKeyOnDemand(_ keyId: String) async throws -> Bool
    func scheduleKeyDeletion(_ keyId: String, days: Int) async throws
    func cancelKeyDeletion(_ keyId: String) async throws
    /// Releases everything the harness started (clients, servers, directories). Called once.
    func tearDown() async
}

extension KeyServiceHarness {
    var caller: KMSCaller {
        KMSCaller(principalArn: "arn:aws:iam::123456789012:user/conformance", accountId: "123456789012",
                  userName: "conformance", sourceIPAddress: "127.0.0.1", userAgent: "coffer-conformance",
                  requestID: UUID().uuidString)
    }
}

/// An error of a harness itself (not of the service under test).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
