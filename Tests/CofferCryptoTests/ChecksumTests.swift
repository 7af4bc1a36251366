import CofferCrypto
import Foundation
import Testing

@Suite struct ChecksumTests {
    let check = Array("123456789".utf8)

    @Test func crcCheckValues() {
        // The standard "check" values of each CRC catalogue entry over "123456789".
        #expect(ChecksumHasher.checksum(.crc32, check) == [0xCB, 0xF4, 0x39, 0x26])
        #expect(ChecksumHasher.checksum(.crc32c, check) == [0xE3, 0x06, 0x92, 0x83])
        #expect(Hex.encode(ChecksumHasher.checksum(.crc64nvme, check)) == "ae8b14860a799888")
    }

    @Test func digestsMatchKnownAnswers() {
        #expect(Hex.encode(ChecksumHasher.checksum(.sha256, Array("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(ChecksumHasher.checksum(.sha1, Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Hex.encode(MD5.hash(Array("".utf8))) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test(arguments: ChecksumAlgorithm.allCases)
    func streamingEqualsOneShot(algorithm: ChecksumAlgorithm) {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = ChecksumHasher.checksum(algorithm, data)
        for split in [1, 7, 8, 9, 4096, 65537] {
            var hasher = ChecksumHasher(algorithm)
            var offset = 0
            while offset < data.count {
                let end = min(offset + split, data.count)
                hasher.update(Array(data[offset..<end]))
                offset = end
            }
            #expect(hasher.finalize() == whole, "split \(split)")
        }
    }

    @Test func emptyInputs() {
        #expect(ChecksumHasher.checksum(.crc32, [UInt8]()) == [0, 0, 0, 0])
        #expect(ChecksumHasher(.crc64nvme).finalizeBase64() == "AAAAAAAAAAA=")
    }

    @Test func hmacRFC4231Case2() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!constantTimeEquals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(constantTimeEquals("", ""))
    }

    @Test func base64RoundTripAndStrictness() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString())
            #expect(Base64.decode(encoded) == bytes)
        }
        #expect(Base64.decode("abc") == nil)
        #expect(Base64.decode("ab=c") == nil)
        #expect(Base64.decode("a===") == nil)
        #expect(Base64.decode("ab!c") == nil)
    }

    @Test func hexRoundTrip() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}

@Suite struct CRCCombineTests {
    @Test(arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func combineEqualsWholeChecksum(algorithm: ChecksumAlgorithm) {
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 4095, 65536, 199_999, 200_000] {
            let a = Array(data[..<split]), b = Array(data[split...])
            let combined = CRCCombine.combine(algorithm, ChecksumHasher.checksum(algorithm, a), ChecksumHasher.checksum(algorithm, b), secondLength: Int64(b.count))
            #expect(combined == ChecksumHasher.checksum(algorithm, data), "split \(split)")
        }
    }
}
