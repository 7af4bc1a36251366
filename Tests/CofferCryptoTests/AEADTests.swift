import CofferCrypto
import Foundation
import Testing

@Suite struct AES256GCMTests {
    // NIST GCM specification, test cases 13, 14 and 16 (AES-256).
    @Test func nistKnownAnswers() throws {
        let zeroKey = SecretBytes([UInt8](repeating: 0, count: 32))
        #expect(Hex.encode(try AES256GCM.seal([UInt8](), key: zeroKey, nonce: [UInt8](repeating: 0, count: 12), authenticating: [])) == "530f8afbc74536b9a963b4f1c4cb738b")
        #expect(Hex.encode(try AES256GCM.seal([UInt8](repeating: 0, count: 16), key: zeroKey, nonce: [UInt8](repeating: 0, count: 12), authenticating: []))
            == "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")
        let key = SecretBytes(Hex.decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")!)
        let plaintext = Hex.decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")!
        let aad = Hex.decode("feedfacedeadbeeffeedfacedeadbeefabaddad2")!
        let nonce = Hex.decode("cafebabefacedbaddecaf888")!
        let sealed = try AES256GCM.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        #expect(Hex.encode(sealed) == "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" + "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try AES256GCM.open(sealed, key: key, nonce: nonce, authenticating: aad) == plaintext)
    }

    @Test func everyTamperingFailsToOpen() throws {
        let key = SecretBytes.random(count: 32)
        let nonce = secureRandomBytes(12)
        let sealed = try AES256GCM.seal(Array("attack at dawn".utf8), key: key, nonce: nonce, authenticating: [1, 2, 3])
        for bit in 0..<(sealed.count * 8) {
            var flipped = sealed
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: CryptoError.self) { try AES256GCM.open(flipped, key: key, nonce: nonce, authenticating: [1, 2, 3]) }
        }
        #expect(throws: CryptoError.self) { try AES256GCM.open(sealed, key: key, nonce: nonce, authenticating: [1, 2, 4]) }
        #expect(throws: CryptoError.self) { try AES256GCM.open(sealed, key: SecretBytes.random(count: 32), nonce: nonce, authenticating: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try AES256GCM.open(Array(sealed.prefix(15)), key: key, nonce: nonce, authenticating: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try AES256GCM.seal([UInt8](), key: SecretBytes([1, 2, 3]), nonce: nonce, authenticating: []) }
    }

    @Test func secretsNeverPrint() {
        let secret = SecretBytes(Array("super-secret-key-material-000000".utf8))
        #expect(!"\(secret)".contains("super"))
        #expect(!String(reflecting: secret).contains("super"))
    }
}

@Suite struct HKDFTests {
    // RFC 5869, test case 1.
    @Test func rfc5869TestCase1() {
        let okm = HKDFSHA256.deriveKey(
            inputKeyMaterial: SecretBytes([UInt8](repeating: 0x0b, count: 22)), salt: Array(0...12), info: Array(0xf0...0xf9), outputByteCount: 42)
        #expect(Hex.encode(okm.copyBytes()) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }
}
