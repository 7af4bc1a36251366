import CofferCrypto
import Foundation
import Testing

/// Format version 2 (docs/sealed-object-format.md, "Version 2"): the version identity binds the
/// version's nonce, so a version's packages open as no other version of the same key.
extension SealedFormatTests {
    @Test func version2KnownAnswers() throws {
        let url = try #require(Bundle.module.url(forResource: "Vectors/sealed-format-v2", withExtension: "json"))
        let file = try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
        #expect(file.format == "coffer sealed-object v2" && file.cases.count == 4)
        for c in file.cases {
            let dataKey = SecretBytes(Hex.decode(c.dataKey)!)
            let salt = Hex.decode(c.salt)!
            let nonce = try #require(c.versionNonce.flatMap(Hex.decode))
            #expect(Hex.encode(SealedFormat.blobKey(dataKey: dataKey, salt: salt, version: .v2).copyBytes()) == c.blobKey)
            let identity = SealedFormat.versionIdentity(bucket: c.bucket, key: c.key, versionNonce: nonce)
            #expect(Hex.encode(identity) == c.versionIdentity)
            let context = BlobSealingContext(dataKey: dataKey, salt: salt, identity: identity, partNumber: c.partNumber, version: .v2)
            let plain = Self.plaintext(c.plaintextPattern, c.plaintextLength)
            let sealed = try context.seal(plain, index: c.index, isFinal: c.final)
            #expect(Hex.encode(SHA256.hash(sealed)) == c.sealedSHA256)
            #expect(Hex.encode(sealed.prefix(32)) == c.sealedPrefix)
            #expect(try context.open(sealed, index: c.index, isFinal: c.final) == plain)
            // The same inputs under version 1 seal differently: the versions never share a package.
            let v1 = BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: c.bucket, key: c.key), partNumber: c.partNumber)
            #expect(throws: CryptoError.self) { try v1.open(sealed, index: c.index, isFinal: c.final) }
        }
    }

    @Test func version2PackagesOpenOnlyWithTheirNonce() throws {
        let dataKey = SecretBytes.random(count: 32)
        let nonce = secureRandomBytes(SealedFormat.versionNonceByteCount)
        let context = BlobSealingContext.forWriting(dataKey: dataKey, bucket: "b", key: "k", versionNonce: nonce, partNumber: 0)
        #expect(context.version == .v2)
        let (plain, sealed) = try sealBlob(context, packages: 3)
        func reading(nonce: [UInt8], bucket: String = "b", key: String = "k", partNumber: UInt32 = 0, version: SealedFormatVersion = .v2) -> BlobSealingContext {
            let identity = version == .v2
                ? SealedFormat.versionIdentity(bucket: bucket, key: key, versionNonce: nonce)
                : SealedFormat.objectIdentity(bucket: bucket, key: key)
            return BlobSealingContext(dataKey: dataKey, salt: context.salt, identity: identity, partNumber: partNumber, version: version)
        }
        #expect(try openAll(reading(nonce: nonce), sealed, expectedCount: 3) == plain)
        // Another version of the same key (another nonce), one bit of the nonce flipped, the
        // blob read as format 1 (the nonce dropped), as another key or part.
        #expect(throws: CryptoError.self) { try openAll(reading(nonce: secureRandomBytes(16)), sealed, expectedCount: 3) }
        var flipped = nonce
        flipped[15] ^= 0x80
        #expect(throws: CryptoError.self) { try openAll(reading(nonce: flipped), sealed, expectedCount: 3) }
        #expect(throws: CryptoError.self) { try openAll(reading(nonce: nonce, version: .v1), sealed, expectedCount: 3) }
        #expect(throws: CryptoError.self) { try openAll(reading(nonce: nonce, key: "k2"), sealed, expectedCount: 3) }
        #expect(throws: CryptoError.self) { try openAll(reading(nonce: nonce, partNumber: 1), sealed, expectedCount: 3) }
        // A package spliced from another version of the same key under the same data key.
        let other = BlobSealingContext.forWriting(dataKey: dataKey, bucket: "b", key: "k", versionNonce: secureRandomBytes(16), partNumber: 0)
        let (_, otherSealed) = try sealBlob(other, packages: 3)
        var spliced = sealed
        spliced[1] = otherSealed[1]
        #expect(throws: CryptoError.self) { try openAll(context, spliced, expectedCount: 3) }
    }
}
