import CofferCrypto
import Testing

@Suite struct KeyHierarchyTests {
    let identity = SealedFormat.objectIdentity(bucket: "bucket", key: "key")

    @Test func sealedDataKeysOpenOnlyForTheirObjectAndKeyring() throws {
        var keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        let dataKey = KeyHierarchy.generateDataKey()
        let sealed = try KeyHierarchy.sealSSES3(dataKey, keyring: keyring, identity: identity)
        #expect(sealed.rootKeyVersion == 1 && sealed.bytes.count == 60)
        #expect(try KeyHierarchy.openSSES3(sealed, keyring: keyring, identity: identity).copyBytes() == dataKey.copyBytes())
        // Another object's identity, a flipped byte, or another keyring: no key.
        #expect(throws: CryptoError.self) { try KeyHierarchy.openSSES3(sealed, keyring: keyring, identity: SealedFormat.objectIdentity(bucket: "bucket", key: "other")) }
        var flipped = sealed
        flipped.bytes[20] ^= 1
        #expect(throws: CryptoError.self) { try KeyHierarchy.openSSES3(flipped, keyring: keyring, identity: identity) }
        let stranger = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        #expect(throws: CryptoError.self) { try KeyHierarchy.openSSES3(sealed, keyring: stranger, identity: identity) }
        // The version is bound too: claiming another version fails even if that key exists.
        _ = keyring.rotate()
        #expect(throws: CryptoError.self) { try KeyHierarchy.openSSES3(SealedDataKey(rootKeyVersion: 2, bytes: sealed.bytes), keyring: keyring, identity: identity) }
    }

    @Test func rotationReSealsTheSameDataKey() throws {
        var keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        let dataKey = KeyHierarchy.generateDataKey()
        let old = try KeyHierarchy.sealSSES3(dataKey, keyring: keyring, identity: identity)
        #expect(keyring.rotate() == 2)
        let new = try KeyHierarchy.resealSSES3(old, keyring: keyring, identity: identity)
        #expect(new.rootKeyVersion == 2 && new.bytes != old.bytes)
        #expect(try KeyHierarchy.openSSES3(new, keyring: keyring, identity: identity).copyBytes() == dataKey.copyBytes())
        #expect(try KeyHierarchy.openSSES3(old, keyring: keyring, identity: identity).copyBytes() == dataKey.copyBytes())
    }

    @Test func keyringsRefuseBadKeys() {
        #expect(throws: CryptoError.self) { try RootKeyring(keys: [1: SecretBytes([1, 2, 3])], currentVersion: 1) }
        #expect(throws: CryptoError.self) { try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 2) }
    }
}

@Suite struct CustomerKeyTests {
    let identity = SealedFormat.objectIdentity(bucket: "b", key: "k")

    @Test func onlyTheCustomersKeyOpensTheDataKey() throws {
        let customer = SecretBytes.random(count: 32)
        let dataKey = KeyHierarchy.generateDataKey()
        let seal = try KeyHierarchy.sealSSEC(dataKey, customerKey: customer, identity: identity)
        #expect(seal.salt.count == 32 && seal.keyCheck.count == 32 && seal.sealedKey.count == 60)
        #expect(!seal.keyCheck.isEmpty && seal.keyCheck != customer.copyBytes())
        #expect(KeyHierarchy.matchesSSEC(seal, customerKey: customer))
        #expect(try KeyHierarchy.openSSEC(seal, customerKey: customer, identity: identity).copyBytes() == dataKey.copyBytes())
        let other = SecretBytes.random(count: 32)
        #expect(!KeyHierarchy.matchesSSEC(seal, customerKey: other))
        #expect(throws: CryptoError.self) { try KeyHierarchy.openSSEC(seal, customerKey: other, identity: identity) }
        #expect(throws: CryptoError.self) { try KeyHierarchy.openSSEC(seal, customerKey: customer, identity: SealedFormat.objectIdentity(bucket: "b", key: "moved")) }
        // Two seals of the same key under the same customer key share nothing recognisable.
        let again = try KeyHierarchy.sealSSEC(dataKey, customerKey: customer, identity: identity)
        #expect(again.salt != seal.salt && again.keyCheck != seal.keyCheck && again.sealedKey != seal.sealedKey)
        #expect(throws: CryptoError.self) { try KeyHierarchy.sealSSEC(dataKey, customerKey: SecretBytes([1, 2, 3]), identity: identity) }
    }
}
