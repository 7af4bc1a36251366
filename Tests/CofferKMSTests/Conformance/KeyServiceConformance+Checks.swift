import CofferCrypto
import CofferKMS
import Foundation

/// The checks, in AWS KMS's documented behaviour. Each creates the keys it needs.
enum KeyServiceConformance {
    struct Check: Sendable {
        let name: String
        let run: @Sendable (Conformance) async throws -> Void
    }

    static let checks: [Check] = [
        Check(name: "generateDataKeyRoundTrip", run: generateDataKeyRoundTrip),
        Check(name: "everyKeyIdentifierForm", run: everyKeyIdentifierForm),
        Check(name: "wrongOrMissingContext", run: wrongOrMissingContext),
        Check(name: "shiftedContextPairs", run: shiftedContextPairs),
        Check(name: "tamperedCiphertext", run: tamperedCiphertext),
        Check(name: "keyIdOfAnotherKey", run: keyIdOfAnotherKey),
        Check(name: "unknownKey", run: unknownKey),
        Check(name: "disabledKey", run: disabledKey),
        Check(name: "pendingDeletion", run: pendingDeletion),
        Check(name: "reEncrypt", run: reEncrypt),
        Check(name: "describeKeyFields", run: describeKeyFields),
        Check(name: "onDemandRotation", run: onDemandRotation),
    ]

    static let context: EncryptionContext = ["aws:s3:arn": "arn:aws:s3:::conformance/object", "purpose": "conformance"]

    static func generateDataKeyRoundTrip(_ c: Conformance) async throws {
        let key = try await c.newKey("round trip")
        let generated = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: context) }
        try c.expectEqual(generated.plaintext.count, 32, "data key length")
        try c.expectEqual(generated.keyArn, key.arn, "GenerateDataKey KeyId")
        let plaintext = generated.plaintext.copyBytes()
        try c.expect(generated.ciphertextBlob.firstRange(of: plaintext) == nil, "the ciphertext blob contains the data key")
        try await c.expectDecrypts(generated, context: context, "Decrypt")
        try await c.expectDecrypts(generated, context: context, keyId: key.id, "Decrypt naming the key by id")
        try await c.expectDecrypts(generated, context: context, keyId: key.arn, "Decrypt naming the key by ARN")

        let second = try await c.step("second GenerateDataKey") { try await c.generate(key.id, context: context) }
        try c.expect(second.plaintext.copyBytes() != plaintext, "two GenerateDataKey calls returned the same data key")
        for bytes in [16, 64] {
            let other = try await c.step("GenerateDataKey of \(bytes) bytes") { try await c.generate(key.id, bytes: bytes) }
            try c.expectEqual(other.plaintext.count, bytes, "data key length")
            try await c.expectDecrypts(other, "Decrypt of a \(bytes)-byte data key")
        }
    }

    static func everyKeyIdentifierForm(_ c: Conformance) async throws {
        let key = try await c.newKey("identifiers")
        let alias = try await c.alias(for: key, "ids")
        for name in [key.id, key.arn, alias.name, alias.arn] {
            let generated = try await c.step("GenerateDataKey via \(name)") { try await c.generate(name, context: context) }
            try c.expectEqual(generated.keyArn, key.arn, "GenerateDataKey via \(name): KeyId")
            try c.expectEqual(generated.plaintext.count, 32, "data key length")
            try await c.expectDecrypts(generated, context: context, "Decrypt of a data key made via \(name)")
            try await c.expectDecrypts(generated, context: context, keyId: name, "Decrypt with KeyId \(name)")
            let metadata = try await c.step("DescribeKey via \(name)") { try await c.describe(name) }
            try c.expectEqual(metadata.KeyId, key.id, "DescribeKey via \(name): KeyId")
        }
    }

    static func wrongOrMissingContext(_ c: Conformance) async throws {
        let key = try await c.newKey("context")
        let bound: EncryptionContext = ["bucket": "b1"]
        let generated = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: bound) }
        let blob = generated.ciphertextBlob
        let wrong: [(String, EncryptionContext)] = [
            ("no context", [:]), ("another value", ["bucket": "b2"]), ("an extra pair", ["bucket": "b1", "x": "y"]),
            ("another key name", ["Bucket": "b1"]),
        ]
        for (what, context) in wrong {
            try await c.expectError(.invalidCiphertext, "Decrypt with \(what)") { try await c.decrypt(blob, context: context) }
        }
        let unbound = try await c.step("GenerateDataKey without context") { try await c.generate(key.id) }
        try await c.expectError(.invalidCiphertext, "Decrypt with a context the ciphertext was not made with") {
            try await c.decrypt(unbound.ciphertextBlob, context: bound)
        }
        try await c.expectDecrypts(generated, context: bound, "Decrypt with the right context")
    }

    static func shiftedContextPairs(_ c: Conformance) async throws {
        let key = try await c.newKey("shifted context")
        let generated = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: ["ab": "c"]) }
        try await c.expectDecrypts(generated, context: ["ab": "c"], "Decrypt with {ab:c}")
        try await c.capability(.unambiguousEncryptionContext) {
            try await c.expectError(.invalidCiphertext, "Decrypt of an {ab:c} ciphertext with {a:bc}") {
                try await c.decrypt(generated.ciphertextBlob, context: ["a": "bc"])
            }
        } gap: {
            guard case .success = await c.attempt({ try await c.decrypt(generated.ciphertextBlob, context: ["a": "bc"]) }) else {
                throw c.gapClosed(.unambiguousEncryptionContext, "{a:bc} no longer decrypts what {ab:c} encrypted")
            }
        }
    }

    static func tamperedCiphertext(_ c: Conformance) async throws {
        let key = try await c.newKey("tamper")
        let generated = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: context) }
        let blob = generated.ciphertextBlob
        var flipped = blob
        flipped[flipped.count - 1] ^= 0x01
        let tampered: [(String, [UInt8])] = [
            ("the last bit flipped", flipped), ("the last byte dropped", Array(blob.dropLast())), ("a byte appended", blob + [0]),
            ("16 random bytes", SecretBytes.random(count: 16).copyBytes()),
        ]
        for (what, bytes) in tampered {
            try await c.expectError(.invalidCiphertext, "Decrypt of a ciphertext with \(what)") {
                try await c.decrypt(bytes, context: context)
            }
        }
        try await c.expectDecrypts(generated, context: context, "Decrypt of the untouched ciphertext")
    }

    static func keyIdOfAnotherKey(_ c: Conformance) async throws {
        let owner = try await c.newKey("owner")
        let other = try await c.newKey("other")
        let generated = try await c.step("GenerateDataKey") { try await c.generate(owner.id, context: context) }
        let blob = generated.ciphertextBlob
        try await c.capability(.incorrectKeyException) {
            for name in [other.id, other.arn] {
                try await c.expectError(.incorrectKey, "Decrypt with KeyId \(name) of another key") {
                    try await c.decrypt(blob, context: context, keyId: name)
                }
            }
            try await c.expectError(.incorrectKey, "ReEncrypt with SourceKeyId of another key") {
                try await c.reEncrypt(blob, from: context, sourceKeyId: other.id, to: owner.id, context)
            }
        } gap: {
            // The gap is the exception's name only: the call must still fail.
            switch await c.attempt({ try await c.decrypt(blob, context: context, keyId: other.id) }) {
            case .success:
                throw ConformanceFailure("Decrypt with the KeyId of another key succeeded")
            case let .failure(error as KMSError) where error.code == .incorrectKey:
                throw c.gapClosed(.incorrectKeyException, "Decrypt with another key's KeyId fails with IncorrectKeyException")
            case .failure:
                break
            }
        }
        try await c.expectDecrypts(generated, context: context, keyId: owner.arn, "Decrypt with the owner's KeyId")
    }

    static func unknownKey(_ c: Conformance) async throws {
        let known = try await c.newKey("known")
        let unknown = UUID().uuidString.lowercased()
        let names = [
            unknown, "arn:aws:kms:\(c.harness.region):\(known.account):key/\(unknown)", "alias/conformance-missing-\(unknown.prefix(8))",
        ]
        for name in names {
            try await c.expectError(.notFound, "GenerateDataKey with unknown \(name)") { try await c.generate(name) }
            try await c.expectError(.notFound, "DescribeKey of unknown \(name)") { try await c.describe(name) }
        }
    }

    static func disabledKey(_ c: Conformance) async throws {
        let key = try await c.newKey("disable")
        let generated = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: context) }
        try await c.step("DisableKey") { try await c.harness.disableKey(key.id) }
        let disabled = try await c.step("DescribeKey") { try await c.describe(key.id) }
        try c.expectEqual(disabled.KeyState, "Disabled", "KeyState after DisableKey")
        try c.expectEqual(disabled.Enabled, false, "Enabled after DisableKey")
        try await c.capability(.refusesDisabledKeys) {
            try await c.expectError(.disabled, "GenerateDataKey under a disabled key") { try await c.generate(key.id) }
            try await c.expectError(.disabled, "Decrypt under a disabled key") {
                try await c.decrypt(generated.ciphertextBlob, context: context)
            }
        } gap: {
            guard case .success = await c.attempt({ try await c.generate(key.id) }),
                  case .success = await c.attempt({ try await c.decrypt(generated.ciphertextBlob, context: context) }) else {
                throw c.gapClosed(.refusesDisabledKeys, "a disabled key is refused")
            }
        }
        try await c.step("EnableKey") { try await c.harness.enableKey(key.id) }
        let enabled = try await c.step("DescribeKey") { try await c.describe(key.id) }
        try c.expectEqual(enabled.KeyState, "Enabled", "KeyState after EnableKey")
        try c.expectEqual(enabled.Enabled, true, "Enabled after EnableKey")
        let fresh = try await c.step("GenerateDataKey after EnableKey") { try await c.generate(key.id) }
        try await c.expectDecrypts(fresh, "Decrypt of a new data key after EnableKey")
        try await c.expectDecrypts(generated, context: context, "Decrypt of an old data key after EnableKey")
    }

    static func pendingDeletion(_ c: Conformance) async throws {
        let key = try await c.newKey("deletion")
        let generated = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: context) }
        let scheduledAt = Date()
        try await c.step("ScheduleKeyDeletion") { try await c.harness.scheduleKeyDeletion(key.id, days: 7) }
        let pending = try await c.step("DescribeKey") { try await c.describe(key.id) }
        try c.expectEqual(pending.KeyState, "PendingDeletion", "KeyState after ScheduleKeyDeletion")
        try c.expectEqual(pending.Enabled, false, "Enabled after ScheduleKeyDeletion")
        let days = pending.DeletionDate.map { ($0 - scheduledAt.timeIntervalSince1970) / 86_400 }
        try c.expect(days.map { (6...8).contains($0) } ?? false, "DeletionDate is not about 7 days ahead: \(String(describing: days)) days")
        try await c.capability(.refusesKeysPendingDeletion) {
            try await c.expectError(.invalidState, "GenerateDataKey under a key pending deletion") { try await c.generate(key.id) }
            try await c.expectError(.invalidState, "Decrypt under a key pending deletion") {
                try await c.decrypt(generated.ciphertextBlob, context: context)
            }
        } gap: {
            guard case .success = await c.attempt({ try await c.generate(key.id) }),
                  case .success = await c.attempt({ try await c.decrypt(generated.ciphertextBlob, context: context) }) else {
                throw c.gapClosed(.refusesKeysPendingDeletion, "a key pending deletion is refused")
            }
        }
        try await c.step("CancelKeyDeletion") { try await c.harness.cancelKeyDeletion(key.id) }
        let cancelled = try await c.step("DescribeKey") { try await c.describe(key.id) }
        try c.expectEqual(cancelled.KeyState, "Disabled", "KeyState after CancelKeyDeletion")
        try c.expectEqual(cancelled.Enabled, false, "Enabled after CancelKeyDeletion")
        try c.expect(cancelled.DeletionDate == nil, "DeletionDate remains after CancelKeyDeletion")
        if c.harness.capabilities.contains(.refusesDisabledKeys) {
            try await c.expectError(.disabled, "GenerateDataKey after CancelKeyDeletion (still disabled)") { try await c.generate(key.id) }
        }
        try await c.step("EnableKey") { try await c.harness.enableKey(key.id) }
        try await c.expectDecrypts(generated, context: context, "Decrypt after CancelKeyDeletion and EnableKey")
    }

    static func reEncrypt(_ c: Conformance) async throws {
        let source = try await c.newKey("re-encrypt source")
        let destination = try await c.newKey("re-encrypt destination")
        let destinationContext: EncryptionContext = ["aws:s3:arn": "arn:aws:s3:::conformance/moved"]
        let generated = try await c.step("GenerateDataKey") { try await c.generate(source.id, context: context) }
        let moved = try await c.step("ReEncrypt") {
            try await c.reEncrypt(generated.ciphertextBlob, from: context, to: destination.id, destinationContext)
        }
        try c.expectEqual(moved.keyArn, destination.arn, "ReEncrypt KeyId")
        try c.expectEqual(moved.sourceKeyArn, source.arn, "ReEncrypt SourceKeyId")
        try c.expect(moved.ciphertextBlob != generated.ciphertextBlob, "ReEncrypt returned the same ciphertext")
        let decrypted = try await c.step("Decrypt of the re-encrypted blob") {
            try await c.decrypt(moved.ciphertextBlob, context: destinationContext)
        }
        try c.expect(decrypted.plaintext.copyBytes() == generated.plaintext.copyBytes(), "ReEncrypt changed the data key")
        try c.expectEqual(decrypted.keyArn, destination.arn, "Decrypt KeyId of the re-encrypted blob")
        try await c.expectError(.invalidCiphertext, "Decrypt of the re-encrypted blob with the source context") {
            try await c.decrypt(moved.ciphertextBlob, context: context)
        }
        try await c.expectError(.invalidCiphertext, "ReEncrypt with a wrong source context") {
            try await c.reEncrypt(generated.ciphertextBlob, from: ["x": "y"], to: destination.id, destinationContext)
        }
        let named = try await c.step("ReEncrypt naming the source key, to the destination's ARN, without context") {
            try await c.reEncrypt(generated.ciphertextBlob, from: context, sourceKeyId: source.arn, to: destination.arn, [:])
        }
        let plain = try await c.step("Decrypt without context") { try await c.decrypt(named.ciphertextBlob) }
        try c.expect(plain.plaintext.copyBytes() == generated.plaintext.copyBytes(), "ReEncrypt changed the data key")
    }

    static func describeKeyFields(_ c: Conformance) async throws {
        let key = try await c.newKey("describe fields")
        let before = Date().timeIntervalSince1970
        let metadata = try await c.step("DescribeKey") { try await c.describe(key.id) }
        let uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        let pattern = try Regex("arn:aws:kms:\(NSRegularExpression.escapedPattern(for: c.harness.region)):([0-9]{12}):key/(\(uuid))")
        guard let match = try pattern.wholeMatch(in: metadata.Arn) else {
            throw ConformanceFailure("Arn \(metadata.Arn) is not arn:aws:kms:\(c.harness.region):<account>:key/<uuid>")
        }
        try c.expectEqual(match.output[1].substring.map(String.init), metadata.AWSAccountId, "AWSAccountId")
        try c.expectEqual(match.output[2].substring.map(String.init), metadata.KeyId, "KeyId in the Arn")
        try c.expectEqual(metadata.KeyId, key.id, "KeyId")
        try c.expectEqual(metadata.KeyState, "Enabled", "KeyState")
        try c.expectEqual(metadata.Enabled, true, "Enabled")
        try c.expectEqual(metadata.Description, "conformance: describe fields", "Description")
        try c.expectEqual(metadata.KeyUsage, "ENCRYPT_DECRYPT", "KeyUsage")
        try c.expectEqual(metadata.KeySpec, "SYMMETRIC_DEFAULT", "KeySpec")
        try c.expectEqual(metadata.KeyManager, "CUSTOMER", "KeyManager")
        try c.expectEqual(metadata.Origin, "AWS_KMS", "Origin")
        try c.expect(metadata.EncryptionAlgorithms.contains("SYMMETRIC_DEFAULT"), "EncryptionAlgorithms \(metadata.EncryptionAlgorithms)")
        try c.expect(metadata.DeletionDate == nil, "DeletionDate on a key not pending deletion")
        try c.expect(abs(metadata.CreationDate - before) < 3600, "CreationDate \(metadata.CreationDate) is not about now")
        let byArn = try await c.step("DescribeKey by ARN") { try await c.describe(key.arn) }
        try c.expectEqual(byArn, metadata, "DescribeKey by ARN")
    }

    static func onDemandRotation(_ c: Conformance) async throws {
        let key = try await c.newKey("rotation")
        let before = try await c.step("GenerateDataKey") { try await c.generate(key.id, context: context) }
        let rotated = try await c.step("RotateKeyOnDemand") { try await c.harness.rotateKeyOnDemand(key.id) }
        try await c.capability(.onDemandRotation) {
            try c.expect(rotated, "RotateKeyOnDemand is declared but the harness says it is unsupported")
        } gap: {
            if rotated { throw c.gapClosed(.onDemandRotation, "RotateKeyOnDemand succeeded") }
        }
        try await c.expectDecrypts(before, context: context, "Decrypt of a data key made before the rotation")
        try await c.expectDecrypts(before, context: context, keyId: key.arn, "Decrypt (naming the key) of a data key made before the rotation")
        let after = try await c.step("GenerateDataKey after the rotation") { try await c.generate(key.id, context: context) }
        try c.expectEqual(after.keyArn, key.arn, "KeyId after the rotation")
        try await c.expectDecrypts(after, context: context, "Decrypt of a data key made after the rotation")
        let metadata = try await c.step("DescribeKey after the rotation") { try await c.describe(key.id) }
        try c.expectEqual(metadata.KeyState, "Enabled", "KeyState after the rotation")
    }
}
