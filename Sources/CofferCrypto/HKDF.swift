/// HKDF with HMAC-SHA256 (RFC 5869): extract then expand.
public enum HKDFSHA256 {
    public static func deriveKey(inputKeyMaterial ikm: SecretBytes, salt: [UInt8], info: [UInt8], outputByteCount: Int = 32) -> SecretBytes {
        precondition(outputByteCount > 0 && outputByteCount <= 255 * 32, "HKDF output length out of range")
        let saltKey = salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt
        var prk = ikm.withUnsafeBytes { HMACSHA256.authenticate(Array($0), key: saltKey) }
        defer { prk.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        var okm: [UInt8] = []
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while okm.count < outputByteCount {
            previous = HMACSHA256.authenticate(previous + info + [counter], key: prk)
            okm += previous
            counter &+= 1
        }
        return SecretBytes(Array(okm.prefix(outputByteCount)))
    }

    public static func deriveKey(inputKeyMaterial ikm: SecretBytes, salt: [UInt8], info: String, outputByteCount: Int = 32) -> SecretBytes {
        deriveKey(inputKeyMaterial: ikm, salt: salt, info: Array(info.utf8), outputByteCount: outputByteCount)
    }
}
