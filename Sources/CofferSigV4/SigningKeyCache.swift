import CofferCrypto
import CofferCache

/// A small bounded cache of derived signing keys, keyed by (secret digest, date, region,
/// service): deriving a key costs four HMACs, and a server sees the same few keys all day.
///
/// Entries are keyed by the SHA-256 of the secret, never the secret itself. When full, the
/// cache is emptied (a day's keys are refilled by the next requests).
final class SigningKeyCache: Sendable {
    private struct Key: Hashable, Sendable {
        var secretDigest: [UInt8]
        var date: String
        var region: String
        var service: String
    }

    private let entries: BoundedCache<Key, SigningKey>

    init(capacity: Int = 128) { entries = BoundedCache(capacity: capacity) }

    func signingKey(secret: String, date: String, region: String, service: String) -> SigningKey {
        let key = Key(secretDigest: SHA256.hash(secret), date: date, region: region, service: service)
        return entries.value(for: key) { SigV4Canonicalizer.deriveSigningKey(secret: secret, date: date, region: region, service: service) }
    }
}
