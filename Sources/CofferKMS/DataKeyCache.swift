import CofferCrypto
import Foundation
import Synchronization

/// A cache of data keys in the manner of the AWS Encryption SDK's caching materials manager:
/// an entry is reused only for the same KMS key and the same encryption context (the cache
/// key includes the canonical context, so entries never cross contexts), and only while it is
/// younger than `maxAge`, has protected fewer than `maxMessages` objects and fewer than
/// `maxBytes` bytes. Evicted plaintext keys are zeroed (`SecretBytes` zeroes on release).
///
/// S3 bucket keys use it: one GenerateDataKey per bucket and KMS key per period instead of one
/// per object.
public final class DataKeyCache: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxAge: Duration
        public var maxMessages: Int
        public var maxBytes: Int64
        /// Entries kept at most (oldest evicted first).
        public var capacity: Int

        public init(maxAge: Duration = .seconds(300), maxMessages: Int = 100_000, maxBytes: Int64 = 1 << 40, capacity: Int = 1024) {
            self.maxAge = maxAge
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
            self.capacity = capacity
        }
    }

    public struct Entry: Sendable {
        public let keyArn: String
        public let plaintext: SecretBytes
        public let ciphertextBlob: [UInt8]

        public init(keyArn: String, plaintext: SecretBytes, ciphertextBlob: [UInt8]) {
            self.keyArn = keyArn
            self.plaintext = plaintext
            self.ciphertextBlob = ciphertextBlob
        }
    }

    struct Slot {
        var entry: Entry
        var created: ContinuousClock.Instant
        var messages: Int
        var bytes: Int64
    }

    public let limits: Limits
    private let slots = Mutex([[UInt8]: Slot]())

    public init(limits: Limits = .init()) { self.limits = limits }

    static func cacheKey(keyId: String, context: EncryptionContext) -> [UInt8] {
        var key = Array(keyId.utf8)
        key.append(0)
        key += EncryptionContextEncoding.canonical(context)
        return key
    }

    /// An entry for `keyId` and `context` that may protect one more message of `bytes`
    /// bytes, counting that use; nil when there is none or it is used up (it is then evicted).
    public func use(keyId: String, context: EncryptionContext, bytes: Int64, now: ContinuousClock.Instant = .now) -> Entry? {
        let key = Self.cacheKey(keyId: keyId, context: context)
        return slots.withLock { slots -> Entry? in
            guard var slot = slots[key] else { return nil }
            guard now - slot.created < limits.maxAge, slot.messages < limits.maxMessages, slot.bytes + bytes <= limits.maxBytes else {
                slots[key] = nil
                return nil
            }
            slot.messages += 1
            slot.bytes += bytes
            slots[key] = slot
            return slot.entry
        }
    }

    /// Stores a fresh entry that has already protected one message of `bytes` bytes.
    public func put(keyId: String, context: EncryptionContext, entry: Entry, bytes: Int64, now: ContinuousClock.Instant = .now) {
        let key = Self.cacheKey(keyId: keyId, context: context)
        slots.withLock { slots in
            if slots.count >= limits.capacity, slots[key] == nil {
                expire(&slots, now: now)
                if slots.count >= limits.capacity, let oldest = slots.min(by: { $0.value.created < $1.value.created })?.key {
                    slots[oldest] = nil
                }
            }
            slots[key] = Slot(entry: entry, created: now, messages: 1, bytes: bytes)
        }
    }

    /// Drops every entry of a KMS key (its state changed) or all entries.
    public func evict(keyArn: String? = nil) {
        slots.withLock { slots in
            if let keyArn { slots = slots.filter { $0.value.entry.keyArn != keyArn } } else { slots.removeAll() }
        }
    }

    public var count: Int { slots.withLock { $0.count } }

    private func expire(_ slots: inout [[UInt8]: Slot], now: ContinuousClock.Instant) {
        slots = slots.filter { now - $0.value.created < limits.maxAge }
    }
}

/// Decrypted data keys by (ciphertext blob, encryption context), for bucket keys on the read
/// path: bounded by age and count, never shared across contexts.
public final class DecryptedKeyCache: Sendable {
    struct Slot {
        var keyArn: String
        var plaintext: SecretBytes
        var created: ContinuousClock.Instant
    }

    public let maxAge: Duration
    public let capacity: Int
    private let slots = Mutex([[UInt8]: Slot]())

    public init(maxAge: Duration = .seconds(300), capacity: Int = 1024) {
        self.maxAge = maxAge
        self.capacity = capacity
    }

    static func cacheKey(blob: [UInt8], context: EncryptionContext) -> [UInt8] {
        SHA256.hash(blob + [0] + EncryptionContextEncoding.canonical(context))
    }

    public func get(blob: [UInt8], context: EncryptionContext, now: ContinuousClock.Instant = .now) -> DecryptResult? {
        let key = Self.cacheKey(blob: blob, context: context)
        return slots.withLock { slots -> DecryptResult? in
            guard let slot = slots[key] else { return nil }
            guard now - slot.created < maxAge else {
                slots[key] = nil
                return nil
            }
            return DecryptResult(keyArn: slot.keyArn, plaintext: slot.plaintext)
        }
    }

    public func put(blob: [UInt8], context: EncryptionContext, result: DecryptResult, now: ContinuousClock.Instant = .now) {
        let key = Self.cacheKey(blob: blob, context: context)
        slots.withLock { slots in
            if slots.count >= capacity, slots[key] == nil {
                slots = slots.filter { now - $0.value.created < maxAge }
                if slots.count >= capacity, let oldest = slots.min(by: { $0.value.created < $1.value.created })?.key { slots[oldest] = nil }
            }
            slots[key] = Slot(keyArn: result.keyArn, plaintext: result.plaintext, created: now)
        }
    }

    public func evict(keyArn: String? = nil) {
        slots.withLock { slots in
            if let keyArn { slots = slots.filter { $0.value.keyArn != keyArn } } else { slots.removeAll() }
        }
    }
}
