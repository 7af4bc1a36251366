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
