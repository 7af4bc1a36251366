import CofferCrypto
import CofferKMS
import CofferStorage
import Foundation

/// The KMS JSON API: request bodies for every operation. Operations that only read or use a
/// key go through `KMSAPI.handle` against a built-in key service (one LevelDB in a temporary
/// directory per process, one key named `alias/fuzz`), so decoding, validation, the key
/// policy and the ciphertext-blob parser all run. Operations that change keys or aliases
/// would make runs depend on earlier inputs, so their bodies are decoded the way
/// `KMSAPI.decode` does (`JSONDecoder` into the `KMSWire` type, then `JSONKeyCollision`).
///
/// Input: byte 0 picks the operation; the rest is the JSON body. Invariants: an answer is a
/// JSON object; 200 has no error code and every other status has one.
public enum KMSHarness {
    static let handled = ["DescribeKey", "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                          "ListKeys", "ListAliases", "GetKeyRotationStatus", "ListKeyRotations", "GetKeyPolicy", "ListKeyPolicies", "Nope"]
    static let decoded: [(String, @Sendable ([UInt8]) -> Void)] = [
        ("CreateKey", { decode(KMSWire.CreateKeyRequest.self, $0) }),
        ("CreateAlias", { decode(KMSWire.AliasRequest.self, $0) }),
        ("EnableKey", { decode(KMSWire.KeyIdOnly.self, $0) }),
        ("ScheduleKeyDeletion", { decode(KMSWire.ScheduleKeyDeletionRequest.self, $0) }),
        ("EnableKeyRotation", { decode(KMSWire.EnableKeyRotationRequest.self, $0) }),
        ("PutKeyPolicy", { decode(KMSWire.PutKeyPolicyRequest.self, $0) }),
        ("UpdateKeyDescription", { decode(KMSWire.UpdateKeyDescriptionRequest.self, $0) }),
    ]
    public static var operationCount: Int { handled.count + decoded.count }

    static let caller = KMSCaller(principalArn: "arn:aws:iam::123456789012:root", accountId: "123456789012", requestID: "fuzz")

    static let api: KMSAPI = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-fuzz-kms-\(UUID().uuidString)").path
        do {
            let db = try LevelDB(path: directory)
            let keyring = try RootKeyring(keys: [1: SecretBytes(Array(repeating: 7, count: 32))], currentVersion: 1)
            let service = BuiltInKeyService(db: db, keyring: keyring, options: .init(region: "us-east-1", accountId: "123456789012"),
                                            clock: { Date(timeIntervalSince1970: 1_796_644_800) })
            let key = try service.createKey(description: "fuzz")
            try service.createAlias("alias/fuzz", targetKeyId: key.KeyId, caller: caller)
            return KMSAPI(service: service, sink: NoAudit(), clock: { Date(timeIntervalSince1970: 1_796_644_800) })
        } catch {
            fatalError("cannot set up the KMS fuzz target: \(error)")
        }
    }()

    public static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        let index = Int(first) % operationCount
        if index >= handled.count {
            decoded[index - handled.count].1(body)
            return
        }
        let response = api.handle(target: "TrentService." + handled[index], body: body, caller: caller)
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        FuzzCheck.require(object != nil, "\(handled[index]) answered a body that is not a JSON object")
        FuzzCheck.require((response.status == 200) == (response.errorCode == nil),
                          "\(handled[index]) answered \(response.status) with error code \(response.errorCode ?? "nil")")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) {
        guard (try? JSONDecoder().decode(T.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))) != nil else { return }
        _ = JSONKeyCollision.exists(in: body)
    }
}
