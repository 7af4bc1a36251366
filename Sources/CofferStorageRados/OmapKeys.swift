import CofferStorage

/// How ``RadosMetadataStore`` lays a store's keys and values out in the omap of its index
/// object.
///
/// - Keys are escaped so that they contain no zero byte (librados takes scan prefixes and
///   start keys as C strings): 0x00 → 0x01 0x01, 0x01 → 0x01 0x02, every other byte as is.
///   The escape preserves bytewise order and prefixes (a key's escape starts with the escape
///   of each of its prefixes), so omap order and omap prefix filters are the store's.
/// - Values carry a leading tag byte (``valueTag``), so that no stored omap value is empty:
///   an absent omap key compares as the empty value, so "absent" is `omap_cmp(key, EQ, "")`
///   and "present" is `omap_cmp(key, GT, "")`.
/// - The store's own keys start with a zero byte, which no escaped key does: ``generation``.
enum OmapKeys {
    /// The tag byte in front of every stored value (format 1).
    static let valueTag: UInt8 = 0x01

    /// The generation key: a fresh random value written by every commit.
    static let generation: [UInt8] = [0x00] + Array("generation".utf8)

    /// Whether an omap key is one of the store's own (not a store key).
    static func isInternal(_ omapKey: [UInt8]) -> Bool { omapKey.first == 0x00 }

    static func escape(_ key: [UInt8]) -> [UInt8] {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(key.count + 4)
        for byte in key {
            switch byte {
            case 0x00: escaped += [0x01, 0x01]
            case 0x01: escaped += [0x01, 0x02]
            default: escaped.append(byte)
            }
        }
        return escaped
    }

    /// The store key of an escaped omap key; nil if it is not a valid escape.
    static func unescape(_ omapKey: [UInt8]) -> [UInt8]? {
        var key: [UInt8] = []
        key.reserveCapacity(omapKey.count)
        var index = omapKey.startIndex
        while index < omapKey.endIndex {
            let byte = omapKey[index]
            index += 1
            guard byte == 0x01 else {
                key.append(byte)
                continue
            }
            guard index < omapKey.endIndex else { return nil }
            switch omapKey[index] {
            case 0x01: key.append(0x00)
            case 0x02: key.append(0x01)
            default: return nil
            }
            index += 1
        }
        return key
    }

    /// A start key for librados's exclusive "after" argument such that every escaped key at or
    /// after `escaped` follows it (and no zero byte in it). Keys before `escaped` may follow
    /// it too: the caller drops them. Escaped keys never contain 0x00, so for one ending in
    /// 0x01 the key without that byte is an exact predecessor; otherwise the last byte is
    /// lowered and followed by 0xFF bytes (only keys that continue with sixteen 0xFF bytes fall
    /// between, and are dropped).
    static func startAfter(atOrAfter escaped: [UInt8]) -> [UInt8] {
        guard let last = escaped.last else { return [] }
        let head = escaped.dropLast()
        if last == 0x01 { return Array(head) }
        return Array(head) + [last - 1] + Array(repeating: 0xFF, count: 16)
    }

    static func encodeValue(_ value: [UInt8]) -> [UInt8] { [valueTag] + value }

    static func decodeValue(_ stored: [UInt8], key: [UInt8]) throws(StorageError) -> [UInt8] {
        guard stored.first == valueTag else {
            throw StorageError(.corruption, "omap value of \(StorageError.printable(key)) has no value tag")
        }
        return Array(stored.dropFirst())
    }
}
