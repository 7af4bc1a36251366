import CofferCrypto

/// A KMS encryption context: string pairs bound to a ciphertext as authenticated data.
public typealias EncryptionContext = [String: String]

public enum EncryptionContextEncoding {
    /// The canonical, unambiguous byte encoding bound as AAD (docs/key-hierarchy.md):
    /// `u16 BE pair count`, then for each pair in ascending order of the key's UTF-8 bytes,
    /// `u16 BE key length, key bytes, u16 BE value length, value bytes`. Length prefixes make
    /// `{"ab":"c"}` and `{"a":"bc"}` differ.
    public static func canonical(_ context: EncryptionContext) -> [UInt8] {
        var out: [UInt8] = []
        appendU16(&out, context.count)
        for key in context.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let k = Array(key.utf8)
            let v = Array(context[key]!.utf8)
            appendU16(&out, k.count)
            out += k
            appendU16(&out, v.count)
            out += v
        }
        return out
    }

    /// KMS's limits: keys and values non-empty... (empty values are allowed by KMS), the whole
    /// context at most 8192 bytes of UTF-8.
    public static func validate(_ context: EncryptionContext) throws(KMSError) {
        var total = 0
        for (key, value) in context {
            guard !key.isEmpty else { throw KMSError(.validation, "Encryption context keys must not be empty") }
            guard key.utf8.count <= 0xFFFF, value.utf8.count <= 0xFFFF else {
                throw KMSError(.validation, "Encryption context entry is too long")
            }
            total += key.utf8.count + value.utf8.count
        }
        guard total <= 8192 else { throw KMSError(.validation, "Encryption context is longer than 8192 bytes") }
    }

    private static func appendU16(_ out: inout [UInt8], _ value: Int) {
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }
}
