import CofferCrypto
import Foundation
import Testing

/// Pins docs/sealed-object-format.md to the code with vectors computed independently
/// (Vectors/make_sealed_vectors.py, Python `cryptography`), and checks every tampering the
/// format must detect.
@Suite struct SealedFormatTests {
    struct VectorFile: Decodable {
        struct Case: Decodable {
            var dataKey, salt, bucket, key: String
            var partNumber: UInt32
            var index: Int
            var final: Bool
            var plaintextLength: Int
            var plaintextPattern: String
            var blobKey, sealedSHA256, sealedPrefix: String
            /// Format 1's identity; format 2's, with the nonce it binds.
            var objectIdentity, versionIdentity, versionNonce: String?
        }
        var format: String
        var cases: [Case]
    }

    static func plaintext(_ pattern: String, _ length: Int) -> [UInt8] {
        switch pattern {
        case "hello": Array("hello, coffer".utf8)
        case "mod251": (0..<length).map { UInt8($0 % 251) }
        case "mod7": (0..<length).map { UInt8($0 % 7) }
        default: []
        }
    }

    @Test func knownAnswers() throws {
        let url = try #require(Bundle.module.url(forResource: "Vectors/sealed-format-v1", withExtension: "json"))
        let file = try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
        #expect(file.cases.count == 4)
        for c in file.cases {
            let dataKey = SecretBytes(Hex.decode(c.dataKey)!)
            let salt = Hex.decode(c.salt)!
            #expect(Hex.encode(SealedFormat.blobKey(dataKey: dataKey, salt: salt).copyBytes()) == c.blobKey)
            let identity = SealedFormat.objectIdentity(bucket: c.bucket, key: c.key)
            #expect(Hex.encode(identity) == c.objectIdentity)
            let context = BlobSealingContext(dataKey: dataKey, salt: salt, identity: identity, partNumber: c.partNumber)
            let plain = Self.plaintext(c.plaintextPattern, c.plaintextLength)
            let sealed = try context.seal(plain, index: c.index, isFinal: c.final)
            #expect(Hex.encode(SHA256.hash(sealed)) == c.sealedSHA256)
            #expect(Hex.encode(sealed.prefix(32)) == c.sealedPrefix)
            #expect(try context.open(sealed, index: c.index, isFinal: c.final) == plain)
        }
    }

    /// Seals `count` packages of a blob (the last one short) under a fresh context.
    func sealBlob(_ context: BlobSealingContext, packages count: Int) throws -> (plain: [[UInt8]], sealed: [[UInt8]]) {
        var plain: [[UInt8]] = []
        var sealed: [[UInt8]] = []
        for index in 0..<count {
            let isFinal = index == count - 1
            let bytes = (0..<(isFinal ? 1000 : SealedFormat.packageSize)).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            plain.append(bytes)
            sealed.append(try context.seal(bytes, index: index, isFinal: isFinal))
        }
        return (plain, sealed)
    }

    func openAll(_ context: BlobSealingContext, _ packages: [[UInt8]], expectedCount: Int) throws -> [[UInt8]] {
        // A reader knows the package count from the object's size: it opens exactly that many.
        try (0..<expectedCount).map { index in
            guard index < packages.count else { throw CryptoError(.authenticationFailure, "missing package") }
            return try context.open(packages[index], index: index, isFinal: index == expectedCount - 1)
        }
    }

    @Test func tamperingIsDetected() throws {
        let dataKey = SecretBytes.random(count: 32)
        let context = BlobSealingContext.forWritingVersion1(dataKey: dataKey, bucket: "b", key: "k", partNumber: 0)
        let (plain, sealed) = try sealBlob(context, packages: 3)
        #expect(try openAll(context, sealed, expectedCount: 3) == plain)

        var flipped = sealed
        flipped[1][100] ^= 0x01
        #expect(throws: CryptoError.self) { try openAll(context, flipped, expectedCount: 3) }

        var swapped = sealed
        swapped.swapAt(0, 1)
        #expect(throws: CryptoError.self) { try openAll(context, swapped, expectedCount: 3) }

        // Final package dropped, and the record shortened to match: package 1 was not final.
        #expect(throws: CryptoError.self) { try openAll(context, Array(sealed.prefix(2)), expectedCount: 2) }
        #expect(throws: CryptoError.self) { try openAll(context, Array(sealed.prefix(2)), expectedCount: 3) }

        // A package spliced from another object (same data key even, other salt and identity).
        let other = BlobSealingContext.forWritingVersion1(dataKey: dataKey, bucket: "b", key: "other", partNumber: 0)
        let (_, otherSealed) = try sealBlob(other, packages: 3)
        var spliced = sealed
        spliced[1] = otherSealed[1]
        #expect(throws: CryptoError.self) { try openAll(context, spliced, expectedCount: 3) }

        // The same blob read as another object or another part number.
        let moved = BlobSealingContext(dataKey: dataKey, salt: context.salt, identity: SealedFormat.objectIdentity(bucket: "b", key: "k2"), partNumber: 0)
        #expect(throws: CryptoError.self) { try openAll(moved, sealed, expectedCount: 3) }
        let otherPart = BlobSealingContext(dataKey: dataKey, salt: context.salt, identity: SealedFormat.objectIdentity(bucket: "b", key: "k"), partNumber: 2)
        #expect(throws: CryptoError.self) { try openAll(otherPart, sealed, expectedCount: 3) }

        // The wrong data key.
        let wrongKey = BlobSealingContext(dataKey: SecretBytes.random(count: 32), salt: context.salt, identity: SealedFormat.objectIdentity(bucket: "b", key: "k"), partNumber: 0)
        #expect(throws: CryptoError.self) { try openAll(wrongKey, sealed, expectedCount: 3) }
    }

    @Test func shortNonFinalPackagesAreRefused() throws {
        let context = BlobSealingContext.forWritingVersion1(dataKey: SecretBytes.random(count: 32), bucket: "b", key: "k", partNumber: 0)
        #expect(throws: CryptoError.self) { try context.seal([UInt8](repeating: 1, count: 10), index: 0, isFinal: false) }
        let empty = try context.seal([UInt8](), index: 0, isFinal: true)
        #expect(empty.count == SealedFormat.packageOverhead)
        #expect(try context.open(empty, index: 0, isFinal: true) == [])
    }

    @Test func saltsAreFreshPerBlob() {
        let dataKey = SecretBytes.random(count: 32)
        let a = BlobSealingContext.forWritingVersion1(dataKey: dataKey, bucket: "b", key: "k", partNumber: 1)
        let b = BlobSealingContext.forWritingVersion1(dataKey: dataKey, bucket: "b", key: "k", partNumber: 1)
        #expect(a.salt != b.salt)
    }
}
